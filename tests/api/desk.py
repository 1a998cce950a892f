"""Driving cases through the HTTP API: staff, customer and the passage of time."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tests.api.conftest import Api
from tests.builders import complaint

ROLES = ("agent", "supervisor", "reviewer", "admin")


@dataclass
class Desk:
    api: Api
    tokens: dict[str, str] = field(default_factory=dict)
    staff_ids: dict[str, str] = field(default_factory=dict)

    def staff(self, role: str, name: str | None = None, email: str | None = None) -> str:
        """A staff token for `role` (one per role and name)."""
        key = name or role
        if key not in self.tokens:
            body = {"name": key, "role": role, **({"email": email} if email else {})}
            member, token = self.api.container.staff.create(body)
            self.tokens[key], self.staff_ids[key] = token, member.staff_id
        return self.tokens[key]

    def auth(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any, token: str | None) -> Any:
        return self.api.post(path, body, self.auth(token) if token else None)

    def file(self, **changes: Any) -> dict[str, Any]:
        response = self.api.file(complaint(**changes))
        assert response.status_code == 201, response.body
        return dict(response.json_body)

    def staff_view(self, case_id: str, token: str | None = None) -> dict[str, Any]:
        response = self.api.get(f"/v1/admin/cases/{case_id}", token or self.staff("agent"))
        assert response.status_code == 200, response.body
        return dict(response.json_body)

    def customer_view(self, case: dict[str, Any]) -> dict[str, Any]:
        response = self.api.get(f"/v1/cases/{case['case_id']}", case["access_token"])
        assert response.status_code == 200, response.body
        return dict(response.json_body)

    def move(
        self,
        case_id: str,
        to: str,
        token: str | None = None,
        note: str | None = None,
        version: int | None = None,
    ) -> Any:
        token = token or self.staff("agent")
        if version is None:
            version = self.staff_view(case_id)["version"]
        body: dict[str, Any] = {"to": to, "expected_version": version}
        if note:
            body["note"] = note
        return self.post(f"/v1/admin/cases/{case_id}/transitions", body, token)

    def must_move(
        self, case_id: str, to: str, token: str | None = None, note: str | None = None
    ) -> dict[str, Any]:
        response = self.move(case_id, to, token, note)
        assert response.status_code == 200, response.body
        return dict(response.json_body)

    def propose(self, case_id: str, body: dict[str, Any], token: str | None = None) -> Any:
        return self.post(f"/v1/admin/cases/{case_id}/proposals", body, token or self.staff("agent"))

    def customer(self, case: dict[str, Any], action: str, body: Any = None) -> Any:
        return self.api.post(
            f"/v1/cases/{case['case_id']}/{action}",
            body if body is not None else {},
            self.auth(case["access_token"]),
        )

    def advance(self, **delta: float) -> None:
        """Move time on, then let the Scheduler and the stream catch up, as AWS would."""
        self.api.clock.set(self.api.clock.now() + timedelta(**delta))
        self.settle()

    def settle(self) -> None:
        container = self.api.container
        scheduler = container.client("scheduler")
        group = container.settings.schedule_group
        for _ in range(20):
            drained = container.outbox.redrive()
            due = []
            for s in scheduler.list_schedules(GroupName=group)["Schedules"]:
                definition = scheduler.get_schedule(Name=s["Name"], GroupName=group)
                at = definition["ScheduleExpression"][3:-1]
                if at <= self.api.clock.now().strftime("%Y-%m-%dT%H:%M:%S"):
                    due.append((at, s["Name"], json.loads(definition["Target"]["Input"])))
            if not due and not drained:
                return
            for _, name, payload in sorted(due):
                container.timers.fire(payload)
                scheduler.delete_schedule(Name=name, GroupName=group)

    def sent(self, case_id: str) -> list[tuple[str, str, str]]:
        """(event, channel, status) of every message about the case, once the outbox drained
        (an event's consumer may add events of its own: drain until nothing is left)."""
        for _ in range(5):
            if not self.api.drain():
                break
        items, _ = self.api.container.notifications.for_case(case_id, 200, None)
        return sorted((n.event, n.channel, n.status) for n in items)

    def events_sent(self, case_id: str) -> set[str]:
        return {event for event, _, status in self.sent(case_id) if status == "sent"}


def at_status(desk: Desk, status: str, **changes: Any) -> dict[str, Any]:
    """A new case driven to `status` through the API (the way a desk would get it there)."""
    case = desk.file(**changes)
    cid = case["case_id"]
    path = {
        "submitted": [],
        "accepted": ["accepted"],
        "investigating": ["accepted", "investigating"],
        "waiting_customer": ["accepted", "waiting_customer"],
        "waiting_merchant": ["accepted", "waiting_merchant"],
        "negotiating": ["accepted", "negotiating"],
        "resolved": ["accepted", "negotiating", "resolved"],
        "unresolved": ["accepted", "negotiating", "unresolved"],
        "second_review": ["accepted", "negotiating", "unresolved", "second_review"],
        "closed": ["accepted", "waiting_customer", "closed"],
        "withdrawn": ["withdrawn"],
    }[status]
    for step in path:
        if step == "negotiating":
            assert desk.propose(cid, EXPLANATION).status_code == 201
        elif step == "resolved":
            assert desk.customer(case, "proposal/accept").status_code == 200
        elif step == "unresolved":
            # a rejection keeps the negotiation open; staff then decide it failed
            assert desk.customer(case, "proposal/reject").status_code == 200
            desk.must_move(cid, "unresolved", note="双方无法达成一致")
        elif step == "second_review":
            assert desk.customer(case, "objection", {"reason": "不同意"}).status_code == 200
        elif step == "withdrawn":
            assert desk.customer(case, "withdraw").status_code == 200
        elif step == "closed":
            desk.advance(days=10)
        else:
            desk.must_move(
                cid, step, note="请提供银行流水截图" if step == "waiting_customer" else None
            )
    assert desk.staff_view(cid)["status"] == status
    return case


EXPLANATION = {"kind": "explanation", "text": "经核实，款项已于次日原路退回。"}
