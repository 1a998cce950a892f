"""The metrics report's SLA figures: running, met and missed apart, from day buckets."""

from __future__ import annotations

from datetime import date

from chalicelib.services.metrics import summarize

DAY = date(2026, 11, 23)


def test_report_reads_running_met_missed_and_cancelled_per_clock() -> None:
    # GIVEN two days of counters: clocks moved between states as cases changed
    items = [
        {"day": "2026-11-23", "resolution.running": 2, "resolution.met": 3, "resolution.missed": 1},
        {"day": "2026-11-24", "resolution.running": 1, "resolution.cancelled": 1},
    ]
    # WHEN summarised
    figures = summarize(items, DAY, date(2026, 11, 24))["sla"]["resolution"]
    # THEN each state is reported apart, and the share met is over the clocks with a verdict
    assert figures == {
        "running": 3,
        "met": 3,
        "missed": 1,
        "cancelled": 1,
        "started": 8,
        "total": 4,
        "percent_met": 75.0,
    }


def test_report_reads_days_recorded_before_clocks_were_counted_by_state() -> None:
    # GIVEN a day whose counters held only stopped clocks (total) and those met in time
    items = [{"day": "2026-11-23", "first_response.total": 4, "first_response.met": 3}]
    # THEN the stopped-late ones count as missed, none as running
    figures = summarize(items, DAY, DAY)["sla"]["first_response"]
    assert (figures["met"], figures["missed"], figures["running"]) == (3, 1, 0)
    assert (figures["total"], figures["percent_met"]) == (4, 75.0)


def test_report_without_any_clock_has_no_share() -> None:
    figures = summarize([], DAY, DAY)["sla"]["merchant_response"]
    assert (figures["total"], figures["percent_met"]) == (0, None)
