"""Settings for every test tier, set before `app` is imported (chalice.test.Client only sets
stage variables during a request)."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chalicelib.wiring import Container
    from tests.moto_stack import MotoState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEST_ENV = {
    "PAYCASE_STAGE": "local",
    "PAYCASE_TOKEN_KEY": base64.b64encode(b"test-token-key-" * 3).decode(),
    "PAYCASE_LOCAL_SECRET_KEY": base64.b64encode(b"l" * 32).decode(),
    "PAYCASE_TABLE_PREFIX": "paycase-test-",
    "PAYCASE_WEBHOOK_SECRET": "whsec_test-webhook-secret",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_REGION": "ap-southeast-1",
}
os.environ.update(TEST_ENV)
# Tests never reach a real endpoint; a leftover local endpoint must not leak in either.
for name in ("PAYCASE_DYNAMODB_ENDPOINT", "PAYCASE_AWS_ENDPOINT", "PAYCASE_CLOCK_FILE"):
    os.environ.pop(name, None)


# -- moto, shared by the adapter and API tiers ---------------------------------------------------


@pytest.fixture(scope="session")
def moto_session() -> Iterator[tuple[Container, MotoState]]:
    """moto for the whole session, provisioned once (tests/moto_stack.py)."""
    from tests.moto_stack import moto_stack

    with moto_stack() as stack:
        yield stack


@pytest.fixture
def moto_base(moto_session: tuple[Container, MotoState]) -> Container:
    """The shared moto, put back to its just-provisioned state for this test."""
    base, state = moto_session
    state.restore()
    return base
