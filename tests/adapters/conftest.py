"""Adapter tests: the real adapters against moto's in-process AWS."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from tests.builders import MONDAY_10AM
from tests.moto_stack import fresh_container, moto_stack


@pytest.fixture(scope="package")
def base() -> Iterator[wiring.Container]:
    with moto_stack() as container:
        yield container


@pytest.fixture
def container(base: wiring.Container) -> wiring.Container:
    return fresh_container(base, FixedClock(MONDAY_10AM))
