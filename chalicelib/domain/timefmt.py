"""RFC 3339 in UTC, the API's only time format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
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


def hour_text(start: datetime, language: str = "zh-CN") -> str:
    """The clock hour starting at `start`, Asia/Shanghai local: `2026年11月23日 14:00–15:00`,
    `14:00-15:00 on 2026-11-23 (Beijing time)`."""
    local = start.astimezone(SHANGHAI)
    end = (local + timedelta(hours=1)).strftime("%H:%M").replace("00:00", "24:00")
    if language == "en":
        return f"{local:%H:%M}-{end} on {local:%Y-%m-%d} (Beijing time)"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}–{end}"


def local_date_text(value: datetime, language: str = "zh-CN") -> str:
    local = value.astimezone(SHANGHAI)
    if language == "en":
        return local.strftime("%Y-%m-%d")
    return f"{local.year}年{local.month}月{local.day}日"
