"""Notification templates: every event in both languages, at the longest realistic values."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from chalicelib.domain.names import CATEGORY_NAMES, outcome_name, remedy_name, verdict_name
from chalicelib.notifications.render import SMS_SIGNATURE, TemplateRenderer, money, sms_segments

LANGUAGES = ("zh-CN", "en")
RENDERER = TemplateRenderer()

CUSTOMER_EVENTS = (
    "case_received",
    "case_accepted",
    "info_needed",
    "customer_reminder",
    "staff_message",
    "proposal_made",
    "case_resolved",
    "case_unresolved",
    "second_review_opened",
    "second_review_decided",
    "survey",
    "periodic_update",
    "regulatory_extended",
    "refund_succeeded",
    "refund_failed",
    "payment_confirmed",
    "payment_reversed",
    "incident_update",
    "merchant_case_update",  # a merchant-settlement case's contact is the merchant
)
SMS_ONLY_EVENTS = ("otp_code",)
MERCHANT_EVENTS = (
    "merchant_query_answered",
    "merchant_case_opened",
    "merchant_settlement_found",
    "merchant_secret_rotated",
    "merchant_digest",
)
STAFF_EVENTS = (
    "case_assigned",
    "sla_warning",
    "sla_breached",
    "refund_failed_alert",
    "case_activity",
)
EMAIL_ONLY_EVENTS = MERCHANT_EVENTS + STAFF_EVENTS
SMS_EVENTS = CUSTOMER_EVENTS + SMS_ONLY_EVENTS
EMAIL_EVENTS = CUSTOMER_EVENTS + EMAIL_ONLY_EVENTS
ALL_EVENTS = CUSTOMER_EVENTS + SMS_ONLY_EVENTS + EMAIL_ONLY_EVENTS

VERDICTS = ("settled", "pending_settlement", "failed", "refunded", "amount_mismatch", "not_found")
KINDS = (
    "full_refund",
    "partial_refund",
    "reship",
    "installment_plan",
    "deferral",
    "fee_waiver",
    "explanation",
)
CLOCKS = ("first_response", "resolution", "second_review", "merchant_response")

# Longest realistic values. Real case numbers are 17 characters (PC20261231-7K3F9Q); 30 leaves room.
CASE_NUMBER = "PC20261231-" + "Z" * 19
# 15:59 UTC is 23:59 in Shanghai on the 31st: the widest local date and time.
LATE = "2026-12-31T15:59:00Z"
MAX_FEN = 99_999_999_999
PHONE_MASKED = "138****8000"
FULL_PHONE = "13800138000"
CARD = "6222021234567890123"
LONGEST_CATEGORY = {
    lang: max(CATEGORY_NAMES, key=lambda code, lang=lang: len(CATEGORY_NAMES[code][lang]))
    for lang in LANGUAGES
}
LONG_TEXT = {
    "zh-CN": ("请补充付款截图、银行扣款短信截图和订单详情页截图，以便我们尽快核实。\n" * 80)[:2000],
    "en": (
        "Please send a screenshot of the payment, the debit message from the bank and the order.\n"
        * 40
    )[:2000],
}
MERCHANT_NAME = {
    "zh-CN": "深圳市前海星辰网络科技有限公司华南区第一百零八号旗舰门店（福田车公庙店）",
    "en": "Shenzhen Qianhai Star Network Technology Co., Ltd. South China Flagship Store No. 108",
}
STAFF_NAME = {"zh-CN": "欧阳晓雯", "en": "Alexandra Montgomery-Fitzgerald"}
INJECTED = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


# The longest plan a proposal may carry: 60 instalments of the largest amounts.
LONGEST_PLAN = [
    {"due_date": f"{2027 + n // 12}-{n % 12 + 1:02d}-28", "amount_fen": MAX_FEN // 60}
    for n in range(60)
]


def longest_params(event: str, language: str, verdict: str = "not_found") -> dict[str, Any]:
    """The params each event is sent with, at their longest."""
    text = LONG_TEXT[language]
    accepted = {"kinds": list(KINDS), "amount_fen": MAX_FEN, "installments": LONGEST_PLAN}
    case = {
        "case_number": CASE_NUMBER,
        "category": LONGEST_CATEGORY[language],
        "phone_masked": PHONE_MASKED,
        "email_masked": "z***@example.com",
    }
    staff = {
        **case,
        "staff_name": STAFF_NAME[language],
        "recipient_id": "stf_01KJPQ5V3R8Z6W4X2Y0A1B2C3D",
        "recipient_role": "supervisor",
        "assignee_id": "stf_01KJPQ5V3R8Z6W4X2Y0A1B2C3E",
        "assignee_name": STAFF_NAME[language],
        "status": "waiting_merchant",
        "round": 2,
        "due_at": LATE,
        "day_seconds": 9 * 3600,
    }
    # 14 working days, 8 hours and 59 minutes: the longest time a clock can show
    longest_time = 14 * 9 * 3600 + 8 * 3600 + 59 * 60
    merchant = {
        "merchant_name": MERCHANT_NAME[language],
        "phone_masked": None,
        "email_masked": "o***@example.com",
    }
    by_event: dict[str, dict[str, Any]] = {
        "case_received": {
            **case,
            "first_response_by": LATE,
            "expected_by": LATE,
            "provisional": True,
        },
        "case_accepted": {**case, "expected_by": LATE, "late": False, "next_update_by": None},
        "info_needed": {**case, "request": text, "reply_by": LATE},
        "customer_reminder": {**case, "request": text, "reply_by": LATE},
        "staff_message": {**case, "text": text},
        "incident_update": {
            **case,
            "text": text,
            "posted_at": LATE,
            "send_after": LATE,
        },
        "proposal_made": {
            **case,
            **accepted,
            "text": text,
            "round": 1,
            "decide_by": LATE,
        },
        "case_resolved": {
            **case,
            **accepted,
            "outcome": "resolved",
            "note": text,
            "object_by": LATE,
            "reason": "payment_settled",
        },
        "case_unresolved": {
            **case,
            "outcome": "unresolved",
            "note": text,
            "object_by": LATE,
            "reason": "no_agreement_by_limit",
        },
        "second_review_opened": {**case, "expected_by": LATE},
        "second_review_decided": {
            **case,
            **accepted,
            "outcome": "resolved",
            "note": text,
            "reason": "no_agreement_by_limit",
        },
        "survey": case,
        "periodic_update": {**case, "expected_by": LATE, "late": False, "next_update_by": None},
        "regulatory_extended": {**case, "regulatory_due": LATE, "reason": text},
        "refund_succeeded": {
            **case,
            "amount_fen": MAX_FEN,
            "refund_id": "RF20261231ZZZZZZZZZZZZZZZZZZZZZZ",
        },
        "refund_failed": {**case, "amount_fen": MAX_FEN, "failure_reason": text},
        "payment_confirmed": {
            **case,
            "amount_fen": MAX_FEN,
            "merchant_name": MERCHANT_NAME[language],
            "transaction_id": "TX20261231ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "settled": False,
            "expected_settlement_by": LATE,
        },
        "payment_reversed": {**case, "amount_fen": MAX_FEN},
        "merchant_case_update": {
            **case,
            "update": "info_needed",
            "case_id": "01KJPQ5V3R8Z6W4X2Y0A1B2C3D",
            "request": text,
            "reply_by": LATE,
        },
        "otp_code": {
            "code": "987654",
            "expires_minutes": 10,
            "phone_masked": PHONE_MASKED,
            "email_masked": None,
        },
        "merchant_query_answered": {
            **merchant,
            "query_id": "QRY01KJPQ5V3R8Z6W4X2Y0A1B2C3D",
            "verdict": verdict,
            "transaction_id": "TX20261231ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "order_id": "ORDER-2026-12-31-ZZZZZZZZZZZZZZZZZZZZZZZZ",
            "amount_fen": MAX_FEN,
            "expected_settlement_by": LATE,
            "case_number": CASE_NUMBER,
        },
        "merchant_case_opened": {
            **merchant,
            "case_number": CASE_NUMBER,
            "category": LONGEST_CATEGORY[language],
            "respond_by": LATE,
        },
        "merchant_digest": {
            **merchant,
            "merchant_id": "M100001",
            "hour_start": "2026-12-31T15:00:00Z",  # 23:00 in Beijing: the day's last hour
            "individually": 5,
            "count": 505,
            "case_numbers": [CASE_NUMBER] * 500,
            "more": 0,
        },
        "merchant_settlement_found": {
            **merchant,
            "query_id": "QRY01KJPQ5V3R8Z6W4X2Y0A1B2C3D",
            "transaction_id": "TX20261231ZZZZZZZZZZZZZZZZZZZZZZZZZZ",
            "amount_fen": MAX_FEN,
            "case_number": CASE_NUMBER,
        },
        "merchant_secret_rotated": {
            **merchant,
            "merchant_id": "M" + "Z" * 63,
            "rotated_at": LATE,
            "rotated_by": STAFF_NAME[language],
            "previous_valid_until": LATE,
        },
        "case_assigned": staff,
        "sla_warning": {
            **staff,
            "clock": "merchant_response",
            "percent": 80,
            "working_seconds_left": longest_time,
        },
        "sla_breached": {
            **staff,
            "clock": "merchant_response",
            "level": 2,
            "working_seconds_late": longest_time,
        },
        "case_activity": {
            **staff,
            "activity": "proposal_accepted",
            "text": text,
            "kinds": list(KINDS),
            "amount_fen": MAX_FEN,
            "decide_by": LATE,
            "resumed": True,
        },
        "refund_failed_alert": {
            **staff,
            "refund_id": "RF20261231ZZZZZZZZZZZZZZZZZZZZZZ",
            "failure_reason": text,
        },
    }
    return dict(by_event[event])


# Optional params: may be None or "" and must then simply be left out.
OPTIONAL = (
    [(event, "email_masked") for event in CUSTOMER_EVENTS]
    + [(event, "phone_masked") for event in CUSTOMER_EVENTS]
    + [
        ("info_needed", "request"),
        ("customer_reminder", "request"),
        ("staff_message", "text"),
        ("case_received", "incident_summary"),
        ("proposal_made", "amount_fen"),
        ("proposal_made", "text"),
        ("proposal_made", "decide_by"),
        ("proposal_made", "installments"),
        ("case_resolved", "installments"),
        ("case_resolved", "kinds"),
        ("case_resolved", "amount_fen"),
        ("second_review_decided", "installments"),
        ("second_review_decided", "kinds"),
        ("second_review_decided", "amount_fen"),
        ("case_resolved", "reason"),
        ("case_unresolved", "reason"),
        ("second_review_decided", "reason"),
        ("case_resolved", "note"),
        ("case_resolved", "object_by"),
        ("case_unresolved", "note"),
        ("case_unresolved", "object_by"),
        ("second_review_decided", "note"),
        ("regulatory_extended", "reason"),
        ("refund_succeeded", "refund_id"),
        ("refund_failed", "failure_reason"),
        ("refund_failed_alert", "failure_reason"),
        ("refund_failed_alert", "staff_name"),
        ("payment_confirmed", "merchant_name"),
        ("payment_confirmed", "transaction_id"),
        ("payment_confirmed", "expected_settlement_by"),
        ("merchant_query_answered", "transaction_id"),
        ("merchant_query_answered", "order_id"),
        ("merchant_query_answered", "expected_settlement_by"),
        ("merchant_query_answered", "case_number"),
        ("merchant_query_answered", "merchant_name"),
        ("merchant_case_opened", "respond_by"),
        ("merchant_case_opened", "merchant_name"),
        ("merchant_digest", "merchant_name"),
        ("merchant_settlement_found", "case_number"),
        ("merchant_settlement_found", "merchant_name"),
        ("merchant_secret_rotated", "merchant_name"),
        ("case_assigned", "staff_name"),
        ("sla_warning", "staff_name"),
        ("sla_breached", "staff_name"),
        ("sla_warning", "assignee_id"),
        ("sla_breached", "assignee_id"),
        ("refund_failed_alert", "assignee_id"),
        ("sla_warning", "assignee_name"),
        ("sla_breached", "assignee_name"),
        ("refund_failed_alert", "assignee_name"),
        ("case_activity", "text"),
        ("merchant_case_update", "request"),
        ("case_activity", "assignee_id"),
        ("case_activity", "assignee_name"),
        ("case_activity", "decide_by"),
        ("case_activity", "amount_fen"),
        ("case_activity", "staff_name"),
    ]
)
# Free text typed by people (staff, merchants, the payment platform): escaped in HTML, never in SMS.
FREE_TEXT = (
    ("info_needed", "request"),
    ("customer_reminder", "request"),
    ("staff_message", "text"),
    ("incident_update", "text"),
    ("proposal_made", "text"),
    ("case_resolved", "note"),
    ("case_unresolved", "note"),
    ("second_review_decided", "note"),
    ("regulatory_extended", "reason"),
    ("refund_failed", "failure_reason"),
    ("refund_failed_alert", "failure_reason"),
    ("payment_confirmed", "merchant_name"),
    ("merchant_query_answered", "merchant_name"),
    ("merchant_case_opened", "merchant_name"),
    ("merchant_digest", "merchant_name"),
    ("merchant_settlement_found", "merchant_name"),
    ("merchant_secret_rotated", "merchant_name"),
    ("merchant_secret_rotated", "rotated_by"),
    ("case_assigned", "staff_name"),
    ("sla_warning", "staff_name"),
    ("sla_breached", "staff_name"),
    ("case_activity", "text"),
    ("merchant_case_update", "request"),
)


def render_all(event: str, language: str, params: dict[str, Any]) -> dict[str, str]:
    """Every part the event has: sms, subject, text, html."""
    parts = {}
    if event in SMS_EVENTS:
        parts["sms"] = RENDERER.sms(event, language, params)
    if event in EMAIL_EVENTS:
        email = RENDERER.email(event, language, params)
        parts.update(subject=email.subject, text=email.text, html=email.html)
    return parts


def dangling_labels(text: str) -> list[str]:
    """Lines like `退款单号：` or `Merchant: ` whose value is missing (the next line is blank).
    The greeting (`您好：`) is the first line and is left out."""
    lines = text.split("\n")
    return [
        line
        for line, after in zip(lines[1:], [*lines[2:], ""], strict=True)
        if line.rstrip().endswith(("：", ":")) and not after.strip()
    ]


def assert_clean(parts: dict[str, str]) -> None:
    for name, out in parts.items():
        for marker in ("{{", "}}", "{%", "%}", "None", "[", "undefined"):
            assert marker not in out, f"{name} contains {marker!r}"
    if "text" in parts:
        assert dangling_labels(parts["text"]) == []


ALL_RENDERS = [(e, lang) for e in ALL_EVENTS for lang in LANGUAGES]
SMS_RENDERS = [(e, lang) for e in SMS_EVENTS for lang in LANGUAGES]
VERDICT_RENDERS = [(v, lang) for v in VERDICTS for lang in LANGUAGES]


# -- the template set -------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_every_event_has_its_channels(language: str) -> None:
    # GIVEN the event list / THEN customers get SMS and email, merchants and staff email only,
    # and a one-time code is SMS only
    for event in CUSTOMER_EVENTS:
        assert RENDERER.has(event, "sms", language), event
        assert RENDERER.has(event, "email", language), event
    for event in EMAIL_ONLY_EVENTS:
        assert not RENDERER.has(event, "sms", language), event
        assert RENDERER.has(event, "email", language), event
    assert RENDERER.has("otp_code", "sms", language)
    assert not RENDERER.has("otp_code", "email", language)


# -- longest values ---------------------------------------------------------------------------


@pytest.mark.parametrize(("event", "language"), ALL_RENDERS)
def test_templates_longest_values_render_clean(event: str, language: str) -> None:
    # WHEN every part is rendered with the longest realistic values
    parts = render_all(event, language, longest_params(event, language))
    # THEN nothing is left unrendered and no Python repr leaks
    assert_clean(parts)
    if "subject" in parts:
        assert "\n" not in parts["subject"] and parts["subject"].strip() == parts["subject"]
        assert len(parts["subject"]) <= 120
        assert parts["text"].strip() and "<" not in parts["text"]
        assert parts["html"].lstrip().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(("event", "language"), SMS_RENDERS)
def test_templates_sms_fits_two_segments(event: str, language: str) -> None:
    # WHEN the SMS is rendered with the longest values
    sms = RENDERER.sms(event, language, longest_params(event, language))
    # THEN it starts with the signature, fits 2 UCS-2 segments and carries no link
    assert sms.startswith(SMS_SIGNATURE)
    assert sms.count(SMS_SIGNATURE) == 1
    assert sms_segments(sms) <= 2
    assert len(sms) <= 134
    assert "http" not in sms and "www." not in sms


@pytest.mark.parametrize("event", SMS_EVENTS)
def test_templates_sms_language_matches_contact(event: str) -> None:
    zh = RENDERER.sms(event, "zh-CN", longest_params(event, "zh-CN"))
    en = RENDERER.sms(event, "en", longest_params(event, "en"))
    # THEN the zh-CN SMS is Chinese and the English one has no Chinese beyond the signature
    assert CJK.search(zh.removeprefix(SMS_SIGNATURE))
    assert CJK.search(en.removeprefix(SMS_SIGNATURE)) is None


@pytest.mark.parametrize("event", ALL_EVENTS)
def test_templates_zh_cn_uses_full_width_punctuation(event: str) -> None:
    parts = render_all(event, "zh-CN", longest_params(event, "zh-CN"))
    for name in ("sms", "subject", "text"):
        if name in parts:
            # ASCII ':' only ever appears inside a time such as 23:59
            body = re.sub(r"\d:\d", "", parts[name])
            for mark in (",", ";", ":", "(", ")", "?", "!"):
                assert mark not in body, f"{name} has {mark!r}"


# Card and phone numbers as people type them into a message, a note or a reason.
TYPED_NUMBERS = (
    f"卡号 {CARD}，尾号见 6222 0212 3456 7890 123 或 6222-0212-3456-7890；"
    f"手机 {FULL_PHONE}，或 +86 138 0013 8000。"
)


@pytest.mark.parametrize(("event", "language"), ALL_RENDERS)
def test_templates_never_show_a_full_phone_or_card_number(event: str, language: str) -> None:
    # GIVEN the contact's phone only in masked form, and card and phone numbers typed into
    # every free-text value of the event (by staff, the customer or the payment platform)
    params = longest_params(event, language)
    for key in [key for e, key in FREE_TEXT if e == event]:
        params[key] = TYPED_NUMBERS + params[key]
    parts = render_all(event, language, params)
    for name, out in parts.items():
        # THEN no message shows a full mobile number or a raw card number
        assert FULL_PHONE not in out and CARD not in out, name
        assert re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", out) is None, name
        assert re.search(r"\d{16,19}", out) is None, name
        for written in ("6222 0212 3456 7890", "6222-0212-3456-7890", "138 0013 8000"):
            assert written not in out, name


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_phone_shown_masked_in_email(language: str) -> None:
    email = RENDERER.email("case_accepted", language, longest_params("case_accepted", language))
    assert PHONE_MASKED in email.text and PHONE_MASKED in email.html


@pytest.mark.parametrize(("event", "language"), SMS_RENDERS)
def test_templates_sms_carries_no_free_text(event: str, language: str) -> None:
    # GIVEN a 2000-character request, message or note
    sms = RENDERER.sms(event, language, longest_params(event, language))
    # THEN none of it reaches the SMS (it is in the email and the app)
    assert LONG_TEXT[language][:10] not in sms
    assert MERCHANT_NAME[language][:10] not in sms


# -- free text --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(("event", "key"), FREE_TEXT)
def test_templates_free_text_escaped_in_html_verbatim_in_text(
    event: str, key: str, language: str
) -> None:
    # GIVEN markup typed into a free-text field
    params = {**longest_params(event, language), key: INJECTED}
    # WHEN the email is rendered
    email = RENDERER.email(event, language, params)
    # THEN the HTML shows it escaped and the plain text shows it as typed
    assert ESCAPED in email.html and "<script" not in email.html
    assert INJECTED in email.text
    assert "<script" not in email.subject
    if event in SMS_EVENTS:
        assert "<script" not in RENDERER.sms(event, language, params)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "event", ["info_needed", "customer_reminder", "staff_message", "incident_update"]
)
def test_templates_email_carries_the_whole_free_text(event: str, language: str) -> None:
    # GIVEN a 2000-character request or message (no character in it needs escaping)
    email = RENDERER.email(event, language, longest_params(event, language))
    # THEN the email carries all of it, in both parts
    assert LONG_TEXT[language] in email.text
    assert LONG_TEXT[language] in email.html


# -- optional values --------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("missing", [None, ""])
@pytest.mark.parametrize(("event", "key"), OPTIONAL)
def test_templates_optional_value_missing_renders_sensibly(
    event: str, key: str, missing: str | None, language: str
) -> None:
    # GIVEN an optional value that is None or empty
    params = {**longest_params(event, language), key: missing}
    # WHEN rendered / THEN nothing says None and no label is left without a value
    parts = render_all(event, language, params)
    assert_clean(parts)
    if "sms" in parts:
        assert sms_segments(parts["sms"]) <= 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_every_optional_value_missing_at_once(language: str) -> None:
    for event in ALL_EVENTS:
        params = longest_params(event, language)
        params.update({key: None for e, key in OPTIONAL if e == event})
        assert_clean(render_all(event, language, params))


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_no_objection_date_drops_the_deadline(language: str) -> None:
    params = {**longest_params("case_resolved", language), "object_by": None}
    sms = RENDERER.sms("case_resolved", language, params)
    assert "2026" not in sms.replace(CASE_NUMBER, "")


# -- event specifics --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "names", "amount"),
    [
        (
            "zh-CN",
            ["全额退款", "部分退款", "重新发货", "分期还款", "延期还款", "减免费用", "情况说明"],
            "999999999.99元",
        ),
        (
            "en",
            [
                "full refund",
                "partial refund",
                "re-shipment",
                "instalment plan",
                "deferral",
                "fee waiver",
                "explanation",
            ],
            "CNY 999999999.99",
        ),
    ],
)
def test_templates_proposal_lists_every_remedy_and_amount(
    language: str, names: list[str], amount: str
) -> None:
    params = longest_params("proposal_made", language)
    email = RENDERER.email("proposal_made", language, params)
    sms = RENDERER.sms("proposal_made", language, params)
    for name in names:
        assert name in email.text and name in email.html
    assert amount in email.text and amount in sms


@pytest.mark.parametrize(("language", "label"), [("zh-CN", "金额"), ("en", "CNY")])
@pytest.mark.parametrize("amount", [None, 0])
def test_templates_proposal_without_amount_shows_no_amount(
    amount: int | None, language: str, label: str
) -> None:
    # GIVEN an offer with no money in it (re-shipment, explanation), so no instalments either
    params = {**longest_params("proposal_made", language), "amount_fen": amount}
    params["installments"] = []
    # THEN no part mentions an amount
    for name, out in render_all("proposal_made", language, params).items():
        assert label not in out and "0.00" not in out, name


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("zh-CN", ("验证码", "987654", "10分钟", "请勿")),
        ("en", ("987654", "10 minutes", "Never share")),
    ],
)
def test_templates_otp_code_warns_never_to_share(language: str, words: tuple[str, ...]) -> None:
    sms = RENDERER.sms("otp_code", language, longest_params("otp_code", language))
    for word in words:
        assert word in sms
    assert CASE_NUMBER not in sms


@pytest.mark.parametrize(("verdict", "language"), VERDICT_RENDERS)
def test_templates_merchant_query_every_verdict_renders(verdict: str, language: str) -> None:
    params = longest_params("merchant_query_answered", language, verdict)
    email = RENDERER.email("merchant_query_answered", language, params)
    assert_clean({"subject": email.subject, "text": email.text, "html": email.html})
    assert verdict_name(verdict, language) in email.subject
    assert verdict_name(verdict, language) in email.text


@pytest.mark.parametrize("verdict", ["not_found", "amount_mismatch"])
@pytest.mark.parametrize(
    ("language", "warning"), [("zh-CN", "伪造的“支付成功”截图"), ("en", "forged")]
)
def test_templates_merchant_query_suspicious_verdict_warns_and_names_the_case(
    verdict: str, language: str, warning: str
) -> None:
    params = longest_params("merchant_query_answered", language, verdict)
    email = RENDERER.email("merchant_query_answered", language, params)
    # THEN the merchant is warned about forged success screens and told which case was opened
    assert warning in email.text and CASE_NUMBER in email.text
    assert CASE_NUMBER in email.html


@pytest.mark.parametrize("verdict", ["settled", "pending_settlement", "failed", "refunded"])
@pytest.mark.parametrize(("language", "warning"), [("zh-CN", "伪造"), ("en", "forged")])
def test_templates_merchant_query_plain_verdict_has_no_fraud_warning(
    verdict: str, language: str, warning: str
) -> None:
    params = longest_params("merchant_query_answered", language, verdict)
    email = RENDERER.email("merchant_query_answered", language, params)
    assert warning not in email.text


@pytest.mark.parametrize(
    ("clock", "zh", "en"),
    [
        ("first_response", "受理时限", "first response"),
        ("resolution", "处理时限", "resolution"),
        ("second_review", "二次协商时限", "second review"),
        ("merchant_response", "商户回复时限", "merchant response"),
    ],
)
@pytest.mark.parametrize("event", ["sla_warning", "sla_breached"])
def test_templates_staff_every_clock_named(event: str, clock: str, zh: str, en: str) -> None:
    for language, name in (("zh-CN", zh), ("en", en)):
        params = {**longest_params(event, language), "clock": clock}
        parts = render_all(event, language, params)
        assert_clean(parts)
        # THEN the clock is shown by its name, never by its code
        assert name in parts["subject"] and name in parts["text"] and name in parts["html"]
        assert "_" not in parts["subject"] + parts["text"]


@pytest.mark.parametrize(("language", "expected"), [("zh-CN", "23:59"), ("en", "23:59 (Beijing")])
def test_templates_times_shown_in_beijing_time(language: str, expected: str) -> None:
    email = RENDERER.email("case_accepted", language, longest_params("case_accepted", language))
    assert expected in email.text and "15:59" not in email.text


# -- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fen", "zh", "en"),
    [
        (0, "0.00元", "CNY 0.00"),
        (1, "0.01元", "CNY 0.01"),
        (1280, "12.80元", "CNY 12.80"),
        (99_999_999_999, "999999999.99元", "CNY 999999999.99"),
        (-1280, "-12.80元", "CNY -12.80"),
        (None, "", ""),
    ],
)
def test_money_renders_fen_as_yuan(fen: int | None, zh: str, en: str) -> None:
    assert money(fen, "zh-CN") == zh
    assert money(fen, "en") == en


def test_money_defaults_to_chinese() -> None:
    assert money(1280) == "12.80元"


@pytest.mark.parametrize(
    ("kind", "zh", "en"),
    [
        ("full_refund", "全额退款", "full refund"),
        ("partial_refund", "部分退款", "partial refund"),
        ("reship", "重新发货", "re-shipment"),
        ("installment_plan", "分期还款", "instalment plan"),
        ("deferral", "延期还款", "deferral"),
        ("fee_waiver", "减免费用", "fee waiver"),
        ("explanation", "情况说明", "explanation"),
    ],
)
def test_remedy_name_every_kind(kind: str, zh: str, en: str) -> None:
    assert remedy_name(kind, "zh-CN") == zh
    assert remedy_name(kind, "en") == en


@pytest.mark.parametrize(
    ("verdict", "zh", "en"),
    [
        ("settled", "已到账", "settled"),
        ("pending_settlement", "已支付，待结算", "paid, settlement pending"),
        ("failed", "支付失败", "payment failed"),
        ("refunded", "已退款", "refunded"),
        ("amount_mismatch", "金额不符", "amount mismatch"),
        ("not_found", "未查到该笔支付", "payment not found"),
    ],
)
def test_verdict_name_every_verdict(verdict: str, zh: str, en: str) -> None:
    assert verdict_name(verdict, "zh-CN") == zh
    assert verdict_name(verdict, "en") == en


@pytest.mark.parametrize(
    ("outcome", "zh", "en"),
    [("resolved", "已解决", "resolved"), ("unresolved", "未解决", "unresolved")],
)
def test_outcome_name_every_outcome(outcome: str, zh: str, en: str) -> None:
    assert outcome_name(outcome, "zh-CN") == zh
    assert outcome_name(outcome, "en") == en


@pytest.mark.parametrize("name_of", [remedy_name, verdict_name, outcome_name])
def test_name_filters_unknown_code_shows_itself(name_of: Callable[[str, str], str]) -> None:
    assert name_of("something_new", "en") == "something_new"
    assert name_of("something_new", "zh-CN") == "something_new"


def test_name_filters_unknown_language_falls_back_to_chinese() -> None:
    assert remedy_name("reship", "fr") == "重新发货"


def test_renderer_language_in_params_does_not_clash() -> None:
    # GIVEN params that already carry a language / WHEN rendered / THEN the contact's one wins
    params = {**longest_params("survey", "en"), "language": "zh-CN"}
    sms = RENDERER.sms("survey", "en", params)
    assert CJK.search(sms.removeprefix(SMS_SIGNATURE)) is None


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("event", ["case_accepted", "periodic_update"])
def test_templates_late_case_promises_the_next_update_not_a_past_date(
    event: str, language: str
) -> None:
    # GIVEN a case whose resolution deadline has passed: no expected date, the next update's
    params = {**longest_params(event, language), "expected_by": None, "late": True}
    params["next_update_by"] = LATE
    parts = render_all(event, language, params)
    # THEN every part renders clean, names the next update's date, and the SMS still fits
    assert_clean(parts)
    day = "2026年12月31日" if language == "zh-CN" else "2026-12-31"
    for name in ("sms", "text", "html"):
        assert day in parts[name], name
    assert sms_segments(parts["sms"]) <= 2


# -- a customer's or merchant's file, as its holder is told ----------------------------------


@pytest.mark.parametrize(
    ("language", "activity", "subject", "said", "words", "next_step"),
    [
        (
            "zh-CN",
            "customer_evidence",
            "客户上传了证据文件：PC20261123-7K3F9Q（支付异常）",
            "客户上传了证据文件",
            "文件：\n支付截图.png\n这是扣款成功的截图",
            "案件已回到“调查中”，处理时限恢复计时",
        ),
        (
            "en",
            "customer_evidence",
            "The customer uploaded a file: PC20261123-7K3F9Q",
            "the customer uploaded a file",
            "The file:\n支付截图.png\n这是扣款成功的截图",
            "The case is back under investigation and its resolution clock runs again",
        ),
        (
            "zh-CN",
            "merchant_evidence",
            "商户上传了证据文件：PC20261123-7K3F9Q",
            "商户上传了证据文件",
            "文件：\ndelivery.jpg",
            "请尽快查看并答复",
        ),
        (
            "en",
            "merchant_evidence",
            "The merchant uploaded a file: PC20261123-7K3F9Q",
            "the merchant uploaded a file",
            "The file:\ndelivery.jpg",
            "Please read it and answer soon.",
        ),
    ],
)
def test_templates_case_activity_names_the_file_and_what_follows(
    language: str, activity: str, subject: str, said: str, words: str, next_step: str
) -> None:
    # GIVEN the agent holding PC20261123-7K3F9Q; the customer's screenshot (with their note)
    # brought the case back from waiting_customer; the merchant's photo changed no status
    customer = activity == "customer_evidence"
    params = {
        "case_number": "PC20261123-7K3F9Q",
        "category": "payment_anomaly",
        "status": "investigating" if customer else "waiting_merchant",
        "round": 1,
        "assignee_id": "st_agent",
        "assignee_name": "王芳",
        "staff_name": "王芳",
        "recipient_id": "st_agent",
        "recipient_role": "agent",
        "activity": activity,
        "text": "支付截图.png\n这是扣款成功的截图" if customer else "delivery.jpg",
        "resumed": customer,
    }
    email = RENDERER.email("case_activity", language, params)
    assert email.subject.startswith(subject)
    assert said in email.text
    assert words in email.text
    assert next_step in email.text
    assert "PC20261123-7K3F9Q" in email.text
    assert "王芳" in email.text


# -- incidents --------------------------------------------------------------------------------

GATEWAY = {
    "zh-CN": "工商银行网关11月23日10:00至12:30故障，期间扣款的订单可能显示未支付，"
    "款项将在3个工作日内退回。",
    "en": "The ICBC gateway failed on 23 Nov from 10:00 to 12:30; orders paid then may show as "
    "unpaid, and the money is returned within 3 working days.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_acknowledgement_of_an_incident_case_carries_its_summary(language: str) -> None:
    # GIVEN a complaint filed during an open incident (2026-11-23 10:30 in Shanghai)
    params = {
        "case_number": "PC20261123-7K3F9Q",
        "category": "payment_anomaly",
        "expected_by": "2026-11-25T10:00:00Z",
        "first_response_by": "2026-11-24T02:30:00Z",
        "provisional": False,
        "phone_masked": PHONE_MASKED,
        "email_masked": "l***@example.com",
        "incident_summary": GATEWAY[language],
    }
    email = RENDERER.email("case_received", language, params)
    sms = RENDERER.sms("case_received", language, params)
    # THEN the email tells the customer the known cause in full, with the case's own dates
    assert GATEWAY[language] in email.text
    assert GATEWAY[language] in email.html
    assert "PC20261123-7K3F9Q" in email.text
    assert ("2026-11-25" if language == "en" else "2026年11月25日") in email.text
    # AND the SMS says the cause is known, in two segments at most, without the free text
    known = "we know of" if language == "en" else "已掌握的故障"
    assert known in sms and GATEWAY[language][:8] not in sms
    assert sms.startswith(SMS_SIGNATURE) and sms_segments(sms) <= 2
    # AND a case with no incident says nothing of one
    plain = {k: v for k, v in params.items() if k != "incident_summary"}
    assert known not in RENDERER.sms("case_received", language, plain)
    assert GATEWAY[language] not in RENDERER.email("case_received", language, plain).text


@pytest.mark.parametrize("language", LANGUAGES)
def test_templates_incident_update_names_the_case_the_time_and_the_news(language: str) -> None:
    # GIVEN the second update of the gateway incident, posted 2026-11-23 11:15 Shanghai time
    news = {
        "zh-CN": "网关已恢复，退款已开始处理。",
        "en": "The gateway is back; refunds have started.",
    }[language]
    params = {
        "case_number": "PC20261123-7K3F9Q",
        "category": "payment_anomaly",
        "text": news,
        "posted_at": "2026-11-23T03:15:00Z",
        "send_after": "2026-11-23T03:16:40Z",
        "phone_masked": PHONE_MASKED,
        "email_masked": "l***@example.com",
    }
    email = RENDERER.email("incident_update", language, params)
    sms = RENDERER.sms("incident_update", language, params)
    # THEN the email carries the news and when it was posted, in Shanghai time
    assert news in email.text and news in email.html
    assert ("2026-11-23 11:15" if language == "en" else "2026年11月23日 11:15") in email.text
    assert "PC20261123-7K3F9Q" in email.subject
    # AND the SMS names the case and points to where the news is, with no free text
    assert "PC20261123-7K3F9Q" in sms and news not in sms
    assert sms.startswith(SMS_SIGNATURE) and sms_segments(sms) <= 2


@pytest.mark.parametrize(
    ("language", "facts"),
    [
        ("zh-CN", ("M100001", "2026年12月01日 20:30", "欧阳晓雯", "2026年12月02日 20:30", "401")),
        ("en", ("M100001", "2026-12-01 20:30", "Alexandra", "2026-12-02 20:30", "401")),
    ],
)
def test_templates_merchant_secret_rotated_says_who_when_and_until_when(
    language: str, facts: tuple[str, ...]
) -> None:
    # GIVEN an admin who rotated a merchant's secret at 20:30 Beijing time on 1 December
    params = {
        "merchant_name": MERCHANT_NAME[language],
        "merchant_id": "M100001",
        "rotated_at": "2026-12-01T12:30:00Z",
        "rotated_by": STAFF_NAME[language],
        "previous_valid_until": "2026-12-02T12:30:00Z",
    }
    email = RENDERER.email("merchant_secret_rotated", language, params)
    # THEN the text and the page say which account, when, who, and until when the old secret
    # works (the next day, same time), and what happens after
    for fact in facts:
        assert fact in email.text, fact
        assert fact in email.html, fact
    lines = {
        "zh-CN": (
            "更换时间：2026年12月01日 20:30",
            "操作人：欧阳晓雯",
            "原密钥有效至：2026年12月02日",
        ),
        "en": (
            "Replaced at: 2026-12-01 20:30",
            "Replaced by: Alexandra",
            "until: 2026-12-02 20:30",
        ),
    }[language]
    for line in lines:  # each time beside what it is
        assert line in email.text, line
    assert "M100001" in email.subject
    # AND never a secret
    assert "msk_" not in email.text + email.html + email.subject


# -- the merchant digest ------------------------------------------------------------------------

DIGEST = {
    "merchant_name": "星辰便利店",
    "merchant_id": "M100001",
    "hour_start": "2026-11-23T06:00:00Z",  # 14:00 in Beijing
    "individually": 5,
    "count": 8,
    "case_numbers": ["PC20261123-AAAAAA", "PC20261123-BBBBBB", "PC20261123-CCCCCC"],
    "more": 0,
}


@pytest.mark.parametrize(
    ("language", "subject", "facts"),
    [
        (
            "zh-CN",
            "2026年11月23日 14:00–15:00 共有 8 宗投诉涉及贵商户（汇总）",
            (
                "尊敬的星辰便利店：",
                "2026年11月23日 14:00–15:00（北京时间），共有 8 宗投诉涉及贵商户。",
                "前 5 宗已逐一通知，其余 3 宗汇总如下：",
            ),
        ),
        (
            "en",
            "8 complaints named your business 14:00-15:00 on 2026-11-23 (Beijing time) (digest)",
            (
                "Dear 星辰便利店,",
                "8 complaints named your business 14:00-15:00 on 2026-11-23 (Beijing time).",
                "we told you of the first 5 one by one; the other 3 are listed here:",
            ),
        ),
    ],
)
def test_merchant_digest_says_how_many_which_cases_and_which_hour(
    language: str, subject: str, facts: tuple[str, ...]
) -> None:
    email = RENDERER.email("merchant_digest", language, DIGEST)
    # THEN the subject names the hour and the count, in the merchant's language
    assert email.subject == subject
    # AND the text says whom it greets, which hour, how many in all, how many it lists
    for fact in facts:
        assert fact in email.text
    # AND lists exactly the case numbers it holds, each once, in both parts
    for number in DIGEST["case_numbers"]:
        assert email.text.count(number) == 1 and email.html.count(number) == 1
    assert email.text.count("- PC") == 3


@pytest.mark.parametrize("language", LANGUAGES)
def test_merchant_digest_past_its_list_says_how_many_more(language: str) -> None:
    email = RENDERER.email("merchant_digest", language, {**DIGEST, "count": 10, "more": 2})
    more = {"zh-CN": "另有 2 宗，请在商户接口中查看", "en": "and 2 more: see the merchant API"}
    assert more[language] in email.text and more[language] in email.html
    total = {"zh-CN": "其余 5 宗汇总如下", "en": "the other 5 are listed here"}
    assert total[language] in email.text


def test_merchant_digest_of_the_last_hour_of_a_day_ends_at_midnight() -> None:
    late = {**DIGEST, "hour_start": "2026-12-31T15:00:00Z"}
    assert "2026年12月31日 23:00–24:00" in RENDERER.email("merchant_digest", "zh-CN", late).subject
    assert "23:00-24:00 on 2026-12-31" in RENDERER.email("merchant_digest", "en", late).subject
