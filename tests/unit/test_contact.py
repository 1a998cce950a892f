"""Customer contact points: masking and the channels a message may use."""

from __future__ import annotations

import pytest

from chalicelib.domain.contact import (
    Contact,
    InvalidContact,
    mask_email,
    mask_numbers,
    mask_phone,
    normalize_email,
    normalize_phone,
    redact,
)

PHONE = "+8613800138000"
EMAIL = "zhang.san@example.com"


# -- mask_phone ---------------------------------------------------------------------------------


def test_mask_phone_cn_mobile_shows_head_and_tail() -> None:
    # GIVEN a CN mobile in E.164 / WHEN masking / THEN it reads 138****8000 (no +86)
    assert mask_phone(PHONE) == "138****8000"


@pytest.mark.parametrize(
    ("e164", "calling_code", "national"),
    [
        ("+14155552671", "+1", "4155552671"),
        ("+85261234567", "+852", "61234567"),
        ("+447911123456", "+44", "7911123456"),
    ],
)
def test_mask_phone_foreign_number_keeps_calling_code(
    e164: str, calling_code: str, national: str
) -> None:
    # GIVEN a non-CN mobile
    # WHEN masking
    masked = mask_phone(e164)
    # THEN the calling code and last four digits show, the full number never does
    assert masked is not None
    assert masked.startswith(calling_code)
    assert masked.endswith(national[-4:])
    assert "*" in masked
    assert national not in masked
    assert e164 != masked
    assert sum(c.isdigit() for c in masked) < len(e164) - 1


@pytest.mark.parametrize("e164", [PHONE, "+14155552671", "+85261234567"])
def test_mask_phone_hides_at_least_four_digits(e164: str) -> None:
    # GIVEN any mobile number / WHEN masking
    masked = mask_phone(e164)
    # THEN at least four digits are replaced by stars
    assert masked is not None
    assert masked.count("*") >= 4


@pytest.mark.parametrize("value", [None, ""])
def test_mask_phone_missing_number_is_none(value: str | None) -> None:
    # GIVEN no phone / WHEN / THEN nothing to show
    assert mask_phone(value) is None


def test_mask_phone_short_number_is_fully_masked() -> None:
    # GIVEN a (nonsense) very short number / WHEN / THEN no digit shows
    assert mask_phone("+12345") == "*****"


# -- mask_email ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (EMAIL, "z***@example.com"),
        ("a@example.com", "a***@example.com"),
        ("wang+refund@mail.example.cn", "w***@mail.example.cn"),
        ("张三@例子.中国", "张***@例子.中国"),
    ],
)
def test_mask_email_keeps_first_char_and_domain(address: str, expected: str) -> None:
    # GIVEN an address / WHEN masking / THEN only the first character and the domain show
    assert mask_email(address) == expected


@pytest.mark.parametrize("value", [None, "", "not-an-address"])
def test_mask_email_unusable_value_is_none(value: str | None) -> None:
    # GIVEN no address or one without "@" / WHEN / THEN nothing is shown
    assert mask_email(value) is None


# -- normalisation ------------------------------------------------------------------------------


def test_normalize_phone_landline_is_refused() -> None:
    # GIVEN a Beijing landline, which cannot receive SMS
    # WHEN / THEN it is refused with a reason
    with pytest.raises(InvalidContact, match="mobile"):
        normalize_phone("010 6552 9988")


def test_normalize_email_invalid_is_refused() -> None:
    # GIVEN / WHEN an address without a domain / THEN it is refused
    with pytest.raises(InvalidContact, match="not a valid email"):
        normalize_email("zhang.san@")


# -- Contact ------------------------------------------------------------------------------------


def test_reachable_channels_phone_and_email_sms_first() -> None:
    # GIVEN a contact with both points and both channels
    contact = Contact(phone=PHONE, email=EMAIL)
    # WHEN / THEN SMS is preferred, email follows
    assert contact.reachable_channels() == ("sms", "email")


def test_reachable_channels_sms_opt_out_leaves_email() -> None:
    # GIVEN a customer who turned SMS off (or replied TD)
    contact = Contact(phone=PHONE, email=EMAIL).with_preferences(sms_opt_out=True)
    # WHEN / THEN only email remains
    assert contact.reachable_channels() == ("email",)


def test_reachable_channels_sms_opt_out_without_email_is_empty() -> None:
    # GIVEN a phone-only customer who turned SMS off
    contact = Contact(phone=PHONE, sms_opt_out=True)
    # WHEN / THEN no channel is reachable
    assert contact.reachable_channels() == ()


def test_reachable_channels_sms_only_opt_out_falls_back_to_email() -> None:
    # GIVEN a customer who chose SMS only and then turned SMS off
    contact = Contact(phone=PHONE, email=EMAIL, channels=("sms",), sms_opt_out=True)
    # WHEN / THEN email carries their messages
    assert contact.reachable_channels() == ("email",)


def test_reachable_channels_missing_email_leaves_sms() -> None:
    # GIVEN a phone-only contact that nevertheless lists email
    contact = Contact(phone=PHONE, channels=("sms", "email"))
    # WHEN / THEN email is skipped
    assert contact.reachable_channels() == ("sms",)


def test_reachable_channels_respects_chosen_channels() -> None:
    # GIVEN a contact with both points who chose email only
    contact = Contact(phone=PHONE, email=EMAIL, channels=("email",))
    # WHEN / THEN SMS is not used
    assert contact.reachable_channels() == ("email",)


def test_contact_masked_never_shows_full_details() -> None:
    # GIVEN a full contact
    contact = Contact(phone=PHONE, email=EMAIL, language="en", sms_opt_out=True)
    # WHEN masking it for display
    shown = contact.masked()
    # THEN phone and email are masked and preferences kept
    assert shown == {
        "phone": "138****8000",
        "email": "z***@example.com",
        "language": "en",
        "channels": ["sms", "email"],
        "sms_opt_out": True,
    }
    assert PHONE not in str(shown)
    assert EMAIL not in str(shown)


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("卡号6222021234567890123", "卡号622****0123"),
        ("卡号 6222 0212 3456 7890 123 已冻结", "卡号 622****0123 已冻结"),
        ("账户 6222-0212-3456-7890", "账户 622****7890"),
        ("请致电 +86 138 0013 8000", "请致电 +86 138****8000"),
        ("TXN-20261123-0001 于 2026-11-23 10:00 支付 38.80 元", None),
        ("订单12号，PC20261123-7K3F9Q", None),
    ],
)
def test_mask_numbers_hides_card_account_and_phone_numbers_only(
    text: str, shown: str | None
) -> None:
    assert mask_numbers(text) == (text if shown is None else shown)


def test_redact_also_hides_addresses() -> None:
    assert redact("zhang.san@example.com 13800138000") == "***@*** 138****8000"
