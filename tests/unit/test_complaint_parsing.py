"""Reading a complaint submission (POST /v1/complaints): clean values or every bad field named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from chalicelib.domain.complaint import parse_complaint
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.policy import Category

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CONTACT = {"phone": "13800138000"}


def body(**overrides: Any) -> dict[str, Any]:
    """A valid submission with some keys replaced (a value of ... removes the key)."""
    data: dict[str, Any] = {
        "category": "payment_anomaly",
        "description": "付款成功但订单显示未支付",
        "contact": dict(CONTACT),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def failures(raw: Any) -> dict[str, str]:
    """The `fields` of the ValidationFailed that parsing `raw` must raise."""
    with pytest.raises(ValidationFailed) as caught:
        parse_complaint(raw, NOW)
    return caught.value.fields


def pay(**fields: Any) -> dict[str, Any]:
    return body(payment={"transaction_id": "T20260301-0001", **fields})


# -- accepted -----------------------------------------------------------------------------------


def test_parse_complaint_accepts_chinese_text_and_emoji() -> None:
    # GIVEN a description in Chinese with an emoji and a line break
    text = "扣款成功但订单仍显示待发货😡\n请尽快处理"
    # WHEN parsing
    request = parse_complaint(body(description=f"  {text}  "), NOW)
    # THEN it is kept as written (surrounding whitespace stripped), defaults filled in
    assert request.description == text
    assert request.category is Category.PAYMENT_ANOMALY
    assert request.channel == "web"
    assert request.payment is None
    assert request.contact.language == "zh-CN"
    assert request.contact.channels == ("sms",)


@pytest.mark.parametrize("raw", ["13800138000", "+86 138 0013 8000", "+8613800138000"])
def test_parse_complaint_normalises_cn_mobile_to_e164(raw: str) -> None:
    # GIVEN a CN mobile number in national or international format
    # WHEN parsing / THEN it is stored as E.164
    assert parse_complaint(body(contact={"phone": raw}), NOW).contact.phone == "+8613800138000"


def test_parse_complaint_normalises_email() -> None:
    # GIVEN an email address with an upper-case domain and surrounding spaces
    contact = {"email": " Zhang.San@Example.COM ", "language": "en"}
    # WHEN parsing
    parsed = parse_complaint(body(contact=contact), NOW).contact
    # THEN the domain is normalised and email is the only channel
    assert parsed.email == "Zhang.San@example.com"
    assert (parsed.phone, parsed.channels, parsed.language) == (None, ("email",), "en")


def test_parse_complaint_accepts_full_payment_reference() -> None:
    # GIVEN a payment with every field, paid a few minutes ago
    payment = {
        "transaction_id": "4200001234202603010000",
        "merchant_id": "M-10086",
        "order_id": "ORD:2026.03.01-77",
        "amount_fen": 12_800,
        "currency": "CNY",
        "paid_at": "2026-03-02T09:55:00+08:00",
    }
    # WHEN parsing
    ref = parse_complaint(body(payment=payment, channel="app"), NOW).payment
    # THEN the reference is kept, with paid_at in UTC
    assert ref is not None
    assert (ref.transaction_id, ref.merchant_id, ref.order_id) == (
        "4200001234202603010000",
        "M-10086",
        "ORD:2026.03.01-77",
    )
    assert (ref.amount_fen, ref.currency) == (12_800, "CNY")
    assert ref.paid_at == datetime(2026, 3, 2, 1, 55, tzinfo=UTC)


# -- rejected: body, category, description ------------------------------------------------------


@pytest.mark.parametrize("raw", [None, [], "complaint", 42], ids=repr)
def test_parse_complaint_rejects_non_object_body(raw: Any) -> None:
    # GIVEN / WHEN a body that is not a JSON object / THEN "body" is named
    assert "body" in failures(raw)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"category": "fraud"}, "category"),
        ({"category": ...}, "category"),
        ({"channel": "fax"}, "channel"),
        ({"description": ...}, "description"),
        ({"description": "   \n\t "}, "description"),
        ({"description": "退款" * 2000 + "!"}, "description"),
        ({"description": 123}, "description"),
        ({"description": "bad \ud800 text"}, "description"),
        ({"description": "ring \x07 bell"}, "description"),
        ({"description": "nul \x00"}, "description"),
        ({"priority": "high"}, "priority"),
    ],
    ids=repr,
)
def test_parse_complaint_rejects_bad_top_level_field(overrides: dict, field: str) -> None:
    # GIVEN a submission with one bad top-level field
    # WHEN parsing / THEN exactly that field is named
    assert list(failures(body(**overrides))) == [field]


def test_parse_complaint_description_exactly_4000_chars_is_accepted() -> None:
    # GIVEN a description of exactly the maximum length
    # WHEN / THEN it is accepted
    assert len(parse_complaint(body(description="款" * 4000), NOW).description) == 4000


# -- rejected: contact --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"phone": "010 6552 9988"}, "contact.phone"),  # Beijing landline
        ({"phone": "+86 21 5888 8888"}, "contact.phone"),  # Shanghai landline
        ({"phone": "12345"}, "contact.phone"),
        ({"phone": "not a phone"}, "contact.phone"),
        ({"email": "zhang.san@"}, "contact.email"),
        ({"email": "zhang san@example.com"}, "contact.email"),
        ({"language": "fr"}, "contact"),  # neither phone nor email
        ({"email": "a@example.com", "channels": ["sms"]}, "contact.channels"),
        ({"phone": "13800138000", "channels": ["email"]}, "contact.channels"),
        ({"phone": "13800138000", "channels": ["wechat"]}, "contact.channels"),
        ({"phone": "13800138000", "channels": []}, "contact.channels"),
        ({"phone": "13800138000", "wechat": "zs"}, "contact.wechat"),
    ],
    ids=repr,
)
def test_parse_complaint_rejects_bad_contact(contact: dict, field: str) -> None:
    # GIVEN a submission with a bad contact
    # WHEN parsing / THEN the dotted field is named
    assert field in failures(body(contact=contact))


def test_parse_complaint_rejects_missing_contact() -> None:
    # GIVEN / WHEN no contact at all / THEN "contact" is named
    assert "contact" in failures(body(contact=...))


@pytest.mark.parametrize("contact", [{}, {"phone": None}, {"phone": None, "email": None}], ids=repr)
def test_parse_complaint_rejects_contact_without_phone_or_email_value(contact: dict) -> None:
    # GIVEN a contact object that names no usable phone or email
    # WHEN parsing / THEN it is refused: nobody could be told about the case
    assert "contact" in failures(body(contact=contact))


# -- rejected: payment --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payment", "field"),
    [
        (pay(amount_fen=128.0), "payment.amount_fen"),
        (pay(amount_fen=True), "payment.amount_fen"),
        (pay(amount_fen="12800"), "payment.amount_fen"),
        (pay(amount_fen=0), "payment.amount_fen"),
        (pay(amount_fen=-100), "payment.amount_fen"),
        (pay(currency="USD"), "payment.currency"),
        (pay(paid_at="2026-03-02 09:55:00"), "payment.paid_at"),
        (pay(paid_at="2026-03-02T09:55:00"), "payment.paid_at"),  # no offset
        (pay(paid_at="yesterday"), "payment.paid_at"),
        (pay(paid_at=1772416500), "payment.paid_at"),
        (pay(paid_at="2026-03-02T02:11:00Z"), "payment.paid_at"),  # 11 minutes ahead
        (pay(paid_at="0001-01-01T00:00:00+01:00"), "payment.paid_at"),  # before UTC year 1
        (pay(paid_at="9999-12-31T23:59:59-01:00"), "payment.paid_at"),  # after UTC year 9999
        (pay(paid_at="0001-01-01T00:00:00Z"), "payment.paid_at"),
        (pay(paid_at="1999-12-31T23:59:59Z"), "payment.paid_at"),
        (pay(card_number="6222020000000000"), "payment.card_number"),
        (pay(transaction_id="T 1; DROP"), "payment.transaction_id"),
        (body(payment={}), "payment"),
        (body(payment={"amount_fen": 100}), "payment"),
        (body(payment="T20260301"), "payment"),
    ],
    ids=repr,
)
def test_parse_complaint_rejects_bad_payment(payment: dict, field: str) -> None:
    # GIVEN a submission with a bad payment reference
    # WHEN parsing / THEN the dotted field is named
    assert field in failures(payment)


@pytest.mark.parametrize(
    "paid_at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1999-12-31T23:00:00Z"]
)
def test_parse_complaint_names_the_years_for_an_implausible_paid_at(paid_at: str) -> None:
    # GIVEN a payment time far outside the years a payment can have been made
    # WHEN parsing / THEN the reason says which years are accepted
    assert "2000" in failures(pay(paid_at=paid_at))["payment.paid_at"]


def test_parse_complaint_treats_null_payment_as_absent() -> None:
    # GIVEN a submission that sends "payment": null, as it may for any optional field
    # WHEN parsing / THEN it is accepted without a payment reference
    assert parse_complaint(body(payment=None), NOW).payment is None


def test_parse_complaint_paid_at_within_clock_tolerance_is_accepted() -> None:
    # GIVEN a success screen 10 minutes ahead of our clock (the tolerance)
    # WHEN parsing / THEN it is accepted
    ref = parse_complaint(pay(paid_at="2026-03-02T02:10:00Z"), NOW).payment
    assert ref is not None
    assert ref.paid_at == datetime(2026, 3, 2, 2, 10, tzinfo=UTC)


def test_parse_complaint_payment_with_order_id_only_is_accepted() -> None:
    # GIVEN a payment naming only the order
    # WHEN / THEN it is accepted
    ref = parse_complaint(body(payment={"order_id": "ORD-1"}), NOW).payment
    assert ref is not None
    assert (ref.order_id, ref.transaction_id) == ("ORD-1", None)


def test_parse_complaint_rejects_payment_with_merchant_id_only() -> None:
    # GIVEN a payment naming only the merchant (neither transaction_id nor order_id)
    # WHEN parsing / THEN "payment" is named
    assert "payment" in failures(body(payment={"merchant_id": "M-10086"}))


# -- several problems ---------------------------------------------------------------------------


def test_parse_complaint_reports_every_problem_at_once() -> None:
    # GIVEN a submission with problems everywhere
    raw = {
        "category": "lost_parcel",
        "description": "   ",
        "contact": {"phone": "12345", "email": "nope", "fax": "x"},
        "payment": {"transaction_id": "T1", "amount_fen": 1.5, "extra": 1},
        "urgent": True,
    }
    # WHEN parsing
    fields = failures(raw)
    # THEN each one is named
    assert set(fields) == {
        "category",
        "description",
        "contact.phone",
        "contact.email",
        "contact.fax",
        "payment.amount_fen",
        "payment.extra",
        "urgent",
    }
    assert all(isinstance(why, str) and why for why in fields.values())


# -- anything a client can send -----------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)
_TIMES = st.builds(
    lambda at, offset: at.isoformat() + offset,
    # any year, and the first and last day Python can hold, where an offset overflows UTC
    st.datetimes()
    | st.datetimes(max_value=datetime(1, 1, 1, 23, 59))
    | st.datetimes(min_value=datetime(9999, 12, 31)),
    st.sampled_from(["Z", "z", "+01:00", "-01:00", "+14:00", "-23:59", ""]),
)
_PAYMENT = st.fixed_dictionaries(
    {},
    optional={
        "transaction_id": st.sampled_from(["T20260301-0001", "T 1"]) | _JSON,
        "order_id": _JSON,
        "merchant_id": _JSON,
        "amount_fen": st.integers() | _JSON,
        "currency": st.sampled_from(["CNY", "USD"]) | _JSON,
        "paid_at": _TIMES | _JSON,
    },
)
_CONTACT = st.fixed_dictionaries(
    {},
    optional={
        "phone": st.sampled_from(["13800138000", "+86 138 0013 8000", "12345"]) | _JSON,
        "email": st.sampled_from(["a@example.com", "a@"]) | _JSON,
        "language": st.sampled_from(["zh-CN", "en", "fr"]) | _JSON,
        "channels": st.lists(st.sampled_from(["sms", "email", "fax"]), max_size=3) | _JSON,
    },
)
_SUBMISSIONS = _JSON | st.fixed_dictionaries(
    {},
    optional={
        "category": st.sampled_from([c.value for c in Category]) | _JSON,
        "description": st.text(max_size=50) | _JSON,
        "channel": st.sampled_from(["web", "fax"]) | _JSON,
        "contact": _CONTACT | _JSON,
        "payment": _PAYMENT | _JSON,
    },
)


@given(_SUBMISSIONS)
@example(pay(paid_at="0001-01-01T00:00:00+01:00"))
@example(pay(paid_at="9999-12-31T23:59:59-01:00"))
@example(body(payment=None, contact=None, description=None))
def test_parse_complaint_only_ever_raises_validation_failed(raw: Any) -> None:
    # GIVEN any JSON-like value, shaped like a submission or not
    # WHEN parsing / THEN it is a clean request or a ValidationFailed naming fields, nothing else
    try:
        parse_complaint(raw, NOW)
    except ValidationFailed as failed:
        fields = failed.fields
    else:
        return
    assert fields and all(isinstance(why, str) and why for why in fields.values())
