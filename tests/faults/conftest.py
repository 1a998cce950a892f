"""The fault tier: the botocore fault layer (tests/faults/injector.py) and the fault matrix."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.injector import FAULTS, FaultInjector, instant_retries


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    """The fault layer, engaged for this test, with botocore's retry back-off made instant."""
    with FAULTS.engaged() as injector, instant_retries(monkeypatch, injector.slept):
        yield injector
