"""Adapter tests: the real adapters against moto's in-process AWS."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from tests.builders import MONDAY_10AM
from tests.moto_stack import container_on


@pytest.fixture
def container(moto_base: wiring.Container) -> wiring.Container:
    return container_on(moto_base, FixedClock(MONDAY_10AM))
