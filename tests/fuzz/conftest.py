"""The fuzz tier: schemathesis runs the served OpenAPI document against the whole local stack
(started once for the session on free ports, as `make run` starts it), with real credentials per
operation (tests/fuzz/world.py).

The stack boots in the background as soon as collection picks a fuzz test, so its start overlaps
the tiers that run before this one; the first fuzz test waits for it. Nothing starts when no
fuzz test is selected (`make check`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.engines import free_port
from tests.fuzz.world import World, build_world
from tests.local_stack import Stack
from tests.openapi_check import closed
from tests.working_week import working_monday_10am

pytestmark = pytest.mark.fuzz


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
        self.stack = Stack(self._dir / "local", ports)
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


_BOOT = _Boot()


def pytest_collection_finish(session: pytest.Session) -> None:
    if any(item.get_closest_marker("fuzz") for item in session.items):
        _BOOT.begin()


def pytest_sessionfinish(session: pytest.Session) -> None:
    _BOOT.end()


@pytest.fixture(scope="session")
def fuzz_stack() -> Iterator[Stack]:
    stack = _BOOT.ready()
    try:
        # A working-day morning on the test clock: messages go out at once, not after quiet hours.
        admin = stack.credentials()["staff_tokens"]["admin"]
        start = {"set": working_monday_10am().isoformat()}
        assert stack.call("POST", "/v1/dev/clock", start, token=admin)[0] == 200
        yield stack
    finally:
        _BOOT.end()


@pytest.fixture(scope="session")
def world(fuzz_stack: Stack) -> World:
    return build_world(fuzz_stack)


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="session")
def served_schema(fuzz_stack: Stack, world: World) -> Any:
    """The document the stack serves, as clients read it, held closed as every tier holds it
    (tests/openapi_check.py): an answer may carry no field the document does not describe."""
    import schemathesis

    with urllib.request.urlopen(f"{fuzz_stack.api}/v1/openapi.json", timeout=10) as response:
        served = json.loads(response.read())
    schema = schemathesis.openapi.from_dict(closed(served))
    schema.config.update(base_url=fuzz_stack.api)
    return schema
