"""What each timeline entry says to its reader, and how amounts and last days read in any text
(the API's answers and the message templates, chalicelib/notifications/render.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.case import TimelineEntry
from chalicelib.domain.names import REASON_TEXTS, clock_name, status_name, verdict_name
from chalicelib.domain.timefmt import local_date_text, parse_rfc3339

# What each timeline entry says; `{...}` names come from the entry's data. A person's own words
# (messages, call summaries, notes) are shown as written.
_SUMMARIES = {
    "submitted": {
        "zh-CN": "已收到您的投诉（案件编号 {case_number}），预计 {expected} 前处理完毕。",
        "en": "Complaint received (case {case_number}); expected to be resolved by {expected}.",
    },
    "accepted": {"zh-CN": "您的投诉已受理。", "en": "Your complaint was accepted."},
    "status_changed": {"zh-CN": "处理状态：{to_name}。", "en": "Status: {to_name}."},
    "proposal_made": {"zh-CN": "我们提出了解决方案。", "en": "We made you an offer."},
    "proposal_accepted": {"zh-CN": "您接受了解决方案。", "en": "You accepted the offer."},
    "proposal_rejected": {"zh-CN": "您拒绝了解决方案。", "en": "You rejected the offer."},
    "second_review_opened": {
        "zh-CN": "您的异议已受理，进入二次协商（复核）。",
        "en": "Your objection opened a second review.",
    },
    "second_review_decided": {
        "zh-CN": "二次协商已作出最终决定：{to_name}。",
        "en": "The second review reached a final decision: {to_name}.",
    },
    "withdrawn": {"zh-CN": "您已撤回投诉。", "en": "You withdrew the complaint."},
    "closed": {"zh-CN": "案件已结案。", "en": "The case is closed."},
    "feedback": {"zh-CN": "您的评价：{rating} 分。", "en": "Your rating: {rating} of 5."},
    "sla_due": {
        "zh-CN": "{clock_name}时限已到（{due}）。",
        "en": "The {clock_name} deadline ({due}) has passed.",
    },
    "assigned": {"zh-CN": "已分派给 {assignee}。", "en": "Assigned to {assignee}."},
    "reminder_sent": {"zh-CN": "已提醒客户补充材料。", "en": "Reminded the customer."},
    "regulatory_extended": {
        "zh-CN": "决定期限延长至 {regulatory_due_date}。",
        "en": "The decision deadline was extended to {regulatory_due_date}.",
    },
    "progress_update": {
        "zh-CN": "案件仍在处理中，预计 {expected} 前完成。",
        "en": "Still in progress; expected by {expected}.",
    },
    "progress_update_late": {
        "zh-CN": "案件仍在处理中，处理时间已超出预计；我们会在 {next_update} 前再次告知您进展。",
        "en": "Still in progress, later than we expected; next update by {next_update}.",
    },
    "acknowledgement_sms_suppressed": {
        "zh-CN": "未发送受理短信：{window_hours} 小时内未经验证码验证的投诉已向该手机号发送 "
        "{limit} 条受理短信{instead}。",
        "en": "Acknowledgement SMS not sent: complaints filed without a one-time code already "
        "sent this phone {limit} within {window_hours} hours{instead}.",
    },
    "sla_warning": {
        "zh-CN": "{clock_name}时限已用去 {percent}%（{due} 到期）。",
        "en": "{percent}% of the {clock_name} time is used (due {due}).",
    },
    "payment_found": {
        "zh-CN": "支付平台查到该笔支付：{verdict_name}。",
        "en": "The payment platform reports the payment: {verdict_name}.",
    },
    "payment_confirmed": {
        "zh-CN": "支付平台确认您的付款 {amount} 已支付成功{settlement}。",
        "en": "The payment platform confirms your payment of {amount} succeeded{settlement}.",
    },
    "payment_failed": {
        "zh-CN": "支付平台报告您的付款 {amount} 未成功。",
        "en": "The payment platform reports that your payment of {amount} failed.",
    },
    "payment_reversed": {
        "zh-CN": "您的付款 {amount} 已撤销，款项将原路退回。",
        "en": "Your payment of {amount} was reversed; the money goes back the way it came.",
    },
    "refund_succeeded": {
        "zh-CN": "退款 {amount} 已办理成功（退款单号 {refund_id}）。",
        "en": "The refund of {amount} succeeded (refund {refund_id}).",
    },
    "refund_failed": {
        "zh-CN": "退款 {amount} 暂未成功，我们正在重新处理。",
        "en": "The refund of {amount} did not go through; we are handling it again.",
    },
    "incident_update": {
        "zh-CN": "关于导致您问题的已知故障的最新进展：",
        "en": "News of the known problem behind your complaint:",
    },
    "incident_linked": {
        "zh-CN": "已关联到事件「{title}」。",
        "en": "Linked to the incident \u201c{title}\u201d.",
    },
    "incident_unlinked": {
        "zh-CN": "已取消与事件「{title}」的关联。",
        "en": "No longer linked to the incident \u201c{title}\u201d.",
    },
    "preferences_changed": {
        "zh-CN": "客户更改了通知偏好。",
        "en": "The customer changed how they are notified.",
    },
    "deadlines_recomputed": {
        "zh-CN": "节假日安排已更新，时限重新计算：处理时限 {resolution_due_date}。",
        "en": "Deadlines recomputed on the updated calendar: resolution due {resolution_due_date}.",
    },
    "sla_escalated": {
        "zh-CN": "{clock_name}超时已升级（第 {level} 级）。",
        "en": "The {clock_name} breach was escalated (level {level}).",
    },
    "evidence_added": {
        "zh-CN": "已收到文件：{filename}（{uploader_name}上传）。",
        "en": "File received: {filename} (uploaded by {uploader_name}).",
    },
    "evidence_shared": {"zh-CN": "文件已共享：{filename}。", "en": "File shared: {filename}."},
    "evidence_rejected": {
        "zh-CN": "文件未通过检查：{filename}（{rejected_why}）。",
        "en": "File rejected: {filename} ({rejected_why}).",
    },
    "evidence_downloaded": {
        "zh-CN": "文件被下载：{filename}。",
        "en": "File downloaded: {filename}.",
    },
}
_UPLOADERS = {
    "customer": {"zh-CN": "客户", "en": "the customer"},
    "merchant": {"zh-CN": "商户", "en": "the merchant"},
    "staff": {"zh-CN": "客服", "en": "staff"},
}
_REJECTED = {
    "not_uploaded": {"zh-CN": "未收到文件", "en": "nothing was uploaded"},
    "size_mismatch": {"zh-CN": "大小与声明不符", "en": "its size is not the one declared"},
    "type_mismatch": {"zh-CN": "内容与声明的类型不符", "en": "it is not of the declared type"},
    "sha256_mismatch": {"zh-CN": "校验值不符", "en": "its SHA-256 does not match"},
    "threats_found": {"zh-CN": "发现恶意内容", "en": "the malware scan found a threat"},
    "scan_failed": {"zh-CN": "无法完成安全扫描", "en": "it could not be scanned"},
    "expired": {"zh-CN": "上传已过期", "en": "the upload expired"},
}
_OWN_WORDS = frozenset(
    {
        "customer_message",
        "message",
        "call_logged",
        "chat_logged",
        "note",
        "proposal_made",
        "merchant_response",
    }
)


_WHY = {"zh-CN": "原因：{}。", "en": " Why: {}."}


def money(fen: int | None, language: str = "zh-CN") -> str:
    """Fen as yuan with two decimals: `12.80元` (zh-CN) or `CNY 12.80` (en); None renders as ""."""
    if fen is None:
        return ""
    value = int(fen)  # integer arithmetic: no float rounding on large amounts
    yuan, cents = divmod(abs(value), 100)
    amount = f"{'-' if value < 0 else ''}{yuan}.{cents:02d}"
    return f"CNY {amount}" if language == "en" else f"{amount}元"


def last_day_text(due: datetime, language: str) -> str:
    """The last day a deadline leaves: one due at midnight is met by the end of the day before."""
    return local_date_text(due - timedelta(microseconds=1), language)


_SETTLEMENT = {"zh-CN": "，将于 {} 前结算给商户", "en": "; the merchant receives it by {}"}
_SETTLED = {"zh-CN": "，并已结算给商户", "en": " and has reached the merchant"}
_INSTEAD = {
    True: {"zh-CN": "，已改用邮件告知", "en": "; acknowledged by email instead"},
    False: {"zh-CN": "，客户未留邮箱，未收到受理通知", "en": "; no email given, so none was sent"},
}
# Placeholders an entry may lack: they then say nothing.
_OPTIONAL = ("settlement", "instead")

# How an entry's data shows in its summary: a key present in the data adds a display value.
_SHOWN: dict[str, tuple[str, Callable[[Any, str], str]]] = {
    "expected": ("expected", lambda v, lang: local_date_text(_parse(v), lang)),
    "next_update": ("next_update", lambda v, lang: local_date_text(_parse(v), lang)),
    "clock": ("clock_name", lambda v, lang: clock_name(str(v), lang)),
    "due": ("due", lambda v, lang: local_date_text(_parse(v), lang)),
    "regulatory_due": ("regulatory_due_date", lambda v, lang: last_day_text(_parse(v), lang)),
    "resolution_due": ("resolution_due_date", lambda v, lang: local_date_text(_parse(v), lang)),
    "verdict": ("verdict_name", lambda v, lang: verdict_name(str(v), lang)),
    "to": ("to_name", lambda v, lang: status_name(str(v), lang)),
    "amount_fen": ("amount", lambda v, lang: money(int(v), lang)),
    "settled": ("settlement", lambda v, lang: _SETTLED[lang] if v else ""),
    "uploaded_by": ("uploader_name", lambda v, lang: _UPLOADERS.get(str(v), {}).get(lang, "")),
    "reason": ("rejected_why", lambda v, lang: _REJECTED.get(str(v), {}).get(lang, str(v))),
    "by_email": ("instead", lambda v, lang: _INSTEAD[bool(v)][lang]),
    "expected_settlement_by": (
        "settlement",
        lambda v, lang: _SETTLEMENT[lang].format(local_date_text(_parse(v), lang)),
    ),
}


def summary(entry: TimelineEntry, language: str) -> str:
    """What a timeline entry says, in `language`; a person's own words as they wrote them."""
    if entry.text and entry.type in _OWN_WORDS:
        return entry.text
    variant = f"{entry.type}_late" if entry.data.get("late") else entry.type
    template = _SUMMARIES.get(variant, {}).get(language)
    if template is None:
        return entry.text or entry.type.replace("_", " ")
    data: dict[str, Any] = {name: "" for name in _OPTIONAL} | dict(entry.data)
    for key, (name, show) in _SHOWN.items():
        if key in data and data[key] is not None:
            data[name] = show(data[key], language)
    try:
        text = template.format(**data)
    except (KeyError, IndexError):
        return entry.type.replace("_", " ")
    if data.get("reason") in REASON_TEXTS:
        text += _WHY[language].format(REASON_TEXTS[data["reason"]][language])
    return f"{text} {entry.text}" if entry.text else text


def _parse(value: str) -> datetime:
    return parse_rfc3339(value)
