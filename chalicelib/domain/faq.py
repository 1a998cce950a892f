"""Self-help answers returned with a new complaint, per category, in zh-CN and English."""

from __future__ import annotations

from .policy import Category

_GENERAL = {
    "zh-CN": {
        "question": "我可以随时查看处理进度吗？",
        "answer": "可以。请保存好案件编号和查询凭证，"
        "随时查看处理进度和记录，无需自行记录沟通内容。",
    },
    "en": {
        "question": "Can I check progress at any time?",
        "answer": "Yes. Keep your case number and access token; the case page shows every step, "
        "so you never need to keep your own record of calls and answers.",
    },
}

_BY_CATEGORY: dict[Category, dict[str, dict[str, str]]] = {
    Category.PAYMENT_ANOMALY: {
        "zh-CN": {
            "question": "扣款成功但订单显示未支付怎么办？",
            "answer": "多数情况下系统会在1至2个工作日内自动对账。"
            "如确认重复扣款或订单未完成，款项将原路退回。",
        },
        "en": {
            "question": "I was charged but the order still shows unpaid. What now?",
            "answer": "Most such payments are reconciled automatically within 1-2 working days. "
            "If the order was not completed, the money is returned to where it came from.",
        },
    },
    Category.REFUND_DELAY: {
        "zh-CN": {
            "question": "退款一般多久到账？",
            "answer": "退款到余额通常即时到账，退回银行卡一般需要1至5个工作日，以银行处理为准。",
        },
        "en": {
            "question": "How long does a refund take?",
            "answer": "Refunds to the wallet balance arrive at once; refunds to a bank card "
            "usually take 1-5 working days, depending on the bank.",
        },
    },
    Category.SECURITY_FRAUD: {
        "zh-CN": {
            "question": "怀疑被盗刷或遇到诈骗，我应该先做什么？",
            "answer": "请立即修改支付密码并冻结账户，"
            "不要向任何人透露验证码。我们不会索要您的密码或验证码。",
        },
        "en": {
            "question": "I suspect fraud. What should I do first?",
            "answer": "Change your payment password and freeze your account now, and never share a "
            "verification code. We will never ask for your password or codes.",
        },
    },
    Category.ACCOUNT_ACCESS: {
        "zh-CN": {
            "question": "收不到验证码怎么办？",
            "answer": "请检查手机是否拦截了短信、信号是否正常，"
            "并确认预留手机号无误；60秒后可重新获取。",
        },
        "en": {
            "question": "I do not receive verification codes.",
            "answer": "Check whether your phone blocks the SMS and has signal, and that the number "
            "on file is right; you can request a new code after 60 seconds.",
        },
    },
    Category.REPAYMENT_NEGOTIATION: {
        "zh-CN": {
            "question": "协商还款需要准备什么？",
            "answer": "请准备好收入证明、困难情况说明等信息，客服会在App内或电话中向您了解；"
            "协商结果一般在受理后15天内给出，如需延长会另行告知您。",
        },
        "en": {
            "question": "What do I need for a repayment negotiation?",
            "answer": "Have proof of income and a short account of your situation ready: the "
            "agent will ask about them in the app or by phone. An outcome is normally given "
            "within 15 days of acceptance; if it needs longer, you will be told.",
        },
    },
}


def faq_for(category: Category, language: str) -> list[dict[str, str]]:
    lang = language if language in ("zh-CN", "en") else "zh-CN"
    entries = [_BY_CATEGORY[category][lang]] if category in _BY_CATEGORY else []
    return [*entries, _GENERAL[lang]]
