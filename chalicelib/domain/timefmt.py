"""RFC 3339 in UTC, the API's only time format."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def to_rfc3339(value: datetime) -> str:
    """`2026-11-23T10:00:00Z`: UTC, whole seconds."""
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


class OutOfRange(ValueError):
    """A well-formed time that has no UTC equivalent: within a day of year 1 or year 9999."""


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp with an explicit offset or `Z` into UTC; raises ValueError
    otherwise (OutOfRange when its offset would carry it past year 1 or year 9999)."""
    if not isinstance(text, str) or "T" not in text.upper():
        raise ValueError("not an RFC 3339 timestamp")
    value = datetime.fromisoformat(text.replace("z", "Z"))
    if value.tzinfo is None:
        raise ValueError("timestamp needs a UTC offset or Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise OutOfRange("timestamp is outside the years UTC can show") from None


def local_text(value: datetime, language: str = "zh-CN") -> str:
    """How notifications show a time: Asia/Shanghai local, minute precision."""
    local = value.astimezone(SHANGHAI)
    if language == "en":
        return local.strftime("%Y-%m-%d %H:%M") + " (Beijing time)"
    return local.strftime("%Y年%m月%d日 %H:%M")


def local_date_text(value: datetime, language: str = "zh-CN") -> str:
    local = value.astimezone(SHANGHAI)
    if language == "en":
        return local.strftime("%Y-%m-%d")
    return f"{local.year}年{local.month}月{local.day}日"
