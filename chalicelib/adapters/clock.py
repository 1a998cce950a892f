"""Clocks: the system clock, and the local stage's test clock that a person can move forward."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chalicelib.domain.errors import ValidationFailed

# How far ahead of real time the test clock may run: a year of SLA time and then some, and far
# from the end of what a datetime can hold.
MAX_AHEAD = timedelta(days=400)


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetFileClock:
    """Wall time plus an offset kept in a small JSON file, so the API process and the local
    runner share one application clock. The offset only grows (time never goes back) and never
    beyond `max_ahead`."""

    def __init__(self, path: str | Path, max_ahead: timedelta = MAX_AHEAD) -> None:
        self._path = Path(path)
        self._max_ahead = max_ahead
        self._cached: tuple[float, float] | None = None  # (file mtime, offset seconds)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset())

    def offset(self) -> float:
        try:
            mtime = self._path.stat().st_mtime
        except FileNotFoundError:
            return 0.0
        if self._cached is None or self._cached[0] != mtime:
            data = json.loads(self._path.read_text() or "{}")
            self._cached = (mtime, float(data.get("offset_seconds", 0.0)))
        return self._cached[1]

    def set(self, target: datetime) -> datetime:
        """Move to `target`; ValidationFailed under "set" if that is in the clock's past or more
        than `max_ahead` past real time."""
        current = self.now()
        if target < current:
            raise ValidationFailed({"set": "the test clock only moves forward"})
        return self._write((target - datetime.now(UTC)).total_seconds(), "set")

    def advance(self, seconds: float) -> datetime:
        """Move `seconds` ahead; ValidationFailed under "advance_seconds" if that would take
        the clock more than `max_ahead` past real time."""
        return self._write(self.offset() + seconds, "advance_seconds")

    def _write(self, offset: float, field: str) -> datetime:
        if offset > self._max_ahead.total_seconds():
            days = self._max_ahead.days
            raise ValidationFailed({field: f"the test clock runs at most {days} days ahead"})
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": offset}))
        os.replace(tmp, self._path)
        self._cached = None
        return self.now()
