"""Every timeline entry reads in its reader's language: no entry type shows as its code, and a
person's own words show as they wrote them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from chalicelib.domain.case import TimelineEntry, Visibility
from chalicelib.services.timeline_texts import summary

AT = datetime(2026, 11, 23, 2, tzinfo=UTC)
DUE = "2026-11-25T10:00:00Z"
CJK = re.compile(r"[\u4e00-\u9fff]")
# Every entry type the desk writes without a person's words, with the data it carries.
GENERATED: dict[str, dict[str, Any]] = {
    "submitted": {"case_number": "PC20261123-ABC123", "channel": "app", "expected": DUE},
    "accepted": {"from": "submitted", "to": "accepted", "round": 1},
    "status_changed": {"from": "negotiating", "to": "unresolved", "reason": "no_reply"},
    "proposal_accepted": {"proposal_id": "p1", "round": 1},
    "proposal_rejected": {"proposal_id": "p1", "round": 1},
    "second_review_opened": {"from": "unresolved", "to": "second_review", "round": 2},
    "second_review_decided": {"from": "second_review", "to": "resolved", "round": 2},
    "withdrawn": {"from": "accepted", "to": "withdrawn"},
    "closed": {"from": "waiting_customer", "to": "closed", "reason": "no_reply"},
    "feedback": {"rating": 4},
    "sla_due": {"clock": "resolution", "due": DUE, "level": 1},
    "sla_escalated": {"clock": "resolution", "due": DUE, "level": 2},
    "sla_warning": {"clock": "first_response", "due": DUE, "percent": 80},
    "assigned": {"assignee": "stf_1", "previous": None},
    "reminder_sent": {"due": DUE},
    "regulatory_extended": {"regulatory_due": DUE, "days": 25},
    "progress_update": {"expected": DUE},
    "payment_found": {"verdict": "settled"},
    "preferences_changed": {"preferences": {"language": "en"}},
    "deadlines_recomputed": {"resolution_due": DUE, "first_response_due": DUE},
    "payment_confirmed": {"amount_fen": 3880, "expected_settlement_by": DUE},
    "payment_reversed": {"amount_fen": 3880},
    "payment_failed": {"amount_fen": 3880, "failure_reason": "insufficient_funds"},
    "refund_succeeded": {"amount_fen": 3880, "refund_id": "RF1"},
    "refund_failed": {"amount_fen": 3880, "refund_id": "RF1"},
    "incident_update": {"incident_id": "inc_1", "n": 2},
    "incident_linked": {"incident_id": "inc_1", "title": "ICBC gateway outage"},
    "incident_unlinked": {"incident_id": "inc_1", "title": "ICBC gateway outage"},
}
OWN_WORDS = (
    "customer_message",
    "message",
    "call_logged",
    "chat_logged",
    "note",
    "proposal_made",
    "merchant_response",
)


def _entry(type_: str, data: dict[str, Any], text: str | None = None) -> TimelineEntry:
    return TimelineEntry("c1", "e1", AT, type_, "system", Visibility.PUBLIC, text, data)


@pytest.mark.parametrize("type_", sorted(GENERATED))
def test_every_generated_entry_reads_in_both_languages(type_: str) -> None:
    # GIVEN an entry the desk wrote / WHEN summarised for a zh-CN and an English reader
    zh = summary(_entry(type_, GENERATED[type_]), "zh-CN")
    en = summary(_entry(type_, GENERATED[type_]), "en")
    # THEN each reads as a sentence in its language, never as the entry's code
    assert CJK.search(zh), zh
    assert not CJK.search(en), en
    for text in (zh, en):
        assert not re.search(r"[a-z]+_[a-z]+", text), text  # no snake_case code shows


def test_a_late_progress_update_names_the_next_update() -> None:
    data = {"late": True, "next_update": DUE}
    assert "2026年11月25日" in summary(_entry("progress_update", data), "zh-CN")
    assert "2026-11-25" in summary(_entry("progress_update", data), "en")


@pytest.mark.parametrize("type_", OWN_WORDS)
def test_a_person_s_own_words_show_as_written(type_: str) -> None:
    text = "商户已于昨日发货 shipped"
    assert summary(_entry(type_, {"round": 1}, text), "en") == text


def test_an_incident_update_reads_as_the_news_it_carries() -> None:
    entry = _entry("incident_update", {"incident_id": "inc_1", "n": 1}, "网关已恢复。")
    assert summary(entry, "zh-CN") == "关于导致您问题的已知故障的最新进展： 网关已恢复。"
    english = _entry("incident_update", {"incident_id": "inc_1", "n": 1}, "The gateway is back.")
    assert summary(english, "en") == (
        "News of the known problem behind your complaint: The gateway is back."
    )


def test_a_case_resolved_with_its_incident_says_why() -> None:
    data = {"from": "investigating", "to": "resolved", "reason": "incident_resolved"}
    text = summary(_entry("status_changed", data), "zh-CN")
    assert text == "处理状态：已解决。原因：导致您问题的已知故障已经修复。"
