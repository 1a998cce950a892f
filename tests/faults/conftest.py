"""The fault tier: the botocore fault layer (tests/faults/injector.py) and the fault matrix."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chalicelib import wiring
from tests.faults.injector import FAULTS, FaultInjector, instant_retries
from tests.faults.matrix import Matrix


@pytest.fixture
def faults(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultInjector]:
    """The fault layer, engaged for this test, with botocore's retry back-off made instant."""
    with FAULTS.engaged() as injector, instant_retries(monkeypatch, injector.slept):
        yield injector


# -- the fault matrix ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def matrix(moto_session: tuple[Any, Any]) -> Iterator[Matrix]:
    """The paths' starting states and clean runs, made once per module, with the fault layer
    engaged and botocore's back-off instant for the whole module."""
    from chalice.test import Client

    import app

    base, state = moto_session
    with (
        pytest.MonkeyPatch.context() as patch,
        FAULTS.engaged() as injector,
        instant_retries(patch, injector.slept),
        Client(app.app, stage_name="local") as client,
    ):
        yield Matrix(client, base, state)
    wiring.use(None)
