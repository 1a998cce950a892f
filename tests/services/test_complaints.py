"""Filing complaints: one transaction, idempotency, duplicate detection, deadlines."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain.errors import DuplicateOpenCase, IdempotencyKeyReused, ValidationFailed
from chalicelib.domain.ids import tokens_match
from chalicelib.services.changes import Changes
from chalicelib.services.complaints import ComplaintService
from tests.builders import complaint
from tests.fakes import FakeStore
from tests.services.conftest import Desk, make_desk


def test_file_complaint_commits_case_timeline_and_outbox_once(desk: Desk) -> None:
    # WHEN a complaint is filed
    body = desk.file(complaint())
    # THEN one commit wrote the case, its "submitted" entry and its outbox events
    assert desk.store.commits == 1
    case = desk.store.get_case(body["case_id"])
    assert case is not None and case.case_number == body["case_number"]
    assert [e.type for e in desk.store.timeline(case.case_id, include_internal=True)] == [
        "submitted"
    ]
    pending = desk.store.pending_events(desk.clock.now(), 10)
    assert sorted(e.kind for e in pending) == ["metrics", "notify", "notify", "schedule"]
    # (the customer hears the case was received; the merchant it names, that it was opened)
    notices = sorted((e.name, e.payload.audience) for e in pending if e.kind == "notify")
    assert notices == [("case_received", "customer"), ("merchant_case_opened", "merchant")]
    # AND the token in the answer is the one stored as a hash (and only as a hash)
    assert tokens_match(body["access_token"], case.access_token_hash)
    assert body["access_token"] not in repr(case)


def test_file_complaint_answer_matches_contract(desk: Desk) -> None:
    body = desk.file(complaint())
    assert body["status"] == "submitted"
    assert body["category"] == "payment_anomaly"
    assert set(body["deadlines"]) == {
        "first_response_due",
        "resolution_due",
        "regulatory_due",
        "provisional",
    }
    # Monday 10:00 Beijing: first response by Tuesday 18:00, resolution (2 days) Wednesday 18:00
    assert body["deadlines"]["first_response_due"] == "2026-11-24T10:00:00Z"
    assert body["deadlines"]["resolution_due"] == "2026-11-25T10:00:00Z"
    assert body["faq"] and all({"question", "answer"} <= set(q) for q in body["faq"])


def test_file_complaint_same_key_same_body_replays_first_answer(desk: Desk) -> None:
    # GIVEN a complaint filed with an Idempotency-Key
    first = desk.container.complaints.file(complaint(), "key-1")
    # WHEN the same request is repeated
    again = desk.container.complaints.file(complaint(), "key-1")
    # THEN the first answer comes back, token included, and nothing new was written
    assert again.replayed and not first.replayed
    assert again.body == first.body
    assert desk.store.commits == 1
    assert len(desk.store.cases) == 1


def test_file_complaint_key_is_forgotten_after_24_hours(desk: Desk) -> None:
    # GIVEN a complaint filed with a key, still open a day and an hour later (the store has
    # not deleted the expired key yet: DynamoDB's TTL lags)
    first = desk.file(complaint(), key="k-25h")
    desk.clock.advance(timedelta(hours=25).total_seconds())
    # WHEN the same request comes with the same key / THEN it is a new request, which finds
    # the open case about the same payment instead of replaying the day-old answer
    with pytest.raises(DuplicateOpenCase) as raised:
        desk.file(complaint(), key="k-25h")
    assert raised.value.case_number == first["case_number"]


def test_step_repeated_after_24_hours_is_done_again(desk: Desk) -> None:
    # GIVEN a customer message sent with an Idempotency-Key
    body = desk.file(complaint())
    access = desk.container.customer_access.case(body["case_id"], f"Bearer {body['access_token']}")
    cases = desk.container.cases
    cases.message(access, {"text": "补充截图"}, "msg-1")
    cases.message(access, {"text": "补充截图"}, "msg-1")
    # WHEN the same request comes a day and an hour later
    desk.clock.set(desk.clock.now() + timedelta(hours=25))
    cases.message(access, {"text": "补充截图"}, "msg-1")
    # THEN the repeat within the day did nothing, the one after it wrote a second message
    timeline = desk.store.timeline(body["case_id"], include_internal=True)
    assert [e.type for e in timeline].count("customer_message") == 2


def test_file_complaint_same_key_other_body_is_refused(desk: Desk) -> None:
    desk.file(complaint(), "key-1")
    with pytest.raises(IdempotencyKeyReused):
        desk.file(complaint(description="另一个问题"), "key-1")
    assert len(desk.store.cases) == 1


def test_file_complaint_bad_idempotency_key_is_a_validation_error(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as failed:
        desk.file(complaint(), "has spaces in it")
    assert "Idempotency-Key" in failed.value.fields


def test_file_complaint_same_contact_and_transaction_is_a_duplicate(desk: Desk) -> None:
    # GIVEN an open case about a transaction
    first = desk.file(complaint())
    # WHEN the same phone complains about the same transaction again (with another email)
    second = complaint(contact={"phone": "+86 138 0013 8000", "email": "other@example.com"})
    # THEN the duplicate is refused, naming the open case
    with pytest.raises(DuplicateOpenCase) as duplicate:
        desk.file(second)
    assert duplicate.value.case_number == first["case_number"]


def test_file_complaint_same_email_matches_case_insensitively(desk: Desk) -> None:
    desk.file(complaint(contact={"email": "Zhang.San@Example.com"}))
    with pytest.raises(DuplicateOpenCase):
        desk.file(complaint(contact={"email": "zhang.san@example.com"}))


def test_file_complaint_other_transaction_is_not_a_duplicate(desk: Desk) -> None:
    desk.file(complaint())
    other = complaint(payment={"transaction_id": "TXN-OTHER", "amount_fen": 10})
    desk.file(other)
    assert len(desk.store.cases) == 2


def test_file_complaint_without_transaction_never_duplicates(desk: Desk) -> None:
    desk.file(complaint(payment=None))
    desk.file(complaint(payment=None))
    assert len(desk.store.cases) == 2


def test_file_complaint_draws_a_new_number_when_one_is_taken() -> None:
    # GIVEN case numbers that collide twice before a free one
    numbers = iter(
        ["PC20261123-AAAAAA", "PC20261123-AAAAAA", "PC20261123-AAAAAA", "PC20261123-BBBBBB"]
    )
    desk = make_desk()
    c = desk.container
    service = ComplaintService(
        desk.store, desk.clock, c.config, c.settings.token_key, numbers=lambda at: next(numbers)
    )
    first = service.file(complaint(payment=None)).body
    # WHEN another complaint draws the taken number first
    second = service.file(complaint(payment=None)).body
    # THEN it gets the next free number
    assert (first["case_number"], second["case_number"]) == (
        "PC20261123-AAAAAA",
        "PC20261123-BBBBBB",
    )


def test_file_complaint_invalid_body_writes_nothing(desk: Desk) -> None:
    with pytest.raises(ValidationFailed):
        desk.file(complaint(category="lost_cat"))
    assert desk.store.commits == 0


class _OpenCaseReportedFirst(FakeStore):
    """A store that, like DynamoDB Local under a race, reports a held open-case key before the
    held Idempotency-Key of the same transaction."""

    def __init__(self, inner: FakeStore, skip_stored_reads: int) -> None:
        super().__init__()
        self._inner, self._skip = inner, skip_stored_reads

    def commit(self, changes: Changes) -> None:
        changes.claims.sort(key=lambda c: not c.key.startswith("open-case#"))
        self._inner.commit(changes)

    def get_key(self, key: str) -> dict[str, Any] | None:
        if self._skip:  # the read before the attempt does not see the winner yet
            self._skip -= 1
            return None
        return self._inner.get_key(key)


def test_file_complaint_race_reported_as_a_duplicate_replays_the_winner() -> None:
    # GIVEN a request that won the race with its Idempotency-Key
    desk = make_desk()
    c = desk.container
    won = c.complaints.file(complaint(), "race-1").body
    # WHEN an identical request loses, and its store names the open-case key it found held
    store = _OpenCaseReportedFirst(desk.store, skip_stored_reads=1)
    service = ComplaintService(store, desk.clock, c.config, c.settings.token_key)
    lost = service.file(complaint(), "race-1")
    # THEN it answers the winner's case (replayed), not a duplicate
    assert (lost.replayed, lost.body["case_id"]) == (True, won["case_id"])
    # AND another key for the same contact and transaction is still a duplicate
    with pytest.raises(DuplicateOpenCase):
        ComplaintService(store, desk.clock, c.config, c.settings.token_key).file(
            complaint(), "another"
        )
