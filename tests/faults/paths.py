"""Every write path of PayCase, as the fault matrix drives it: the state it starts from (built
once through the API and then snapshotted), the one request or invocation it is, and the effect
it must have exactly once.

A request is built once per cell, so the retry is the identical request: the same
Idempotency-Key, and for a signed merchant request the same signature, timestamp and nonce.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from chalicelib.adapters.dynamo.models import OutboxModel
from clients.paycase_sign import sign_request, sign_webhook
from devstack.streams import stream_record
from tests.api.desk import EXPLANATION, at_status
from tests.api.merchants import payment_event
from tests.builders import complaint
from tests.faults.world import World, sms_sent

PHONE = "+8613800138000"
EMAIL = "zhang.san@example.com"
MERCHANT = "M100001"


@dataclass
class Outcome:
    """What the caller saw: an HTTP answer, or a function's result or exception."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            return f"raised {self.error}"
        if self.status is None:
            return f"returned {self.body!r}"[:200]
        error = self.body.get("error") if isinstance(self.body, dict) else None
        if isinstance(error, dict):
            return f"{self.status} {error.get('code')} ({str(error.get('message'))[:80]})"
        return str(self.status)


@dataclass(frozen=True)
class Http:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""

    def send(self, world: World) -> Outcome:
        response = world.client.http.request(
            self.method, self.path, headers=self.headers, body=self.body
        )
        try:
            body = json.loads(response.body) if response.body else None
        except ValueError:
            body = response.body
        headers = {k.lower(): v for k, v in response.headers.items()}
        return Outcome(response.status_code, headers, body)


@dataclass(frozen=True)
class Invoke:
    """A function AWS invokes (stream, Scheduler, SNS, the sweeper's schedule), with a Lambda
    context that has its function's time (chalice's test client gives every function 3 s,
    which the sweeper, keeping 30 s in reserve, would read as no time at all)."""

    function: str
    event: Any
    seconds: int = 240  # the deployed sweeper's timeout; the others have less and need less

    def send(self, world: World) -> Outcome:
        from chalice.local import LambdaContext

        import app

        context = LambdaContext(self.function, 512, max_runtime_ms=self.seconds * 1000)
        try:
            payload = app.app.handler_map[self.function](self.event, context)
        except Exception as exc:
            return Outcome(None, error=f"{exc.__class__.__name__}: {exc}"[:300])
        return Outcome(None, body=payload)


Action = Http | Invoke


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


KEY = "faults-key-0001"


def _json(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def post(path: str, body: Any, token: str | None = None, method: str = "POST") -> Http:
    headers = {"Content-Type": "application/json", "Idempotency-Key": KEY}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return Http(method, path, headers, _json(body))


def signed(world: World, path: str, body: Any) -> Http:
    raw = _json(body)
    secret = world.merchants.secrets[MERCHANT]
    headers = sign_request(MERCHANT, secret, "POST", path, raw, timestamp=world.merchants.now())
    headers |= {"Content-Type": "application/json", "Idempotency-Key": KEY}
    return Http("POST", path, headers, raw)


# -- setups ----------------------------------------------------------------------------------


def nothing(world: World) -> None:
    world.ctx["admin"] = world.desk.staff("admin")


def filed(world: World) -> None:
    """A settled complaint (its acknowledgement sent, its first schedule armed)."""
    world.merchants.register(MERCHANT)
    world.ctx["case"] = world.desk.file()
    world.ctx["agent"] = world.desk.staff("agent")
    world.ctx["supervisor"] = world.desk.staff("supervisor")
    world.settle()


@functools.cache
def at(status: str) -> Callable[[World], None]:
    def setup(world: World) -> None:
        world.merchants.register(MERCHANT)
        world.ctx["agent"] = world.desk.staff("agent")
        world.ctx["supervisor"] = world.desk.staff("supervisor")
        world.ctx["case"] = at_status(world.desk, status)
        world.settle()

    return setup


def filed_unsent(world: World) -> None:
    """A complaint whose outbox events the stream has not delivered yet."""
    world.merchants.register(MERCHANT)
    world.ctx["case"] = world.desk.file()


def code_requested(world: World) -> None:
    response = world.api.post("/v1/otp", {"phone": PHONE})
    assert response.status_code == 202, response.body
    world.settle()
    [text] = [text for phone, text in sms_sent() if phone == PHONE]
    world.ctx["code"] = re.search(r"\d{6}", text).group(0)  # type: ignore[union-attr]


def payment_known(world: World) -> None:
    """A paid payment of the merchant, reported by the platform."""
    world.merchants.register(MERCHANT)
    assert world.merchants.event("payment.succeeded").status_code == 200
    world.settle()


def timer_due(world: World) -> None:
    """A complaint whose first schedule has just fallen due (not yet fired)."""
    filed(world)
    [(at_, _, payload)] = [s for s in _schedules(world)]
    world.clock.set(_parse_at(at_))
    world.ctx["timer"] = payload


def overdue_outbox(world: World) -> None:
    """A complaint whose stream delivery never happened, older than the sweeper's minimum."""
    filed_unsent(world)
    world.clock.advance(10 * 60)


def dead_sms(world: World) -> None:
    """A complaint whose acknowledgement SMS SNS refused for good (`dead`)."""
    from tests.faults.injector import FAULTS, Kind

    filed_unsent(world)
    world.ctx["agent"] = world.desk.staff("agent")
    with FAULTS.engaged():
        FAULTS.inject(Kind.REJECTED, "sns", "Publish", times=None, code="InvalidParameter")
        world.settle()
        FAULTS.clear()
    case_id = world.ctx["case"]["case_id"]
    items, _ = world.container.notifications.for_case(case_id, 50, None)
    [dead] = [n for n in items if n.channel == "sms" and n.status == "dead"]
    world.ctx["notification"] = dead.notification_id


def _schedules(world: World) -> list[tuple[str, str, dict[str, Any]]]:
    scheduler = world.container.client("scheduler")
    group = world.container.settings.schedule_group
    out = []
    for s in scheduler.list_schedules(GroupName=group)["Schedules"]:
        definition = scheduler.get_schedule(Name=s["Name"], GroupName=group)
        payload = json.loads(definition["Target"]["Input"])
        out.append((definition["ScheduleExpression"][3:-1], s["Name"], payload))
    return out


def _parse_at(text: str) -> Any:
    from datetime import UTC, datetime

    return datetime.fromisoformat(text).replace(tzinfo=UTC)


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
        lambda w: _webhook(w, "payment.succeeded"),
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
BY_NAME = {path.name: path for path in PATHS}


def _webhook(world: World, kind: str) -> Http:
    raw = _json(payment_event(kind, world.clock.now(), event_id="evt_faults_0001"))
    secret = world.container.settings.webhook_secret
    assert secret is not None
    signature = sign_webhook(secret, raw, timestamp=world.merchants.now())
    headers = {"Content-Type": "application/json", "X-PayCase-Signature": signature}
    return Http("POST", "/v1/webhooks/payment-events", headers, raw)


def scheduled_event(world: World) -> dict[str, Any]:
    return world.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )


TIMER_STEP = timedelta(minutes=10)
