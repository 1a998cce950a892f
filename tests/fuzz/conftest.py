"""The fuzz tier: schemathesis runs the served OpenAPI document against the whole local stack
(started once for the tier on free ports, as `make run` starts it), with real credentials per
operation (tests/fuzz/world.py).

The stack and what is built on it are package-scoped: the stack stops once the tier's last test
is done, not when the session ends (an idle stack's runner, engine and moto took a sixth of a
core for the rest of the session).

The stack boots in the background a little before the first fuzz test (tests/fuzz/boot.py).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fuzz.boot import BOOT
from tests.fuzz.world import World, build_world
from tests.local_stack import Stack
from tests.openapi_check import closed
from tests.working_week import working_monday_10am

pytestmark = pytest.mark.fuzz


@pytest.fixture(scope="package")
def fuzz_stack() -> Iterator[Stack]:
    stack = BOOT.ready()
    try:
        # A working-day morning on the test clock: messages go out at once, not after quiet hours.
        admin = stack.credentials()["staff_tokens"]["admin"]
        start = {"set": working_monday_10am().isoformat()}
        assert stack.call("POST", "/v1/dev/clock", start, token=admin)[0] == 200
        yield stack
    finally:
        BOOT.end()


@pytest.fixture(scope="package")
def world(fuzz_stack: Stack) -> World:
    return build_world(fuzz_stack)


@pytest.fixture(scope="session")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(scope="package")
def served_schema(fuzz_stack: Stack, world: World) -> Any:
    """The document the stack serves, as clients read it, held closed as every tier holds it
    (tests/openapi_check.py): an answer may carry no field the document does not describe."""
    import schemathesis

    with urllib.request.urlopen(f"{fuzz_stack.api}/v1/openapi.json", timeout=10) as response:
        served = json.loads(response.read())
    schema = schemathesis.openapi.from_dict(closed(served))
    schema.config.update(base_url=fuzz_stack.api)
    return schema
