"""The DeskStore contract. Each tier subclasses it with its own `store` fixture: the in-memory
fake (services), DynamoDB under moto (adapters) and DynamoDB Local (integration), so the fake
cannot drift from the real thing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.domain import delivery as rules
from chalicelib.domain import receipts
from chalicelib.domain.case import Case, Status, Visibility
from chalicelib.domain.contact import Contact, contact_key
from chalicelib.domain.delivery import DeliveryStatus, Notification
from chalicelib.domain.errors import VersionConflict
from chalicelib.domain.ledger import PaymentEvent
from chalicelib.domain.policy import Category
from chalicelib.domain.verdicts import PaymentQuery, Verdict
from chalicelib.services.changes import CaseQuery, Changes, KeyClaim, PaymentRecord
from chalicelib.services.ports import DeskStore, KeyTaken, NotificationLog
from tests.builders import MONDAY_10AM, full_case, live, make_case, make_entry, make_event

NOW = MONDAY_10AM
DAY = timedelta(days=1)


class CaseStoreContract:
    store: DeskStore

    def test_store_new_case_reads_back_equal_at_version_1(self, store: DeskStore) -> None:
        # GIVEN a new case with a timeline entry and an outbox event
        case = make_case()
        entry = make_entry(case, NOW, Visibility.PUBLIC)
        # WHEN it is committed
        store.commit(
            Changes(now=NOW, new_cases=[case], timeline=[entry], events=[make_event(case, NOW)])
        )
        # THEN everything reads back as written
        stored = store.get_case(case.case_id)
        assert stored == case.evolve(version=1)
        assert store.timeline(case.case_id, include_internal=True) == [entry]
        [event] = store.pending_events(NOW, 10)
        assert (event.event_id, event.payload.params) == ("v000001:notify:x", {"k": [1, "二"]})

    def test_store_keeps_every_field_of_a_case(self, store: DeskStore) -> None:
        # GIVEN a case with every optional field set
        case = full_case()
        # WHEN it is stored and read back THEN nothing is lost or changed
        store.commit(Changes(now=NOW, new_cases=[case]))
        assert store.get_case(case.case_id) == case.evolve(version=1)

    def test_store_unknown_case_is_none(self, store: DeskStore) -> None:
        assert store.get_case(make_case().case_id) is None

    def test_store_new_case_with_existing_id_conflicts(self, store: DeskStore) -> None:
        # GIVEN a stored case
        case = make_case()
        store.commit(Changes(now=NOW, new_cases=[case]))
        # WHEN a second case with the same id is committed THEN it conflicts
        with pytest.raises(VersionConflict):
            store.commit(Changes(now=NOW, new_cases=[case.evolve(description="other")]))
        assert store.get_case(case.case_id).description == case.description  # type: ignore[union-attr]

    def test_store_update_at_read_version_bumps_version(self, store: DeskStore) -> None:
        case = make_case()
        store.commit(Changes(now=NOW, new_cases=[case]))
        # WHEN the case is updated at the version it was read at
        changed = case.evolve(status=Status.ACCEPTED, version=2)
        store.commit(Changes(now=NOW, updated_cases=[(changed, 1)]))
        # THEN it is stored at the next version
        stored = store.get_case(case.case_id)
        assert stored is not None
        assert (stored.status, stored.version) == (Status.ACCEPTED, 2)

    def test_store_stale_update_changes_nothing(self, store: DeskStore) -> None:
        # GIVEN a case at version 2
        case = make_case()
        store.commit(Changes(now=NOW, new_cases=[case]))
        store.commit(Changes(now=NOW, updated_cases=[(case.evolve(version=2), 1)]))
        # WHEN an update read at version 1 arrives with a timeline entry and an event
        stale = Changes(
            now=NOW,
            updated_cases=[(case.evolve(status=Status.WITHDRAWN, version=2), 1)],
            timeline=[make_entry(case, NOW, Visibility.PUBLIC)],
            events=[make_event(case, NOW, "stale")],
        )
        # THEN it conflicts and none of it is written
        with pytest.raises(VersionConflict):
            store.commit(stale)
        assert store.get_case(case.case_id).status is Status.SUBMITTED  # type: ignore[union-attr]
        assert store.timeline(case.case_id, include_internal=True) == []
        assert store.pending_events(NOW, 10) == []

    def test_store_held_claim_reports_holder_and_writes_nothing(self, store: DeskStore) -> None:
        # GIVEN a held key
        first = make_case()
        held = KeyClaim("open-case#abc", {"case_number": "PC1", "n": 3})
        store.commit(Changes(now=NOW, new_cases=[first], claims=[held]))
        # WHEN another change claims the same key
        second = make_case()
        again = KeyClaim("open-case#abc", {"case_number": "PC2"})
        with pytest.raises(KeyTaken) as taken:
            store.commit(Changes(now=NOW, new_cases=[second], claims=[again]))
        # THEN the holder's value is reported and the second case was not written
        assert taken.value.key == "open-case#abc"
        assert taken.value.value == {"case_number": "PC1", "n": 3}
        assert store.get_case(second.case_id) is None

    def test_store_first_held_claim_in_order_is_reported(self, store: DeskStore) -> None:
        store.commit(
            Changes(now=NOW, claims=[KeyClaim("b", {"v": "b"}), KeyClaim("a", {"v": "a"})])
        )
        with pytest.raises(KeyTaken) as taken:
            store.commit(Changes(now=NOW, claims=[KeyClaim("a", {}), KeyClaim("b", {})]))
        assert taken.value.key == "a"

    def test_store_expired_claim_can_be_taken_again(self, store: DeskStore) -> None:
        # GIVEN a key whose holder's time ran out
        store.commit(
            Changes(now=NOW, claims=[KeyClaim("idem#1", {"v": 1}, NOW + timedelta(hours=1))])
        )
        later = NOW + timedelta(hours=2)
        # WHEN it is claimed after that THEN the new value holds
        store.commit(
            Changes(now=later, claims=[KeyClaim("idem#1", {"v": 2}, later + timedelta(hours=1))])
        )
        assert store.get_key("idem#1") == {"v": 2}

    def test_store_released_claim_can_be_taken_again(self, store: DeskStore) -> None:
        store.commit(Changes(now=NOW, claims=[KeyClaim("open-case#x", {"v": 1})]))
        store.commit(Changes(now=NOW, releases=["open-case#x"]))
        store.commit(Changes(now=NOW, claims=[KeyClaim("open-case#x", {"v": 2})]))
        assert store.get_key("open-case#x") == {"v": 2}

    def test_store_timeline_hides_internal_entries_from_customers(self, store: DeskStore) -> None:
        case = make_case()
        public = make_entry(case, NOW, Visibility.PUBLIC)
        internal = make_entry(case, NOW + timedelta(seconds=1), Visibility.INTERNAL)
        store.commit(Changes(now=NOW, new_cases=[case], timeline=[internal, public]))
        assert store.timeline(case.case_id, include_internal=False) == [public]
        assert store.timeline(case.case_id, include_internal=True) == [public, internal]

    def test_store_done_events_leave_the_pending_list(self, store: DeskStore) -> None:
        # GIVEN two pending events created a second apart
        case = make_case()
        early, late = make_event(case, NOW, "a"), make_event(case, NOW + timedelta(seconds=1), "b")
        store.commit(Changes(now=NOW, new_cases=[case], events=[late, early]))
        # THEN they are pending oldest first, and only those old enough
        assert [e.event_id for e in store.pending_events(NOW + timedelta(seconds=5), 10)] == [
            early.event_id,
            late.event_id,
        ]
        assert [e.event_id for e in store.pending_events(NOW, 10)] == [early.event_id]
        # WHEN one is done THEN only the other is pending
        store.mark_event_done(early, NOW)
        assert [e.event_id for e in store.pending_events(NOW + timedelta(seconds=5), 10)] == [
            late.event_id
        ]

    def test_store_due_wakeups_lists_open_cases_past_their_schedule(self, store: DeskStore) -> None:
        # GIVEN an open case due in an hour, one due in two hours and a closed one due in an hour
        soon = live(make_case(), NOW + timedelta(hours=1))
        later = live(make_case(), NOW + timedelta(hours=2))
        closed = live(make_case(status=Status.CLOSED), NOW + timedelta(hours=1))
        store.commit(Changes(now=NOW, new_cases=[soon, later, closed]))
        # WHEN asking for what is due before 90 minutes from now
        due = store.due_wakeups(NOW + timedelta(minutes=90), 10)
        # THEN only the open case due in an hour is listed
        assert [case_id for case_id, _ in due] == [soon.case_id]

    def test_store_due_wakeups_include_closed_cases_holding_messages(
        self, store: DeskStore
    ) -> None:
        # GIVEN a case closed at night whose closing SMS waits for the morning (its wake-up
        # releases it), and a closed case with nothing held
        morning = NOW + timedelta(hours=10)
        holding = live(make_case(status=Status.CLOSED, closed_at=NOW), morning).evolve(
            messages_due_at=morning
        )
        done = live(make_case(status=Status.CLOSED, closed_at=NOW), morning)
        store.commit(Changes(now=NOW, new_cases=[holding, done]))
        # WHEN the sweeper looks for wake-ups due by the morning
        due = store.due_wakeups(morning, 10)
        # THEN the one holding messages is found (its schedule may have been lost), with its time
        assert due == [(holding.case_id, morning)]

    def test_store_due_wakeups_are_soonest_first_and_limited(self, store: DeskStore) -> None:
        cases = [live(make_case(), NOW + timedelta(minutes=m)) for m in (30, 10, 20)]
        store.commit(Changes(now=NOW, new_cases=cases))
        due = store.due_wakeups(NOW + timedelta(hours=1), 2)
        assert due == [
            (cases[1].case_id, NOW + timedelta(minutes=10)),
            (cases[2].case_id, NOW + timedelta(minutes=20)),
        ]

    def test_store_cases_of_contact_newest_first_in_pages(self, store: DeskStore) -> None:
        # GIVEN three cases of one phone filed a day apart (one of them closed) and one of
        # another phone
        mine = [make_case(NOW + n * DAY, contact=Contact(phone="+8613700137000")) for n in range(3)]
        mine[0] = mine[0].evolve(status=Status.CLOSED, closed_at=NOW + DAY)
        other = make_case(NOW + DAY, contact=Contact(phone="+8613600136000"))
        store.commit(Changes(now=NOW, new_cases=[*mine, other]))
        # WHEN the phone's cases are read two at a time
        first, cursor = store.cases_of_contact("+8613700137000", 2, None)
        assert cursor is not None
        rest, end = store.cases_of_contact("+8613700137000", 2, cursor)
        # THEN all three come, newest first, and nothing of the other phone
        assert [c.case_id for c in first + rest] == [c.case_id for c in reversed(mine)]
        assert end is None
        assert store.cases_of_contact("+8613500135000", 5, None) == ([], None)

    def test_store_cases_of_contact_by_email(self, store: DeskStore) -> None:
        # A contact with no phone is found by its lower-cased email (contact_key).
        case = make_case(contact=Contact(email="Li.Si@Example.com"))
        store.commit(Changes(now=NOW, new_cases=[case]))
        found, _ = store.cases_of_contact(str(contact_key(case.contact)), 5, None)
        assert [c.case_id for c in found] == [case.case_id]

    def test_store_queue_filters_list_open_cases_only_most_urgent_first(
        self, store: DeskStore
    ) -> None:
        # GIVEN two open cases of one assignee, merchant and category (the later-due one filed
        # first) and a third of the same ones, long overdue, that was closed yesterday
        def case(due_in: timedelta) -> Case:
            return make_case(category=Category.REFUND_DELAY, assignee="stf_q", due_at=NOW + due_in)

        later, sooner, ended = case(timedelta(hours=5)), case(timedelta(hours=1)), case(-DAY)
        store.commit(Changes(now=NOW, new_cases=[later, sooner, ended]))
        closed = ended.evolve(status=Status.CLOSED, closed_at=NOW - DAY, version=2)
        store.commit(Changes(now=NOW, updated_cases=[(closed, 1)]))
        filters: list[dict[str, Any]] = [
            {"assignee": "stf_q"},
            {"merchant_id": "M100001"},
            {"category": "refund_delay"},
            {"category": "refund_delay", "assignee": "stf_q", "merchant_id": "M100001"},
        ]
        for narrowing in filters:
            # WHEN the queue is read with the filter THEN only the open cases come, soonest first
            page, cursor = store.list_cases(CaseQuery(**narrowing, now=NOW))
            assert [c.case_id for c in page] == [sooner.case_id, later.case_id], narrowing
            assert cursor is None
            # AND the breached ones among them are the open ones past their deadline only
            breached = CaseQuery(**narrowing, sla="breached", now=NOW + timedelta(hours=2))
            assert [c.case_id for c in store.list_cases(breached)[0]] == [sooner.case_id]
            # AND the closed case is found by its status
            page, _ = store.list_cases(CaseQuery(status="closed", **narrowing, now=NOW))
            assert [c.case_id for c in page] == [closed.case_id], narrowing
        # AND an SLA filter finds nothing among finished cases
        assert store.list_cases(CaseQuery(status="closed", sla="breached", now=NOW)) == ([], None)

    def test_store_cases_of_merchant_include_finished_ones(self, store: DeskStore) -> None:
        # GIVEN a merchant's open case, its case closed yesterday and another merchant's case
        open_case = make_case(due_at=NOW + DAY)
        ended = make_case(status=Status.CLOSED, closed_at=NOW - DAY)
        other = make_case(payment=replace(open_case.payment, merchant_id="M200002"))  # type: ignore[type-var]
        store.commit(Changes(now=NOW, new_cases=[open_case, ended, other]))
        # WHEN the merchant's cases are read THEN both of its cases are listed, in index order
        page, cursor = store.cases_of_merchant("M100001", 10, None)
        assert [c.case_id for c in page] == [ended.case_id, open_case.case_id]
        assert cursor is None
        # AND read one at a time, the same two come in two pages
        first, cursor = store.cases_of_merchant("M100001", 1, None)
        assert cursor is not None
        second, _ = store.cases_of_merchant("M100001", 1, cursor)
        assert [c.case_id for c in first + second] == [ended.case_id, open_case.case_id]

    def test_store_cases_of_incident_by_id_and_whether_they_await_an_outcome(
        self, store: DeskStore
    ) -> None:
        # GIVEN an incident's three linked cases (one resolved), and a case of another incident
        linked = {"incident_id": "inc_a", "incident_title": "网关故障"}
        cases = [make_case(**linked) for _ in range(2)]
        resolved = make_case(status=Status.RESOLVED, resolved_at=NOW, **linked)
        other = make_case(incident_id="inc_b", incident_title="其他")
        store.commit(Changes(now=NOW, new_cases=[*cases, resolved, other]))
        ids = sorted(c.case_id for c in cases)
        # WHEN the incident's cases are read THEN each linked one is there, by id
        every, _ = store.cases_of_incident("inc_a", open_only=False, limit=10, start=None)
        assert sorted(every) == sorted([*ids, resolved.case_id])
        # AND those still waiting for an outcome come a page at a time
        first, cursor = store.cases_of_incident("inc_a", open_only=True, limit=1, start=None)
        assert cursor is not None
        second, _ = store.cases_of_incident("inc_a", open_only=True, limit=1, start=cursor)
        assert first + second == ids
        # AND the counts agree
        assert store.count_incident_cases("inc_a") == (3, 2)
        assert store.count_incident_cases("inc_none") == (0, 0)

    def test_store_queue_reads_in_pages(self, store: DeskStore) -> None:
        cases = [make_case(due_at=NOW + timedelta(hours=h)) for h in (3, 1, 2)]
        store.commit(Changes(now=NOW, new_cases=cases))
        first, cursor = store.list_cases(CaseQuery(now=NOW, limit=2))
        assert cursor is not None
        rest, _ = store.list_cases(CaseQuery(now=NOW, limit=2, start=cursor))
        assert [c.case_id for c in first + rest] == [
            cases[1].case_id,
            cases[2].case_id,
            cases[0].case_id,
        ]


def _notification(
    case_id: str = "01M8227EWWW73KQHMQKKVMVN3N", channel: str = "sms"
) -> Notification:
    return Notification(
        notification_id=f"{case_id}:case_received:{channel}",
        case_id=case_id,
        event="case_received",
        channel=channel,
        audience="customer",
        recipient="+8613800138000",
        recipient_masked="138****8000",
        language="zh-CN",
        params={"case_number": "PC20261123-AAAAAA", "n": 1},
        created_at=NOW,
        receipt_key=receipts.receipt_key(channel, "+8613800138000"),
    )


class NotificationLogContract:
    """The delivery log: create-once, claims that exclude each other, outcomes, listing."""

    def test_log_create_is_once_per_id(self, log: NotificationLog) -> None:
        first = log.create(_notification())
        second = log.create(replace(_notification(), recipient="+8613900139000"))
        assert second.recipient == first.recipient == "+8613800138000"
        assert log.get(first.notification_id) == first

    def test_log_message_made_claimed_is_the_makers_alone(self, log: NotificationLog) -> None:
        # GIVEN a message stored already claimed by the sender that made it
        made = rules.first_claim(_notification(), NOW, timedelta(seconds=60))
        assert log.create_claimed(made) is True
        stored = log.get(made.notification_id)
        assert stored is not None
        assert (stored.status, stored.attempts, stored.attempted_at) == ("sending", 1, NOW)
        assert stored.lease_until == NOW + timedelta(seconds=60)
        # THEN a second maker (the event delivered again) writes nothing and cannot claim it
        other = replace(_notification(), recipient="+8613900139000")
        again = rules.first_claim(other, NOW, rules.LEASE)
        assert log.create_claimed(again) is False
        assert log.get(made.notification_id) == stored
        assert log.claim(made.notification_id, NOW + timedelta(seconds=30), 60) is None
        # AND the maker's outcome is recorded under its claim, once
        assert log.save_outcome(rules.sent(stored, NOW, "sns-1")) is True
        assert log.save_outcome(rules.sent(stored, NOW, "sns-2")) is False
        sent = log.get(made.notification_id)
        assert sent is not None and (sent.status, sent.provider_id) == ("sent", "sns-1")
        # AND a plain create of the same id finds the record as it stands
        assert log.create(_notification()) == sent

    def test_log_claim_excludes_a_second_claim_even_after_the_lease_ends(
        self, log: NotificationLog
    ) -> None:
        # GIVEN a message claimed for 60 s
        n = log.create(_notification())
        claimed = log.claim(n.notification_id, NOW, 60)
        assert claimed is not None and claimed.status == DeliveryStatus.SENDING
        assert claimed.attempted_at == NOW
        # THEN nobody else may claim it, not even once the lease ran out: its attempt may have
        # reached the recipient and must first be recorded as one without an answer
        assert log.claim(n.notification_id, NOW + timedelta(seconds=30), 60) is None
        assert log.claim(n.notification_id, NOW + timedelta(seconds=61), 60) is None
        # WHEN it is recorded so, under the lease that ran out
        assert log.save_outcome(rules.after_lost_lease(claimed)) is True
        # THEN it is claimable only once its receipt window has passed, counting both attempts
        stored = log.get(n.notification_id)
        assert stored is not None
        assert (stored.status, stored.unanswered) == (DeliveryStatus.UNKNOWN, 1)
        window_end = NOW + timedelta(seconds=60) + rules.SMS_RECEIPT_WINDOW
        assert stored.next_attempt_at == window_end
        assert log.claim(n.notification_id, window_end - timedelta(seconds=1), 60) is None
        again = log.claim(n.notification_id, window_end, 60)
        assert again is not None and again.attempts == 2
        stored = log.get(n.notification_id)
        assert stored is not None and stored.attempts == 2

    def test_log_sent_is_never_claimed_again(self, log: NotificationLog) -> None:
        n = log.create(_notification())
        claimed = log.claim(n.notification_id, NOW, 60)
        assert claimed is not None
        assert log.save_outcome(rules.sent(claimed, NOW, "sns-1")) is True
        assert log.claim(n.notification_id, NOW + timedelta(hours=1), 60) is None
        stored = log.get(n.notification_id)
        assert stored is not None and (stored.status, stored.attempts) == ("sent", 1)
        assert (stored.provider_id, stored.lease_until) == ("sns-1", None)

    def test_log_failed_is_claimable_only_after_its_back_off(self, log: NotificationLog) -> None:
        n = log.create(_notification())
        claimed = log.claim(n.notification_id, NOW, 60)
        assert claimed is not None
        claimed.status, claimed.next_attempt_at = DeliveryStatus.FAILED, NOW + timedelta(minutes=5)
        log.save_outcome(claimed)
        assert log.claim(n.notification_id, NOW + timedelta(minutes=4), 60) is None
        assert log.claim(n.notification_id, NOW + timedelta(minutes=5), 60) is not None

    def test_log_outcome_under_a_lost_lease_does_not_overwrite_the_new_claim(
        self, log: NotificationLog
    ) -> None:
        # GIVEN a sender whose lease ran out: its attempt was recorded unanswered and, its
        # window over, a second sender claimed the message
        n = log.create(replace(_notification(), event="otp_code"))  # no receipt window
        stale = log.claim(n.notification_id, NOW, 60)
        assert stale is not None and log.save_outcome(rules.after_lost_lease(stale))
        current = log.claim(n.notification_id, NOW + timedelta(seconds=61), 60)
        assert current is not None
        # WHEN the first sender records its outcome late, an answer or a refusal
        late_failure = rules.failed(stale, "Throttling", permanent=False, now=NOW)
        assert log.save_outcome(late_failure) is False
        assert log.save_outcome(rules.sent(stale, NOW, "sns-1")) is False
        # THEN it is ignored: the message is still the second sender's
        stored = log.get(n.notification_id)
        assert stored is not None and stored.status == DeliveryStatus.SENDING
        # AND the second sender's outcome is recorded
        assert log.save_outcome(rules.sent(current, NOW + timedelta(seconds=62), "sns-2"))
        stored = log.get(n.notification_id)
        assert stored is not None and (stored.status, stored.attempts) == ("sent", 2)

    def test_log_late_answer_settles_an_unknown_nobody_claimed_since(
        self, log: NotificationLog
    ) -> None:
        # GIVEN an attempt recorded unanswered after its sender's lease ran out
        n = log.create(_notification())
        slow = log.claim(n.notification_id, NOW, 60)
        assert slow is not None and log.save_outcome(rules.after_lost_lease(slow))
        # WHEN the slow sender's answer comes after all
        assert log.save_outcome(rules.sent(slow, NOW + timedelta(seconds=70), "sns-1")) is True
        # THEN the message is sent, with the provider's id: the attempt had an answer after all
        stored = log.get(n.notification_id)
        assert stored is not None
        assert (stored.status, stored.provider_id, stored.unanswered) == ("sent", "sns-1", 0)

    def test_log_replace_only_over_the_state_it_was_read_in(self, log: NotificationLog) -> None:
        n = log.create(_notification())
        claimed = log.claim(n.notification_id, NOW, 60)
        assert claimed is not None
        unknown = rules.unanswered(claimed, "ReadTimeoutError", NOW)
        assert log.save_outcome(unknown)
        read = log.get(n.notification_id)
        assert read is not None
        receipt = receipts.Receipt("sms", "sns-1", NOW, True, "ok", destination="+8613800138000")
        settled = receipts.settle(read, receipt, NOW + timedelta(minutes=1))
        assert settled is not None
        # WHEN it is replaced from a stale read THEN nothing is written
        assert log.replace(settled, claimed) is False
        assert log.replace(settled, read) is True
        stored = log.get(n.notification_id)
        assert stored is not None
        assert (stored.status, stored.provider_id, stored.receipt) == (
            "sent",
            "sns-1",
            "delivered: ok",
        )

    def test_log_reset_only_from_the_state_staff_saw(self, log: NotificationLog) -> None:
        n = log.create(_notification())
        claimed = log.claim(n.notification_id, NOW, 60)
        assert claimed is not None
        assert log.save_outcome(rules.failed(claimed, "MessageRejected", permanent=True, now=NOW))
        later = NOW + timedelta(minutes=1)
        assert log.reset(n.notification_id, later, DeliveryStatus.DEAD, 2) is None
        reset = log.reset(n.notification_id, later, DeliveryStatus.DEAD, 1)
        assert reset is not None and (reset.status, reset.attempts) == ("queued", 0)
        assert log.reset(n.notification_id, later, DeliveryStatus.DEAD, 1) is None
        assert log.claim(n.notification_id, later, 60) is not None

    def test_log_finds_sms_awaiting_receipt_by_phone_and_attempt_time(
        self, log: NotificationLog
    ) -> None:
        # GIVEN two SMS to phones ending in 8000, attempted an hour apart, and one never tried
        first = log.create(_notification())
        other = log.create(_notification("01M8227EWWW73KQHMQKKVMVN3P"))
        log.create(_notification("01M8227EWWW73KQHMQKKVMVN3Q"))
        assert log.claim(first.notification_id, NOW, 60) is not None
        assert log.claim(other.notification_id, NOW + timedelta(hours=1), 60) is not None
        # WHEN SMS awaiting a receipt around the first attempt are looked up
        found = log.awaiting_receipt("sms#8000", NOW - timedelta(minutes=3), NOW)
        # THEN only the first is found; another phone's digits find nothing
        assert [n.notification_id for n in found] == [first.notification_id]
        assert log.awaiting_receipt("sms#0000", NOW - timedelta(days=1), NOW + DAY) == []

    def test_log_unknown_message_is_none(self, log: NotificationLog) -> None:
        assert log.get("01M8227EWWW73KQHMQKKVMVN3N:nothing:sms") is None
        assert log.claim("01M8227EWWW73KQHMQKKVMVN3N:nothing:sms", NOW, 60) is None

    def test_log_lists_by_case_and_by_status_in_pages(self, log: NotificationLog) -> None:
        case_id = "01M8227EWWW73KQHMQKKVMVN3N"
        for channel in ("sms", "email"):
            log.create(_notification(case_id, channel))
        log.create(_notification("01M8227EWWW73KQHMQKKVMVN3P"))
        first, cursor = log.for_case(case_id, 1, None)
        assert len(first) == 1 and cursor is not None
        rest, _ = log.for_case(case_id, 10, cursor)
        assert {n.channel for n in first + rest} == {"sms", "email"}
        queued, _ = log.by_status("queued", 10, None)
        assert len(queued) == 3


def _payment_event(event_id: str, kind: str, minutes: int, **extra: Any) -> PaymentEvent:
    return PaymentEvent(
        event_id=event_id,
        type=kind,
        occurred_at=NOW + timedelta(minutes=minutes),
        transaction_id=extra.pop("transaction_id", "TX-C1"),
        merchant_id="M100001",
        order_id=extra.pop("order_id", "ORD-C1"),
        amount_fen=2500,
        **extra,
    )


def _query(query_id: str, **changes: Any) -> PaymentQuery:
    query = PaymentQuery(
        query_id=query_id,
        merchant_id="M100001",
        transaction_id="TX-C1",
        order_id=None,
        amount_fen=2500,
        paid_at=None,
        note="顾客出示了截图",
        verdict=Verdict.PENDING_SETTLEMENT,
        created_at=NOW,
        updated_at=NOW,
        open=True,
    )
    return replace(query, **changes)


class PaymentStoreContract:
    """The payment ledger and merchants' queries, written through the store's one commit and
    read through the payment store (fixtures `store` and `payments`)."""

    def test_ledger_events_read_back_in_the_order_written(self, store: Any, payments: Any) -> None:
        refund = _payment_event(
            "e2", "refund.failed", 5, refund_id="RF-1", refund_amount_fen=100, failure_reason="x"
        )
        events = (_payment_event("e1", "payment.succeeded", 0), refund)
        store.commit(Changes(now=NOW, payments=[PaymentRecord("TX-C1", events, 0)]))
        record = payments.get_payment("TX-C1")
        assert record is not None and record.events == events and record.version == 1
        assert payments.get_payment("TX-nope") is None

    def test_ledger_write_at_a_stale_version_conflicts(self, store: Any, payments: Any) -> None:
        first = (_payment_event("e1", "payment.succeeded", 0),)
        store.commit(Changes(now=NOW, payments=[PaymentRecord("TX-C1", first, 0)]))
        both = (*first, _payment_event("e2", "payment.settled", 60))
        store.commit(Changes(now=NOW, payments=[PaymentRecord("TX-C1", both, 1)]))
        # a writer that read version 1 (or nothing) and adds its own event lost the race
        late = (*first, _payment_event("e3", "payment.failed", 30))
        for stale in (0, 1):
            with pytest.raises(VersionConflict):
                store.commit(Changes(now=NOW, payments=[PaymentRecord("TX-C1", late, stale)]))
        record = payments.get_payment("TX-C1")
        assert record.events == both and record.version == 2

    def test_ledger_finds_a_payment_by_the_merchants_order(self, store: Any, payments: Any) -> None:
        event = _payment_event("e1", "payment.succeeded", 0, order_id="ORD-9")
        store.commit(Changes(now=NOW, payments=[PaymentRecord("TX-C1", (event,), 0)]))
        found = payments.payment_by_order("M100001", "ORD-9")
        assert found is not None and found.transaction_id == "TX-C1"
        assert payments.payment_by_order("M200002", "ORD-9") is None

    def test_ledger_lists_the_cases_about_a_payment(self, store: Any, payments: Any) -> None:
        # GIVEN a case naming the transaction, one naming another, one naming only the order
        about = make_case()
        paid = about.payment
        assert paid is not None and paid.merchant_id is not None
        other = make_case(payment=replace(paid, transaction_id="TX-other", order_id="ORD-2"))
        by_order = make_case(payment=replace(paid, transaction_id=None, order_id="ORD-1"))
        elsewhere = make_case(
            payment=replace(paid, transaction_id=None, order_id="ORD-1", merchant_id="M200002")
        )
        store.commit(Changes(now=NOW, new_cases=[about, other, by_order, elsewhere]))
        # WHEN the payment's cases are looked up THEN both ways of naming it are found
        found = payments.cases_of_payment(paid.transaction_id, paid.merchant_id, "ORD-1")
        assert sorted(c.case_id for c in found) == sorted([about.case_id, by_order.case_id])
        only_txn = payments.cases_of_payment(paid.transaction_id, paid.merchant_id, None)
        assert [c.case_id for c in only_txn] == [about.case_id]

    def test_queries_open_ones_are_found_by_reference(self, store: Any, payments: Any) -> None:
        open_query = _query("01KQ0000000000000000000001")
        answered = _query("01KQ0000000000000000000002", verdict=Verdict.SETTLED, open=False)
        store.commit(Changes(now=NOW, queries=[open_query, answered]))
        assert payments.get_query(answered.query_id) == answered
        assert payments.open_queries("txn#TX-C1") == [open_query]
        # WHEN the open one is answered THEN no reference finds it any more
        store.commit(Changes(now=NOW, queries=[replace(open_query, open=False)]))
        assert payments.open_queries("txn#TX-C1") == []
        assert payments.get_query(open_query.query_id).open is False
