"""Display names of the codes people read (categories, statuses, clocks, verdicts, remedies,
roles, outcomes, the reasons the system gives), in zh-CN and en: one table per kind of code,
used by the API's presenters and by the message templates alike. An unknown code shows as
itself; an unknown language as zh-CN."""

from __future__ import annotations

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

# Display names of the codes messages mention; an unknown code shows as itself.
REMEDY_NAMES = {
    "full_refund": {"zh-CN": "全额退款", "en": "full refund"},
    "partial_refund": {"zh-CN": "部分退款", "en": "partial refund"},
    "reship": {"zh-CN": "重新发货", "en": "re-shipment"},
    "installment_plan": {"zh-CN": "分期还款", "en": "instalment plan"},
    "deferral": {"zh-CN": "延期还款", "en": "deferral"},
    "fee_waiver": {"zh-CN": "减免费用", "en": "fee waiver"},
    "explanation": {"zh-CN": "情况说明", "en": "explanation"},
}
ROLE_NAMES = {
    "agent": {"zh-CN": "客服专员", "en": "agent"},
    "supervisor": {"zh-CN": "主管", "en": "supervisor"},
    "admin": {"zh-CN": "管理员", "en": "administrator"},
    "reviewer": {"zh-CN": "复核专员", "en": "reviewer"},
}
OUTCOME_NAMES = {
    "resolved": {"zh-CN": "已解决", "en": "resolved"},
    "unresolved": {"zh-CN": "未解决", "en": "unresolved"},
}
CLOCK_NAMES = {
    "first_response": {"zh-CN": "受理", "en": "first response"},
    "resolution": {"zh-CN": "处理", "en": "resolution"},
    "second_review_first_response": {"zh-CN": "二次协商受理", "en": "second-review response"},
    "second_review": {"zh-CN": "二次协商", "en": "second review"},
    "merchant_response": {"zh-CN": "商户回复", "en": "merchant response"},
    "regulatory": {"zh-CN": "决定", "en": "decision"},
}
VERDICT_NAMES = {
    "settled": {"zh-CN": "已到账", "en": "settled"},
    "pending_settlement": {"zh-CN": "已支付，待结算", "en": "paid, settlement pending"},
    "failed": {"zh-CN": "支付失败", "en": "payment failed"},
    "refunded": {"zh-CN": "已退款", "en": "refunded"},
    "amount_mismatch": {"zh-CN": "金额不符", "en": "amount mismatch"},
    "not_found": {"zh-CN": "未查到该笔支付", "en": "payment not found"},
}
# Why the system moved a case (lifecycle.REASONS), as its reader is told.
REASON_TEXTS = {
    "no_agreement_by_limit": {
        "zh-CN": "截至处理期限，仍未就处理方案达成一致",
        "en": "no agreement was reached by the deadline",
    },
    "no_reply": {
        "zh-CN": "未在期限内收到需要您补充的信息",
        "en": "the information we asked for did not arrive in time",
    },
    "incident_resolved": {
        "zh-CN": "导致您问题的已知故障已经修复",
        "en": "the known problem behind your complaint was fixed",
    },
    "payment_settled": {
        "zh-CN": "支付平台确认该笔款项已结算到账",
        "en": "the payment platform confirmed that the funds were settled",
    },
    "refund_failed": {
        "zh-CN": "一笔退款未成功，案件重新调查",
        "en": "a refund failed, so the case is being investigated again",
    },
}
STATUS_NAMES = {
    "submitted": {"zh-CN": "已提交", "en": "submitted"},
    "accepted": {"zh-CN": "已受理", "en": "accepted"},
    "investigating": {"zh-CN": "调查中", "en": "investigating"},
    "waiting_customer": {"zh-CN": "待您补充材料", "en": "waiting for you"},
    "waiting_merchant": {"zh-CN": "待商户回复", "en": "waiting for the merchant"},
    "negotiating": {"zh-CN": "协商中", "en": "negotiating"},
    "resolved": {"zh-CN": "已解决", "en": "resolved"},
    "unresolved": {"zh-CN": "未解决", "en": "unresolved"},
    "second_review": {"zh-CN": "二次协商", "en": "second review"},
    "closed": {"zh-CN": "已结案", "en": "closed"},
    "withdrawn": {"zh-CN": "已撤回", "en": "withdrawn"},
}


def _name(names: dict[str, dict[str, str]], code: str, language: str) -> str:
    """The display name of `code`; an unknown code shows as itself, an unknown language as zh-CN."""
    by_language = names.get(code)
    if by_language is None:
        return code
    return by_language.get(language, by_language["zh-CN"])


def remedy_name(kind: str, language: str = "zh-CN") -> str:
    return _name(REMEDY_NAMES, kind, language)


def outcome_name(outcome: str, language: str = "zh-CN") -> str:
    return _name(OUTCOME_NAMES, outcome, language)


def verdict_name(verdict: str, language: str = "zh-CN") -> str:
    return _name(VERDICT_NAMES, verdict, language)


def role_name(role: str, language: str = "zh-CN") -> str:
    return _name(ROLE_NAMES, role, language)


def reason_text(reason: str, language: str = "zh-CN") -> str:
    return _name(REASON_TEXTS, reason, language)


def clock_name(clock: str, language: str = "zh-CN") -> str:
    return _name(CLOCK_NAMES, clock, language)


def category_name(category: str, language: str = "zh-CN") -> str:
    return _name(CATEGORY_NAMES, category, language)


def status_name(status: str, language: str = "zh-CN") -> str:
    return _name(STATUS_NAMES, status, language)
