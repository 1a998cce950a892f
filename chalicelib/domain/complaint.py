"""Reading a complaint submission (POST /v1/complaints) into a clean request."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import limits
from . import validation as v
from .contact import (
    CHANNELS,
    LANGUAGES,
    Contact,
    normalize_email,
    normalize_phone,
)
from .errors import ValidationFailed
from .intake import outside_countries_message, sms_allowed
from .policy import Category

INTAKE_CHANNELS = ("web", "app", "phone", "chat", "email")
# A merchant_settlement case opened by a merchant's payment query came in through the merchant API.
MERCHANT_QUERY_CHANNEL = "merchant_api"
CASE_CHANNELS = (*INTAKE_CHANNELS, MERCHANT_QUERY_CHANNEL)
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]*")
MAX_AMOUNT_FEN = limits.AMOUNT_FEN.high


def order_ref(merchant_id: str, order_id: str) -> str:
    """A merchant's order as one reference (order ids are unique per merchant only): how the
    ledger, the cases and the queries that name an order without its transaction find it."""
    return f"{merchant_id}#{order_id}"


# A wallet's success screen may be slightly ahead of our clock; more than this is a mistake.
PAID_AT_TOLERANCE = timedelta(minutes=10)


@dataclass(frozen=True)
class PaymentRef:
    transaction_id: str | None = None
    merchant_id: str | None = None
    order_id: str | None = None
    amount_fen: int | None = None
    currency: str = "CNY"
    paid_at: datetime | None = None


@dataclass(frozen=True)
class ComplaintRequest:
    category: Category
    description: str
    contact: Contact
    payment: PaymentRef | None
    channel: str


def parse_complaint(
    body: Any, now: datetime, sms_countries: tuple[str, ...] = ("86",)
) -> ComplaintRequest:
    """Validate a complaint body; raises ValidationFailed naming every bad field. A phone
    outside `sms_countries` is kept for staff to call, but its case is answered by email only
    (and without an email the complaint is refused on contact.phone)."""
    problems = v.Problems()
    data = v.require_object(body, problems)
    v.reject_unknown(data, ("category", "description", "contact", "payment", "channel"), problems)
    category = v.choice(data, "category", [c.value for c in Category], problems, required=True)
    description = v.text(
        data, "description", problems, required=True, max_len=limits.DESCRIPTION, multiline=True
    )
    channel = v.choice(data, "channel", INTAKE_CHANNELS, problems, default="web")
    contact = _contact(data.get("contact"), problems, sms_countries)
    raw_payment = data.get("payment")  # null, like any optional field, means "not given"
    payment = _payment(raw_payment, problems, now) if raw_payment is not None else None
    if problems or not (category and description and channel and contact):
        raise ValidationFailed(problems.fields)
    return ComplaintRequest(Category(category), description, contact, payment, channel)


def _contact(raw: Any, problems: v.Problems, sms_countries: tuple[str, ...]) -> Contact | None:
    if raw is None:
        problems.add("contact", "is required")
        return None
    data = v.require_object(raw, problems, "contact")
    v.reject_unknown(data, ("phone", "email", "language", "channels"), problems, "contact.")
    phone = v.normalized(
        data, "phone", normalize_phone, problems, field="contact.phone", max_len=limits.PHONE
    )
    email = v.normalized(
        data, "email", normalize_email, problems, field="contact.email", max_len=limits.EMAIL
    )
    language = v.choice(data, "language", LANGUAGES, problems, field="contact.language")
    point_errors = any(f in problems.fields for f in ("contact.phone", "contact.email"))
    if phone is None and email is None and not point_errors:
        problems.add("contact", "needs a phone or an email")
    channels = _channels(data, phone, email, problems)
    if phone is not None and not sms_allowed(phone, sms_countries):
        if email is None and "contact.email" not in problems.fields:
            problems.add("contact.phone", outside_countries_message(sms_countries))
        channels = ("email",)  # the phone is kept for staff; messages go by email only
    if problems:
        return None
    return Contact(phone=phone, email=email, language=language or "zh-CN", channels=channels)


def _channels(
    data: Mapping[str, Any], phone: str | None, email: str | None, problems: v.Problems
) -> tuple[str, ...]:
    raw = data.get("channels")
    if raw is None:
        return tuple(c for c, point in (("sms", phone), ("email", email)) if point)
    if not isinstance(raw, list) or not raw or any(c not in CHANNELS for c in raw):
        problems.add("contact.channels", "must be a non-empty list of: sms, email")
        return ()
    if "sms" in raw and not data.get("phone"):
        problems.add("contact.channels", "sms needs contact.phone")
    if "email" in raw and not data.get("email"):
        problems.add("contact.channels", "email needs contact.email")
    return tuple(c for c in CHANNELS if c in raw)


def _payment(raw: Any, problems: v.Problems, now: datetime) -> PaymentRef | None:
    data = v.require_object(raw, problems, "payment")
    allowed = ("transaction_id", "merchant_id", "order_id", "amount_fen", "currency", "paid_at")
    v.reject_unknown(data, allowed, problems, "payment.")
    refs = {
        key: v.text(
            data, key, problems, field=f"payment.{key}", max_len=limits.REFERENCE, pattern=REFERENCE
        )
        for key in ("transaction_id", "merchant_id", "order_id")
    }
    amount = v.integer(
        data, "amount_fen", problems, field="payment.amount_fen", minimum=1, maximum=MAX_AMOUNT_FEN
    )
    currency = v.choice(data, "currency", ("CNY",), problems, field="payment.currency")
    paid_at = v.timestamp(data, "paid_at", problems, field="payment.paid_at")
    if paid_at is not None and paid_at > now + PAID_AT_TOLERANCE:
        problems.add("payment.paid_at", "is in the future")
    named = refs["transaction_id"] or refs["order_id"]
    if not named and not any(f.startswith("payment") for f in problems.fields):
        problems.add("payment", "needs a transaction_id or an order_id")
    return PaymentRef(
        transaction_id=refs["transaction_id"],
        merchant_id=refs["merchant_id"],
        order_id=refs["order_id"],
        amount_fen=amount,
        currency=currency or "CNY",
        paid_at=paid_at,
    )
