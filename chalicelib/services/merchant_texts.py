"""What the merchant API says in words, in the merchant's language: the warning a query that
found no payment (or another amount) answers with, and what its case is about."""

from __future__ import annotations

from chalicelib.domain.ledger import Payment
from chalicelib.domain.verdicts import PaymentQuery

FORGERY_WARNING = {
    "en": (
        "We could not confirm this payment as described. Success screens can be forged: do not "
        "ship goods, provide the service or 'refund an overpayment' until the funds are "
        "confirmed. We opened a case to check it and will email you the outcome."
    ),
    "zh-CN": (
        "我们未能按您描述的信息确认这笔支付。“支付成功”页面可能被伪造：在确认款项到账前，"
        "请勿发货、提供服务或“退还多付的款项”。我们已立案核查，结果将通过邮件告知您。"
    ),
}


def forgery_warning(language: str) -> dict[str, str]:
    """The warning a query that opened a case answers with, in the merchant's language."""
    text = FORGERY_WARNING.get(language, FORGERY_WARNING["zh-CN"])
    return {"code": "forged_success_screen_risk", "message": text}


def case_description(query: PaymentQuery, payment: Payment | None, language: str) -> str:
    """What the merchant-settlement case is about, in the merchant's language (the merchant
    reads it in its case view; staff read either)."""
    amount = f"{query.amount_fen // 100}.{query.amount_fen % 100:02d}"
    if language == "en":
        ref = (
            f"transaction {query.transaction_id}"
            if query.transaction_id
            else (f"order {query.order_id}")
        )
        if payment is None:
            found = "the ledger has no such payment (beware of forged success screens)"
        else:
            paid = f"{payment.amount_fen // 100}.{payment.amount_fen % 100:02d}"
            found = f"the ledger holds CNY {paid}, not the amount asked about"
        text = f"Merchant payment query {query.query_id}: {ref}, CNY {amount} asked; {found}."
        return text + (f"\nMerchant's note: {query.note}" if query.note else "")
    ref = f"交易号 {query.transaction_id}" if query.transaction_id else f"订单号 {query.order_id}"
    if payment is None:
        found = "账本中没有找到这笔支付（请警惕伪造的支付成功截图）"
    else:
        paid = f"{payment.amount_fen // 100}.{payment.amount_fen % 100:02d}"
        found = f"账本中的金额为 {paid} 元，与查询金额不符"
    text = f"商户支付确认查询 {query.query_id}：{ref}，查询金额 {amount} 元；{found}。"
    if query.note:
        text += f"\n商户备注：{query.note}"
    return text
