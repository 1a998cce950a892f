"""What unverified intake may cost: which phones PayCase sends SMS to, and how many complaints
and acknowledgement SMS one phone gets from complaints filed without a proven phone.

`POST /v1/complaints` needs no credential, so without these limits anyone could make PayCase
text a stranger's phone again and again (SMS bombing) or pump SMS to expensive foreign numbers.
A complaint filed with an SMS session token (the phone proved by a code) is not limited.

Counts are kept per phone in fixed windows (`window_of`): one counter item per phone and window,
added to with a conditional write in the transaction that files the complaint (never read,
then written), so parallel complaints cannot pass a limit and a retried request that replays
its first answer never counts twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

# Windows start at midnight in China (UTC+8), so a 24-hour window is a calendar day there.
_WINDOW_ORIGIN = datetime(1970, 1, 1, 16, 0, tzinfo=UTC)

# Why an acknowledgement SMS was not sent (the delivery log and the case's timeline say so).
SMS_LIMIT = "intake_sms_limit"


@dataclass(frozen=True)
class IntakeLimits:
    """The configured limits (settings: PAYCASE_SMS_COUNTRIES, PAYCASE_INTAKE_*)."""

    # Country calling codes PayCase sends SMS to (mainland China by default).
    sms_countries: tuple[str, ...] = ("86",)
    # Per phone and window, for complaints filed without an SMS session:
    sms_per_phone: int = 3  # acknowledgement SMS; later complaints are acknowledged by email
    complaints_per_phone: int = 10  # complaints; the next is 429 rate_limited
    window: timedelta = timedelta(hours=24)
    # More "a complaint names you" emails than this to one merchant in an hour become a digest.
    merchant_digest_after: int = 5

    def __post_init__(self) -> None:
        if not self.sms_countries or not all(c.isdigit() for c in self.sms_countries):
            raise ValueError("sms_countries must be country calling codes (digits), e.g. 86")
        if self.sms_per_phone < 0 or self.complaints_per_phone < 1:
            raise ValueError("intake limits must be positive")
        if self.window < timedelta(minutes=1) or self.merchant_digest_after < 1:
            raise ValueError("the window is at least a minute, the digest threshold at least 1")


def country_code(e164: str) -> str:
    """The calling code of an E.164 number (`+8613800138000` -> `86`, `+14155550100` -> `1`)."""
    import phonenumbers  # imported here, as in contact.normalize_phone

    return str(phonenumbers.parse(e164, None).country_code)


def sms_allowed(e164: str | None, countries: tuple[str, ...]) -> bool:
    return e164 is not None and country_code(e164) in countries


def accepted_numbers(countries: tuple[str, ...]) -> str:
    """How the 400 on contact.phone names the numbers PayCase texts: `+86`, `+86 or +852`."""
    codes = [f"+{c}" for c in countries]
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


def outside_countries_message(countries: tuple[str, ...]) -> str:
    return (
        f"SMS goes only to {accepted_numbers(countries)} mobile numbers; "
        "give contact.email as well to be answered by email"
    )


@dataclass(frozen=True)
class Window:
    """One fixed counting window: its label (part of the counter's key) and its bounds."""

    label: str
    starts_at: datetime
    ends_at: datetime

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1): the 429's Retry-After."""
        return max(1, int(-(-(self.ends_at - now).total_seconds() // 1)))


def window_of(now: datetime, length: timedelta) -> Window:
    """The fixed window `now` falls in: windows of `length` laid end to end from a midnight in
    China, so 24-hour windows are its calendar days."""
    index = (now - _WINDOW_ORIGIN) // length
    starts = _WINDOW_ORIGIN + index * length
    return Window(f"{int(length.total_seconds())}s{index}", starts, starts + length)


def hour_of(at: datetime) -> datetime:
    """The start of the clock hour `at` falls in (UTC hours are China's hours, offset 8)."""
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
