"""How cases and timelines look in API answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.case import Case, TimelineEntry
from chalicelib.domain.complaint import PaymentRef
from chalicelib.domain.policy import Deadlines
from chalicelib.domain.timefmt import local_date_text, to_rfc3339

CATEGORY_NAMES = {
    "payment_anomaly": {"zh-CN": "支付异常", "en": "payment problem"},
    "refund_delay": {"zh-CN": "退款未到账", "en": "refund delay"},
    "top_up_withdrawal": {"zh-CN": "充值提现未到账", "en": "top-up or withdrawal"},
    "account_access": {"zh-CN": "账户问题", "en": "account access"},
    "security_fraud": {"zh-CN": "盗刷与诈骗", "en": "security or fraud"},
    "repayment_negotiation": {"zh-CN": "协商还款", "en": "repayment negotiation"},
    "merchant_settlement": {"zh-CN": "商户收款", "en": "merchant settlement"},
    "other": {"zh-CN": "其他问题", "en": "other"},
}

# What each system timeline entry says; `{...}` names come from the entry's data.
_SUMMARIES = {
    "submitted": {
        "zh-CN": "已收到您的投诉（案件编号 {case_number}），预计 {expected} 前处理完毕。",
        "en": "Complaint received (case {case_number}); expected to be resolved by {expected}.",
    },
    "sla_due": {
        "zh-CN": "{clock_name}时限已到（{due}）。",
        "en": "The {clock_name} deadline ({due}) has passed.",
    },
}
_CLOCK_NAMES = {
    "first_response": {"zh-CN": "受理", "en": "first-response"},
    "resolution": {"zh-CN": "处理", "en": "resolution"},
}


def category_name(category: str, language: str) -> str:
    return CATEGORY_NAMES.get(category, {}).get(language, category)


def deadlines(value: Deadlines) -> dict[str, Any]:
    return {
        "first_response_due": to_rfc3339(value.first_response_due),
        "resolution_due": to_rfc3339(value.resolution_due),
        "regulatory_due": to_rfc3339(value.regulatory_due),
        "provisional": value.provisional,
    }


def payment(value: PaymentRef | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return {
        "transaction_id": value.transaction_id,
        "merchant_id": value.merchant_id,
        "order_id": value.order_id,
        "amount_fen": value.amount_fen,
        "currency": value.currency,
        "paid_at": to_rfc3339(value.paid_at) if value.paid_at else None,
    }


def summary(entry: TimelineEntry, language: str) -> str:
    if entry.text:
        return entry.text
    template = _SUMMARIES.get(entry.type, {}).get(language)
    if template is None:
        return entry.type.replace("_", " ")
    data = dict(entry.data)
    if "expected" in data:
        data["expected"] = local_date_text(_parse(data["expected"]), language)
    if "clock" in data:
        data["clock_name"] = _CLOCK_NAMES.get(data["clock"], {}).get(language, data["clock"])
    if "due" in data:
        data["due"] = local_date_text(_parse(data["due"]), language)
    try:
        return template.format(**data)
    except (KeyError, IndexError):
        return entry.type.replace("_", " ")


def timeline_entry(entry: TimelineEntry, language: str, *, internal: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "at": to_rfc3339(entry.at),
        "type": entry.type,
        "summary": summary(entry, language),
    }
    if internal:
        out.update(
            entry_id=entry.entry_id,
            actor=entry.actor,
            visibility=entry.visibility.value,
            data=entry.data,
        )
    return out


def customer_case(case: Case, timeline: list[TimelineEntry], sla_state: str) -> dict[str, Any]:
    lang = case.contact.language
    return {
        "case_id": case.case_id,
        "case_number": case.case_number,
        "status": case.status.value,
        "category": case.category.value,
        "created_at": to_rfc3339(case.created_at),
        "updated_at": to_rfc3339(case.updated_at),
        "deadlines": deadlines(case.deadlines),
        "sla": {"state": sla_state},
        "proposal": None,
        "payment": payment(case.payment),
        "contact": case.contact.masked(),
        "timeline": [timeline_entry(e, lang, internal=False) for e in timeline],
    }


def _parse(value: str) -> datetime:
    from chalicelib.domain.timefmt import parse_rfc3339

    return parse_rfc3339(value)
