"""Every write path of PayCase, as the fault matrix drives it: the state it starts from
(tests/faults/setups.py), the one request or invocation it is (tests/faults/actions.py), and the
effect it must have exactly once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.dynamo.models import OutboxModel
from devstack.streams import stream_record
from tests.api.desk import EXPLANATION
from tests.builders import complaint
from tests.faults.actions import Action, Http, Invoke, post, scheduled_event, signed, webhook
from tests.faults.setups import (
    INCIDENT,
    PHONE,
    at,
    code_requested,
    dead_sms,
    filed,
    filed_unsent,
    incident_open,
    nothing,
    overdue_outbox,
    payment_known,
    people,
    timer_due,
)
from tests.faults.world import World

EMAIL = "zhang.san@example.com"


@dataclass(frozen=True)
class Path:
    name: str
    setup: Callable[[World], None]
    request: Callable[[World], Action]
    # What the request must have done exactly once, as census deltas from its starting state
    # (tests/faults/world.py: census).
    effects: dict[str, int]
    ok: int | None = None  # the HTTP status of success; None for functions
    same_answer: bool = True  # a repeat gets the first answer (a webhook: `duplicate: true`)
    keyed: bool = True  # retried by Idempotency-Key (a webhook: by its event id)
    stride: int = 1  # sample every stride-th call (calls of an operation met once: all)

    @property
    def http(self) -> bool:
        return self.ok is not None


# -- requests --------------------------------------------------------------------------------


def _case(world: World) -> dict[str, Any]:
    return dict(world.ctx["case"])


def _staff(world: World, case_path: str, body: Any, role: str = "agent") -> Http:
    return post(f"/v1/admin/cases/{_case(world)['case_id']}/{case_path}", body, world.ctx[role])


def _customer(world: World, case_path: str, body: Any, method: str = "POST") -> Http:
    case = _case(world)
    return post(f"/v1/cases/{case['case_id']}/{case_path}", body, case["access_token"], method)


def _version(world: World) -> int:
    return int(world.desk.staff_view(_case(world)["case_id"], world.ctx["agent"])["version"])


def _records(world: World) -> dict[str, Any]:
    items = list(OutboxModel.query(_case(world)["case_id"]))
    return {"Records": [stream_record(item, n) for n, item in enumerate(items, 1)]}


def _sns(world: World, message: dict[str, Any]) -> dict[str, Any]:
    return world.client.events.generate_sns_event(message=json.dumps(message))


BOUNCE = {
    "eventType": "Bounce",
    "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": EMAIL}]},
}

PATHS: tuple[Path, ...] = (
    Path(
        "complaint",
        nothing,
        lambda w: post("/v1/complaints", complaint()),
        {"cases": 1, "timeline:submitted": 1},
        ok=201,
    ),
    Path(
        "customer_evidence",
        filed,
        lambda w: _customer(
            w,
            "evidence",
            {"filename": "支付截图.png", "content_type": "image/png", "size_bytes": 2048},
        ),
        {"evidence": 1},
        ok=201,
    ),
    Path(
        "staff_assign",
        filed,
        lambda w: _staff(w, "assign", {"assignee": w.desk.staff_ids["agent"]}),
        {"timeline:assigned": 1},
        ok=200,
    ),
    Path(
        "staff_transition",
        filed,
        lambda w: _staff(w, "transitions", {"to": "accepted", "expected_version": _version(w)}),
        {"timeline:accepted": 1},
        ok=200,
    ),
    Path(
        "staff_note",
        filed,
        lambda w: _staff(w, "notes", {"text": "内部备注：已联系银行核实"}),
        {"timeline:note": 1},
        ok=201,
    ),
    Path(
        "staff_message",
        filed,
        lambda w: _staff(w, "messages", {"text": "您好，我们正在核实您的扣款记录。"}),
        {"timeline:message": 1},
        ok=201,
    ),
    Path(
        "staff_call",
        filed,
        lambda w: _staff(w, "calls", {"summary": "电话联系客户", "outcome": "客户确认扣款"}),
        {"timeline:call_logged": 1},
        ok=201,
    ),
    Path(
        "staff_proposal",
        at("accepted"),
        lambda w: _staff(w, "proposals", EXPLANATION),
        {"timeline:proposal_made": 1},
        ok=201,
    ),
    Path(
        "staff_extension",
        at("accepted"),
        lambda w: _staff(
            w, "extensions", {"days": 10, "reason": "需要等待银行回函"}, role="supervisor"
        ),
        {"timeline:regulatory_extended": 1},
        ok=200,
    ),
    Path(
        "customer_message",
        filed,
        lambda w: _customer(w, "messages", {"text": "我补充一下：扣款时间是上午九点。"}),
        {"timeline:customer_message": 1},
        ok=201,
    ),
    Path(
        "customer_accept",
        at("negotiating"),
        lambda w: _customer(w, "proposal/accept", {}),
        {"timeline:proposal_accepted": 1},
        ok=200,
    ),
    Path(
        "customer_reject",
        at("negotiating"),
        lambda w: _customer(w, "proposal/reject", {"reason": "我要全额退款"}),
        {"timeline:proposal_rejected": 1},
        ok=200,
    ),
    Path(
        "customer_objection",
        at("unresolved"),
        lambda w: _customer(w, "objection", {"reason": "不同意处理结果"}),
        {"timeline:second_review_opened": 1},
        ok=200,
    ),
    Path(
        "customer_withdraw",
        filed,
        lambda w: _customer(w, "withdraw", {"reason": "问题已解决"}),
        {"timeline:withdrawn": 1},
        ok=200,
    ),
    Path(
        "customer_feedback",
        at("resolved"),
        lambda w: _customer(w, "feedback", {"rating": 5, "comment": "处理很快"}),
        {"timeline:feedback": 1},
        ok=201,
    ),
    Path(
        "customer_preferences",
        filed,
        lambda w: _customer(w, "preferences", {"language": "en"}, method="PUT"),
        {"timeline:preferences_changed": 1},
        ok=200,
    ),
    Path(
        "otp_request",
        nothing,
        lambda w: post("/v1/otp", {"phone": PHONE}),
        {},
        ok=202,
    ),
    Path(
        "session_open",
        code_requested,
        lambda w: post("/v1/sessions", {"phone": PHONE, "code": w.ctx["code"]}),
        {"key:session": 1, "key:otp-used": 1},
        ok=201,
    ),
    Path(
        "payment_webhook",
        filed,
        lambda w: webhook(w, "payment.succeeded"),
        {"payment_events": 1, "key:payment-event": 1},
        ok=200,
        same_answer=False,
        keyed=False,
    ),
    Path(
        "merchant_query",
        payment_known,
        lambda w: signed(
            w,
            "/v1/merchant/payment-queries",
            {"transaction_id": "TXN-20261123-0001", "amount_fen": 3880},
        ),
        {"payment_queries": 1},
        ok=200,
    ),
    Path(
        "merchant_answer",
        at("waiting_merchant"),
        lambda w: signed(
            w,
            f"/v1/merchant/cases/{_case(w)['case_id']}/responses",
            {"text": "我方已核实，款项已于昨日到账。"},
        ),
        {"timeline:merchant_response": 1},
        ok=201,
    ),
    Path(
        "staff_create",
        nothing,
        lambda w: post("/v1/admin/staff", {"name": "新同事", "role": "agent"}, w.ctx["admin"]),
        {"staff": 1},
        ok=201,
    ),
    Path(
        "merchant_register",
        nothing,
        lambda w: post(
            "/v1/admin/merchants",
            {
                "merchant_id": "M200002",
                "name": "新商户",
                "email": "finance@m200002.example.com",
                "phone": "13900139001",
            },
            w.ctx["admin"],
        ),
        {"merchants": 1},
        ok=201,
    ),
    Path(
        "staff_deactivate",
        people,
        lambda w: post(
            f"/v1/admin/staff/{w.ctx['agent_id']}/deactivate", {"reason": "离职"}, w.ctx["admin"]
        ),
        {"audit:staff_deactivated": 1},
        ok=200,
    ),
    Path(
        # The member rotates their own token: a retry carries the old (revoked) token and the
        # same key, and must get the same new token.
        "staff_token",
        people,
        lambda w: post(f"/v1/admin/staff/{w.ctx['agent_id']}/token", {}, w.ctx["agent"]),
        {"audit:token_rotated": 1},
        ok=201,
    ),
    Path(
        "merchant_secret",
        people,
        lambda w: post("/v1/admin/merchants/M100001/secrets", {}, w.ctx["admin"]),
        {"audit:secret_rotated": 1},
        ok=201,
    ),
    Path(
        "outbox_consumer",
        filed_unsent,
        lambda w: Invoke("outbox_consumer", _records(w)),
        {},
        stride=3,
    ),
    Path("sla_timer", timer_due, lambda w: Invoke("sla_timer", w.ctx["timer"]), {}),
    Path(
        "inbound_sms",
        filed,
        lambda w: Invoke("inbound_sms", _sns(w, {"originationNumber": PHONE, "messageBody": "TD"})),
        {"key:sms-opt-out": 1, "timeline:preferences_changed": 1},
    ),
    Path(
        "ses_events",
        filed,
        lambda w: Invoke("ses_events", _sns(w, BOUNCE)),
        {"key:email-suppressed": 1},
    ),
    Path("sweeper", overdue_outbox, lambda w: Invoke("sweeper", scheduled_event(w)), {}, stride=12),
    Path(
        "send_again",
        dead_sms,
        lambda w: post(
            f"/v1/admin/notifications/{w.ctx['notification']}/retry", {}, w.ctx["agent"]
        ),
        {},
        ok=202,
    ),
)


def _incident(world: World, action: str, body: Any, role: str = "supervisor") -> Http:
    return post(f"/v1/admin/incidents/{world.ctx['incident']}/{action}", body, world.ctx[role])


NEWS = {"zh-CN": "网关已恢复。", "en": "The gateway is back."}
INCIDENT_PATHS: tuple[Path, ...] = (
    Path(
        "incident_declare",
        filed,
        lambda w: post("/v1/admin/incidents", INCIDENT, w.ctx["supervisor"]),
        {"timeline:incident_linked": 1, "metrics:incident_linked": 1},
        ok=201,
    ),
    Path(
        "incident_update",
        incident_open,
        lambda w: _incident(w, "updates", {"text": NEWS}),
        {"timeline:incident_update": 1},
        ok=201,
    ),
    Path(
        "incident_unlink",
        incident_open,
        lambda w: _incident(w, "cases", {"unlink": [_case(w)["case_id"]]}, role="agent"),
        {"timeline:incident_unlinked": 1},
        ok=200,
    ),
    Path(
        "incident_resolve",
        incident_open,
        lambda w: _incident(w, "resolve", {"outcome": "resolved", "text": NEWS}),
        {"timeline:status_changed": 1},
        ok=202,
    ),
)
PATHS = PATHS + INCIDENT_PATHS
BY_NAME = {path.name: path for path in PATHS}
