"""Small, strict readers for JSON request bodies that collect every problem before failing.

Each reader returns the clean value or None and records a human reason under the field's dotted
path, so a client learns about all its mistakes in one `validation_failed` answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any

from . import limits
from .errors import ValidationFailed
from .timefmt import OutOfRange, parse_rfc3339

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class Problems:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def add(self, field: str, why: str) -> None:
        self.fields.setdefault(field, why)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)


_ABSENT = object()

# A complaint, payment or deadline outside these years is a typo, and near year 1 or 9999 a
# time cannot even be moved to another offset.
FIRST_YEAR, LAST_YEAR = 2000, 2200
OUTSIDE_YEARS = f"must be a time between the years {FIRST_YEAR} and {LAST_YEAR}"


def plausible(value: date) -> bool:
    """Is this date, or this time in UTC, within the years the API accepts?"""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def _present(
    obj: Mapping[str, Any], key: str, problems: Problems, name: str, required: bool
) -> Any:
    """The value at `key`, or _ABSENT (recording "is required" when it must be there)."""
    value = obj.get(key)
    if value is None:
        if required:
            problems.add(name, "is required")
        return _ABSENT
    return value


def require_object(body: Any, problems: Problems, field: str = "body") -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        return body
    problems.add(field, "must be a JSON object")
    return {}


def reject_unknown(
    obj: Mapping[str, Any], allowed: Collection[str], problems: Problems, prefix: str = ""
) -> None:
    for key in obj:
        if key not in allowed:
            problems.add(f"{prefix}{key}", "unknown field")


def text(
    obj: Mapping[str, Any],
    key: str,
    problems: Problems,
    *,
    field: str | None = None,
    required: bool = False,
    max_len: int = 200,
    min_len: int = 1,
    pattern: re.Pattern[str] | None = None,
    multiline: bool = False,
) -> str | None:
    """A string, stripped of surrounding whitespace; Chinese text and emoji are ordinary text."""
    name = field or key
    value = _present(obj, key, problems, name, required)
    if value is _ABSENT:
        return None
    if not isinstance(value, str):
        problems.add(name, "must be a string")
        return None
    value = value.strip()
    if _SURROGATE.search(value):
        problems.add(name, "contains characters that are not valid Unicode")
        return None
    if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
        problems.add(name, "contains control characters")
        return None
    if len(value) < min_len:
        problems.add(
            name, "must not be empty" if min_len == 1 else f"needs at least {min_len} characters"
        )
        return None
    if len(value) > max_len:
        problems.add(name, f"must be at most {max_len} characters")
        return None
    if pattern is not None and not pattern.fullmatch(value):
        problems.add(name, "has characters that are not allowed")
        return None
    return value


def integer(
    obj: Mapping[str, Any],
    key: str,
    problems: Problems,
    *,
    field: str | None = None,
    required: bool = False,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    name = field or key
    value = _present(obj, key, problems, name, required)
    if value is _ABSENT:
        return None
    # bool is an int in Python and 1.0 is a float in JSON: neither is an integer amount.
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(name, "must be an integer")
        return None
    if minimum is not None and value < minimum:
        problems.add(name, f"must be at least {minimum}")
        return None
    if maximum is not None and value > maximum:
        problems.add(name, f"must be at most {maximum}")
        return None
    return value


def choice(
    obj: Mapping[str, Any],
    key: str,
    options: Collection[str],
    problems: Problems,
    *,
    field: str | None = None,
    required: bool = False,
    default: str | None = None,
) -> str | None:
    name = field or key
    value = _present(obj, key, problems, name, required)
    if value is _ABSENT:
        return default
    if not isinstance(value, str) or value not in options:
        problems.add(name, "must be one of: " + ", ".join(sorted(options)))
        return None
    return value


def timestamp(
    obj: Mapping[str, Any],
    key: str,
    problems: Problems,
    *,
    field: str | None = None,
    required: bool = False,
) -> datetime | None:
    """An RFC 3339 time, in UTC, between FIRST_YEAR and LAST_YEAR."""
    name = field or key
    value = _present(obj, key, problems, name, required)
    if value is _ABSENT:
        return None
    try:
        at = parse_rfc3339(value)
    except OutOfRange:
        problems.add(name, OUTSIDE_YEARS)
        return None
    except (TypeError, ValueError):
        problems.add(name, "must be an RFC 3339 time such as 2026-11-23T10:00:00Z")
        return None
    if not plausible(at):
        problems.add(name, OUTSIDE_YEARS)
        return None
    return at


def boolean(
    obj: Mapping[str, Any], key: str, problems: Problems, *, field: str | None = None
) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        problems.add(field or key, "must be true or false")
        return None
    return value


def normalized(
    obj: Mapping[str, Any],
    key: str,
    normalize: Callable[[str], str],
    problems: Problems,
    *,
    field: str | None = None,
    max_len: int = limits.EMAIL,
) -> str | None:
    """A string passed through `normalize`; its ValueError message becomes the field's reason."""
    raw = text(obj, key, problems, field=field, max_len=max_len)
    if raw is None:
        return None
    try:
        return normalize(raw)
    except ValueError as exc:
        problems.add(field or key, str(exc))
        return None
