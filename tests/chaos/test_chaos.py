"""`make chaos` in small: 300 complaints from 8 clients through the local stack while the proxy
in front of DynamoDB Local throttles, fails and drops answers (bench/chaos.py, run in the
background by tests/load_runs.py)."""

from __future__ import annotations

import pytest

from tests.load_runs import BACKGROUND


@pytest.mark.xfail(
    strict=True,
    reason="a complaint whose DynamoDB write lost its connection on every attempt is answered "
    "500 instead of 503 (other 5xx goal missed)",
)
def test_chaos_300_complaints_under_faults_meet_every_goal() -> None:
    report = BACKGROUND.result("chaos")
    assert report["missed"] == [], "\n".join(report["lines"])
