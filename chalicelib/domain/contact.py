"""Customer contact points: normalisation (E.164 phones, validated addresses) and masking."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

LANGUAGES = ("zh-CN", "en")
CHANNELS = ("sms", "email")


class InvalidContact(ValueError):
    """A phone or address that cannot reach anyone; the message says why."""


def normalize_phone(raw: str, default_region: str = "CN") -> str:
    """E.164 for a mobile number that can receive SMS. Accepts E.164 (`+8613800138000`) and
    national formats of `default_region` (`13800138000`, `138 0013 8000`)."""
    # Imported here: phonenumbers costs ~20 ms at import and only complaint intake needs it.
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidContact("is not a phone number") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidContact("is not a valid phone number")
    if phonenumbers.number_type(number) not in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidContact("must be a mobile number that can receive SMS")
    return str(phonenumbers.format_number(number, PhoneNumberFormat.E164))


def normalize_email(raw: str) -> str:
    """The normalised address; syntax only (no DNS lookups on the request path)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidContact(f"is not a valid email address ({exc})") from exc
    return str(result.normalized)


def mask_phone(e164: str | None) -> str | None:
    """`+8613800138000` -> `138****8000`; other countries keep their calling code."""
    if not e164:
        return None
    digits = e164.lstrip("+")
    national = digits[2:] if digits.startswith("86") else digits
    if len(national) < 7:
        return "*" * len(national)
    head = national[:3]
    masked = f"{head}{'*' * (len(national) - 7)}{national[-4:]}"
    return masked if digits.startswith("86") else f"+{masked}"


def mask_email(address: str | None) -> str | None:
    """`zhang.san@example.com` -> `z***@example.com`."""
    if not address or "@" not in address:
        return None
    local, domain = address.rsplit("@", 1)
    return f"{local[:1]}***@{domain}"


# Card, account and phone numbers in free text: 11 or more digits in a row, or written in groups
# (6222 0212 3456 7890 123, 138-0013-8000). Dates, amounts, case numbers and the usual
# references (TXN-20261123-0001) are shorter runs and stay as written.
_NUMBER = re.compile(
    r"(?<!\d)(?:\d{11,}|\d{4}(?:[ -]\d{4}){3}[ -]\d{3}|\d{3,4}(?:[ -]\d{4}){2,})(?!\d)"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def mask_numbers(text: str) -> str:
    """Every card, account or phone number in `text` shown as its first 3 and last 4 digits
    (`6222021234567890123` -> `622****0123`, `138 0013 8000` -> `138****8000`)."""

    def masked(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group())
        return f"{digits[:3]}****{digits[-4:]}"

    return _NUMBER.sub(masked, text)


def redact(text: str) -> str:
    """A customer's own words as someone else may read them: numbers masked as in
    `mask_numbers`, email addresses hidden."""
    return _EMAIL.sub("***@***", mask_numbers(text))


@dataclass(frozen=True)
class Contact:
    phone: str | None = None
    email: str | None = None
    language: str = "zh-CN"
    channels: tuple[str, ...] = field(default=CHANNELS)
    sms_opt_out: bool = False

    def reachable_channels(self) -> tuple[str, ...]:
        """The channels a message may actually use, in preference order. A customer who
        wants SMS but turned it off (or replied TD) gets email instead, if there is an
        address."""
        out = []
        wants_sms = "sms" in self.channels
        if wants_sms and self.phone and not self.sms_opt_out:
            out.append("sms")
        if self.email and ("email" in self.channels or (wants_sms and self.sms_opt_out)):
            out.append("email")
        return tuple(out)

    def masked(self) -> dict[str, Any]:
        return {
            "phone": mask_phone(self.phone),
            "email": mask_email(self.email),
            "language": self.language,
            "channels": list(self.channels),
            "sms_opt_out": self.sms_opt_out,
        }

    def with_preferences(self, **changes: Any) -> Contact:
        return replace(self, **changes)


def contact_key(contact: Contact) -> str | None:
    """How a contact's cases are found (customer sessions, repeat complaints): the phone, else
    the lower-cased email."""
    if contact.phone:
        return contact.phone
    return contact.email.lower() if contact.email else None
