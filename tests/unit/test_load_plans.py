"""The load runs (make chaos, make soak) stay within the intake limits with the defaults, so the
limits neither slow nor refuse them: no phone is named by more complaints than get an
acknowledgement SMS, and a complaint sent again carries its first send's Idempotency-Key."""

from __future__ import annotations

from collections import defaultdict

import pytest

from bench.chaos import plan
from bench.soak import mixed_plan
from chalicelib.domain.intake import IntakeLimits


@pytest.mark.parametrize("seed", [1, 20261123])
def test_chaos_plan_names_each_phone_within_the_limits(seed: int) -> None:
    keys, order = plan(2000, seed)
    complaints_of: dict[str, set[str]] = defaultdict(set)
    for key in order:
        complaints_of[key.phone].add(key.key)
    assert len(order) == 2000 and len(order) > len(keys)  # repeats are in the plan
    assert max(len(k) for k in complaints_of.values()) <= IntakeLimits().sms_per_phone
    assert max(len(k) for k in complaints_of.values()) == 1


def test_soak_plan_names_each_phone_within_the_limits() -> None:
    keys, requests = mixed_plan(300, 7)
    complaints_of: dict[str, set[str]] = defaultdict(set)
    for request in requests:
        if request.kind == "complaint":
            complaints_of[str(request.body["contact"]["phone"])].add(request.key)
    assert len(complaints_of) == len(keys)
    assert max(len(k) for k in complaints_of.values()) == 1
