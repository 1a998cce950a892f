"""The fuzz tier's local stack, booted in the background a little before the first fuzz test
(LEAD tests earlier), so its start overlaps the tests that run before it without an idle stack
taking CPU from whole tiers; the first fuzz test waits for it. Nothing starts when no fuzz test
is selected (`make check`). tests/conftest.py calls `plan`, `maybe_begin` and `BOOT.end`."""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest

from devstack.engines import free_port
from tests.local_stack import Stack

# The world files a case of one phone for each operation, without a session (its session
# expires when the fuzzed test clock jumps): more complaints than one phone may file in a day
# under the intake limits, which the API and integration tiers prove. Here they are set out of
# the way, through the stack's environment.
FUZZ_LIMITS = {
    "PAYCASE_INTAKE_COMPLAINTS_PER_PHONE": "10000",
    "PAYCASE_INTAKE_SMS_PER_PHONE": "10000",
}


class _Boot:
    """The tier's stack, started on a thread of its own."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.stack: Stack | None = None
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._dir: Path | None = None

    def begin(self) -> None:
        if self._thread is not None:
            return
        self._dir = Path(tempfile.mkdtemp(prefix="paycase-fuzz-"))
        ports = {"PORT": free_port(), "DYNAMODB_PORT": free_port(), "MOTO_PORT": free_port()}
        self.stack = Stack(self._dir / "local", ports, extra=FUZZ_LIMITS)
        self._thread = threading.Thread(target=self._start, name="fuzz-stack", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        assert self.stack is not None
        try:
            self.stack.start()
        except BaseException as exc:  # handed to the test that waits for it
            self.error = exc

    def ready(self) -> Stack:
        self.begin()
        assert self._thread is not None and self.stack is not None
        self._thread.join(180)
        if self.error is not None:
            raise self.error
        assert not self._thread.is_alive(), "the fuzz tier's stack did not start in 3 minutes"
        return self.stack

    def end(self) -> None:
        if self._thread is not None:
            self._thread.join(180)
        if self.stack is not None:
            self.stack.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
        self._reset()


BOOT = _Boot()
LEAD = 100  # tests before the first fuzz test: about the 20 s the stack takes to boot
_START_AT: set[str] = set()


def plan(items: Sequence[pytest.Item]) -> None:
    """Note where to start the stack: LEAD tests before the first fuzz test, if any."""
    _START_AT.clear()
    marked = [n for n, item in enumerate(items) if item.get_closest_marker("fuzz")]
    if marked:
        _START_AT.update(item.nodeid for item in items[max(0, marked[0] - LEAD) :])


def maybe_begin(item: pytest.Item) -> None:
    if item.nodeid in _START_AT:
        _START_AT.clear()
        BOOT.begin()
