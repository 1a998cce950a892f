"""Outbox events that were given up: listed for admins and sent again on request."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.outbox import EventKind, NotifyPayload, OutboxEvent, Subject
from chalicelib.services.changes import Changes
from chalicelib.services.outbox import MAX_ATTEMPTS
from tests.api.conftest import Api, error_of


def _given_up_event(api: Api) -> OutboxEvent:
    """An event no consumer can handle (its staff recipients are malformed), redriven until
    it was given up."""
    now = api.clock.now()
    event = OutboxEvent(
        Subject.case("01KBROKENBROKENBROKENBROKEN"),
        "v000001:notify:sla_warning",
        EventKind.NOTIFY,
        "sla_warning",
        NotifyPayload("staff", "sla_warning", {}, {"staff_ids": 7}),
        now,
    )
    api.container.store.commit(Changes(now=now, events=[event]))
    for _ in range(MAX_ATTEMPTS):
        api.drain()
        api.clock.set(api.clock.now() + timedelta(hours=2))
    return event


def test_admins_list_given_up_events_and_send_one_again(api: Api) -> None:
    # GIVEN an event that failed every attempt
    event = _given_up_event(api)
    admin = api.staff_token("admin")
    # WHEN an admin lists the failed events
    listing = api.get("/v1/admin/outbox?status=failed", admin)
    # THEN it is there, with its attempts and last error
    assert listing.status_code == 200
    [item] = listing.json_body["items"]
    assert (item["subject"], item["event_id"]) == (event.subject.key, event.event_id)
    assert item["attempts"] == MAX_ATTEMPTS and "TypeError" in item["last_error"]
    # WHEN it is sent again / THEN it is pending with fresh attempts, and a repeat is refused
    headers = {"Authorization": f"Bearer {admin}"}
    again = api.post(f"/v1/admin/outbox/{item['id']}/retry", {}, headers)
    assert (again.status_code, again.json_body["attempts"]) == (202, 0)
    assert api.get("/v1/admin/outbox?status=failed", admin).json_body["items"] == []
    repeat = api.post(f"/v1/admin/outbox/{item['id']}/retry", {}, headers)
    assert (repeat.status_code, error_of(repeat)["code"]) == (409, "invalid_transition")


def test_the_failed_list_is_for_admins_and_needs_its_status(api: Api) -> None:
    agent = api.staff_token("agent")
    assert api.get("/v1/admin/outbox?status=failed", agent).status_code == 403
    admin = api.staff_token("admin")
    missing = api.get("/v1/admin/outbox", admin)
    assert (missing.status_code, set(error_of(missing)["fields"])) == (400, {"status"})
    headers = {"Authorization": f"Bearer {admin}"}
    assert api.post("/v1/admin/outbox/not-an-event/retry", {}, headers).status_code == 404
