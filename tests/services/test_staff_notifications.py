"""Staff hear about their cases by email: assignment, SLA warnings (the assignee), breaches
(supervisors) and the second-level escalation (supervisors and admins)."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.lifecycle import assign
from tests.builders import complaint
from tests.services.conftest import Desk


def _staff(desk: Desk) -> dict[str, str]:
    ids = {}
    for role, email in (
        ("agent", "li@desk.example"),
        ("supervisor", "wang@desk.example"),
        ("admin", "chen@desk.example"),
        ("agent", None),
    ):
        body = {"name": f"{role}-{email}", "role": role, **({"email": email} if email else {})}
        member, _ = desk.container.staff.create(body)
        ids[email or "no-email"] = member.staff_id
    return ids


def _mail(desk: Desk) -> list[tuple[str, str]]:
    return [(m["to"], m["subject"]) for m in desk.email.sent]


def test_staff_are_told_what_their_clocks_do(desk: Desk) -> None:
    # GIVEN a complaint assigned to an agent with an email address
    ids = _staff(desk)
    body = desk.file(complaint())
    writer = desk.container.writer
    case = writer.load(body["case_id"])
    writer.commit(
        case,
        assign(case, ids["li@desk.example"], ids["wang@desk.example"], desk.clock.now(), "李"),
        desk.clock.now(),
    )
    desk.drain()
    assigned = [to for to, _ in _mail(desk) if to == "li@desk.example"]
    assert len(assigned) == 1  # the assignment
    # WHEN the first-response clock warns, breaches and escalates, as time passes
    for _ in range(2 * 24 + 8):
        desk.clock.advance(3600)
        desk.fire_due()
    # THEN warnings went to the assignee, breaches to supervisors, level 2 to admins as well
    to_agent = [s for to, s in _mail(desk) if to == "li@desk.example"]
    to_supervisor = [s for to, s in _mail(desk) if to == "wang@desk.example"]
    to_admin = [s for to, s in _mail(desk) if to == "chen@desk.example"]
    assert len(to_agent) == 1 + 4  # assignment + 50% and 80% of two clocks
    assert len(to_supervisor) == 3  # first-response breach and escalation, resolution breach
    assert len(to_admin) == 1  # the second level only
    # AND nobody without an address was written to, and customers got none of it
    assert all(
        to.endswith("@desk.example") or to == "zhang.san@example.com" for to, _ in _mail(desk)
    )


def test_unassigned_case_warnings_go_to_supervisors(desk: Desk) -> None:
    _staff(desk)
    desk.file(complaint())
    desk.drain()
    desk.clock.set(desk.clock.now() + timedelta(hours=23, minutes=30))  # Tue 09:30: 50%
    desk.fire_due()
    warned = [to for to, _ in _mail(desk) if to.endswith("@desk.example")]
    assert warned == ["wang@desk.example"]


def test_staff_email_is_validated(desk: Desk) -> None:
    import pytest

    from chalicelib.domain.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as failed:
        desk.container.staff.create({"name": "x", "role": "agent", "email": "not-an-address"})
    assert "email" in failed.value.fields


def test_a_late_wake_up_sends_the_breach_not_the_warnings_it_overtook(desk: Desk) -> None:
    # GIVEN an assigned complaint whose wake-up only fires after its first-response deadline
    ids = _staff(desk)
    body = desk.file(complaint())
    writer = desk.container.writer
    case = writer.load(body["case_id"])
    now = desk.clock.now()
    writer.commit(case, assign(case, ids["li@desk.example"], ids["wang@desk.example"], now), now)
    desk.drain()
    desk.clock.set(desk.clock.now() + timedelta(days=1, hours=9))  # Tue 19:00
    desk.fire_due()
    # THEN the agent is not told "80% used" of a clock already out, the supervisor hears of the
    # breach, and the timeline still records every step
    subjects = [s for to, s in _mail(desk) if to == "li@desk.example"]
    assert not [s for s in subjects if "首次" in s or "受理" in s]
    assert [s for to, s in _mail(desk) if to == "wang@desk.example" and "受理" in s]
    types = [e.type for e in desk.store.timeline(body["case_id"], include_internal=True)]
    assert types.count("sla_warning") == 3 and types.count("sla_due") == 1


def test_a_deactivated_supervisor_gets_no_more_case_email(desk: Desk) -> None:
    # GIVEN two supervisors with addresses, one of them deactivated by an admin
    staff = desk.container.staff
    admin, _ = staff.create({"name": "陈", "role": "admin"})
    kept, _ = staff.create({"name": "王", "role": "supervisor", "email": "wang@desk.example"})
    gone, _ = staff.create({"name": "赵", "role": "supervisor", "email": "zhao@desk.example"})
    staff.deactivate(admin, gone.staff_id, {"reason": "离职"})
    # WHEN an unassigned case's first-response clock runs out (supervisors hear of breaches)
    desk.file(complaint())
    desk.drain()
    for _ in range(2 * 24):
        desk.clock.advance(3600)
        desk.fire_due()
    # THEN the active supervisor was told and the deactivated one never was
    recipients = {to for to, _ in _mail(desk)}
    assert "wang@desk.example" in recipients
    assert "zhao@desk.example" not in recipients
    assert kept.active and not desk.container.staff_directory.get(gone.staff_id).active  # type: ignore[union-attr]
