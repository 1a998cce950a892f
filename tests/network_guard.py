"""The network guard of the unit and service tiers: a test that opens a socket fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_socket import disable_socket, enable_socket


@pytest.fixture(autouse=True)
def no_network() -> Iterator[None]:
    disable_socket(allow_unix_socket=False)
    try:
        yield
    finally:
        enable_socket()
