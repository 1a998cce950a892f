"""`make chaos` in small: 300 complaints from 8 clients through the local stack while the proxy
in front of DynamoDB Local throttles, fails and drops answers (bench/chaos.py, run in the
background by tests/load_runs.py)."""

from __future__ import annotations

from tests.load_runs import BACKGROUND


def test_chaos_300_complaints_under_faults_meet_every_goal() -> None:
    report = BACKGROUND.result("chaos")
    assert report["missed"] == [], "\n".join(report["lines"])
