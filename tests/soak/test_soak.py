"""`make soak` in small: 300 complaints with webhook events and merchant queries mixed in, the
test clock moving, and kill -9 of the whole stack half way through (bench/soak.py, run in the
background by tests/load_runs.py)."""

from __future__ import annotations

from tests.load_runs import BACKGROUND


def test_soak_300_complaints_with_a_kill_lose_nothing_and_duplicate_nothing() -> None:
    report = BACKGROUND.result("soak")
    assert report["missed"] == [], "\n".join(report["lines"])
