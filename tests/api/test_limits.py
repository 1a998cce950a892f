"""Every limit the API enforces (chalicelib/domain/limits.py) is the limit the OpenAPI document
states, and the code holds clients to exactly it: a request at the limit is not refused for it,
one past it is a 400 naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest

from chalicelib.domain import limits as L
from tests.api.conftest import Api, error_of
from tests.api.merchants import Merchants, payment_event
from tests.builders import complaint
from tests.openapi_check import contract

# -- who sends what -------------------------------------------------------------------------------


@dataclass
class World:
    """One filed case, staff of every role and a registered merchant."""

    api: Api
    merchants: Merchants
    case: dict[str, Any]
    tokens: dict[str, str]
    incident: str | None = None

    def staff(self, method: str, path: str, body: Any, role: str = "admin") -> Any:
        auth = {"Authorization": f"Bearer {self.tokens[role]}"}
        if method == "GET":
            return self.api.get(path, self.tokens[role])
        raw = json.dumps(body, ensure_ascii=False)
        headers = {"Content-Type": "application/json", **auth}
        return self.api.client.http.request(method, path, headers=headers, body=raw)

    def customer(self, action: str, body: Any) -> Any:
        path = f"/v1/cases/{self.case['case_id']}/{action}"
        auth = {"Authorization": f"Bearer {self.case['access_token']}"}
        if action == "preferences":
            raw = json.dumps(body, ensure_ascii=False)
            return self.api.client.http.put(path, headers=auth, body=raw)
        return self.api.post(path, body, auth)

    @property
    def on_case(self) -> str:
        return f"/v1/admin/cases/{self.case['case_id']}"


def _chars(n: int) -> str:
    return "诉" * n


def _email(n: int) -> str:
    domain = "@example.com"
    return "a" * (n - len(domain)) + domain


def _phone(n: int) -> str:
    return "+86 138" + "0" * (n - 7)


def _filed(w: World, **changes: Any) -> Any:
    return w.api.file(complaint(**changes))


def _payment(**fields: Any) -> dict[str, Any]:
    return {"transaction_id": "TXN-L-1", "merchant_id": "M100001", "amount_fen": 100, **fields}


def _dates(n: int) -> list[str]:
    start = date(2027, 1, 4)  # a Monday
    return [(start + timedelta(days=d)).isoformat() for d in range(n)]


INCIDENT_OP = "/v1/admin/incidents/{incident_id}"
_SUMMARY = {"zh-CN": "网关故障", "en": "The gateway failed"}


def _declaration(**changes: Any) -> dict[str, Any]:
    return {
        "title": "ICBC gateway outage",
        "summary": dict(_SUMMARY),
        "started_at": "2026-11-23T00:00:00Z",
        "match": {"merchant_id": "M100001"},
        **changes,
    }


def _declare(w: World, field: str, value: Any) -> Any:
    body = _declaration()
    *parents, name = field.split(".")
    target = body
    for parent in parents:
        target = target[parent]
    target[name] = value
    return w.staff("POST", "/v1/admin/incidents", body)


def _incident(w: World) -> str:
    """The path of the world's incident (declared on first use)."""
    if w.incident is None:
        declared = w.staff("POST", "/v1/admin/incidents", _declaration())
        assert declared.status_code == 201, declared.body
        w.incident = f"/v1/admin/incidents/{declared.json_body['incident_id']}"
    return w.incident


def _incident_text(action: str, lang: str, value: str) -> dict[str, Any]:
    text = {**_SUMMARY, lang: value}
    return {"text": text, "outcome": "resolved"} if action == "resolve" else {"text": text}


def _case_ids(n: int) -> list[str]:
    from chalicelib.domain.ids import new_ulid
    from tests.builders import MONDAY_10AM

    return [new_ulid(MONDAY_10AM) for _ in range(n)]


def _new_agent(w: World) -> str:
    member, _ = w.api.container.staff.create({"name": "待停用", "role": "agent"})
    return member.staff_id


def _webhook(w: World, **fields: Any) -> Any:
    event = payment_event("payment.succeeded", w.api.clock.now(), fields.pop("id", None))
    event["data"].update(fields)
    return w.merchants.webhook_raw(json.dumps(event, ensure_ascii=False).encode())


@dataclass(frozen=True)
class Probe:
    """A limit, where the document states it and how a request reaches it."""

    field: str  # as the 400 names it
    operation: tuple[str, str]  # method and path template in the document
    where: tuple[str, ...]  # ("body", *properties) or ("query", name) or ("header", name)
    limit: int | L.Span
    send: Callable[[World, Any], Any]
    value: Callable[[int], Any] = lambda n: n
    keywords: tuple[str, str] = ("minimum", "maximum")  # low, high


TEXT = ("minLength", "maxLength")
ITEMS = ("minItems", "maxItems")
COMPLAINT = ("POST", "/v1/complaints")
CASE_OP = "/v1/admin/cases/{case_id}"

PROBES = [
    Probe(
        "description",
        COMPLAINT,
        ("body", "description"),
        L.DESCRIPTION,
        lambda w, v: _filed(w, description=v),
        _chars,
        TEXT,
    ),
    Probe(
        "contact.phone",
        COMPLAINT,
        ("body", "contact", "phone"),
        L.PHONE,
        lambda w, v: _filed(w, contact={"phone": v}),
        _phone,
        TEXT,
    ),
    Probe(
        "contact.email",
        COMPLAINT,
        ("body", "contact", "email"),
        L.EMAIL,
        lambda w, v: _filed(w, contact={"email": v}),
        _email,
        TEXT,
    ),
    Probe(
        "payment.transaction_id",
        COMPLAINT,
        ("body", "payment", "transaction_id"),
        L.REFERENCE,
        lambda w, v: _filed(w, payment=_payment(transaction_id=v)),
        lambda n: "T" * n,
        TEXT,
    ),
    *(
        Probe(
            f"payment.{name}",
            COMPLAINT,
            ("body", "payment", name),
            L.REFERENCE,
            lambda w, v, name=name: _filed(w, payment=_payment(**{name: v})),
            lambda n: "R" * n,
            TEXT,
        )
        for name in ("merchant_id", "order_id")
    ),
    Probe(
        "payment.amount_fen",
        COMPLAINT,
        ("body", "payment", "amount_fen"),
        L.AMOUNT_FEN,
        lambda w, v: _filed(w, payment=_payment(amount_fen=v)),
    ),
    Probe(
        "Idempotency-Key",
        COMPLAINT,
        ("header", "Idempotency-Key"),
        L.IDEMPOTENCY_KEY,
        lambda w, v: w.api.file(complaint(), key=v),
        lambda n: "k" * n,
        TEXT,
    ),
    Probe(
        "limit",
        ("GET", "/v1/admin/cases"),
        ("query", "limit"),
        L.PAGE,
        lambda w, v: w.staff("GET", f"/v1/admin/cases?limit={v}", None),
    ),
    Probe(
        "assignee",
        ("GET", "/v1/admin/cases"),
        ("query", "assignee"),
        L.STAFF_ID,
        lambda w, v: w.staff("GET", f"/v1/admin/cases?assignee={v}", None),
        lambda n: "s" * n,
        TEXT,
    ),
    Probe(
        "text",
        ("POST", "/v1/cases/{case_id}/messages"),
        ("body", "text"),
        L.MESSAGE,
        lambda w, v: w.customer("messages", {"text": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "reason",
        ("POST", "/v1/cases/{case_id}/withdraw"),
        ("body", "reason"),
        L.REASON,
        lambda w, v: w.customer("withdraw", {"reason": v}),
        _chars,
        TEXT,
    ),
    *(
        Probe(
            "reason",
            ("POST", f"/v1/cases/{{case_id}}/{action}"),
            ("body", "reason"),
            L.REASON,
            lambda w, v, action=action: w.customer(action, {"reason": v}),
            _chars,
            TEXT,
        )
        for action in ("objection", "proposal/accept", "proposal/reject")
    ),
    Probe(
        "rating",
        ("POST", "/v1/cases/{case_id}/feedback"),
        ("body", "rating"),
        L.RATING,
        lambda w, v: w.customer("feedback", {"rating": v}),
    ),
    Probe(
        "comment",
        ("POST", "/v1/cases/{case_id}/feedback"),
        ("body", "comment"),
        L.COMMENT,
        lambda w, v: w.customer("feedback", {"rating": 5, "comment": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "phone",
        ("POST", "/v1/otp"),
        ("body", "phone"),
        L.PHONE,
        lambda w, v: w.api.post("/v1/otp", {"phone": v}),
        _phone,
        TEXT,
    ),
    Probe(
        "phone",
        ("POST", "/v1/sessions"),
        ("body", "phone"),
        L.PHONE,
        lambda w, v: w.api.post("/v1/sessions", {"phone": v, "code": "123456"}),
        _phone,
        TEXT,
    ),
    Probe(
        "note",
        ("POST", CASE_OP + "/transitions"),
        ("body", "note"),
        L.NOTE,
        lambda w, v: w.staff(
            "POST", w.on_case + "/transitions", {"to": "accepted", "expected_version": 1, "note": v}
        ),
        _chars,
        TEXT,
    ),
    Probe(
        "assignee",
        ("POST", CASE_OP + "/assign"),
        ("body", "assignee"),
        L.STAFF_ID,
        lambda w, v: w.staff("POST", w.on_case + "/assign", {"assignee": v}),
        lambda n: "s" * n,
        TEXT,
    ),
    Probe(
        "text",
        ("POST", CASE_OP + "/notes"),
        ("body", "text"),
        L.MESSAGE,
        lambda w, v: w.staff("POST", w.on_case + "/notes", {"text": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "text",
        ("POST", CASE_OP + "/messages"),
        ("body", "text"),
        L.MESSAGE,
        lambda w, v: w.staff("POST", w.on_case + "/messages", {"text": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "summary",
        ("POST", CASE_OP + "/calls"),
        ("body", "summary"),
        L.MESSAGE,
        lambda w, v: w.staff("POST", w.on_case + "/calls", {"summary": v, "outcome": "回电"}),
        _chars,
        TEXT,
    ),
    Probe(
        "outcome",
        ("POST", CASE_OP + "/calls"),
        ("body", "outcome"),
        L.CALL_OUTCOME,
        lambda w, v: w.staff("POST", w.on_case + "/calls", {"summary": "通话", "outcome": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "text",
        ("POST", CASE_OP + "/proposals"),
        ("body", "text"),
        L.PROPOSAL_TEXT,
        lambda w, v: w.staff("POST", w.on_case + "/proposals", {"kind": "explanation", "text": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "amount_fen",
        ("POST", CASE_OP + "/proposals"),
        ("body", "amount_fen"),
        L.AMOUNT_FEN,
        lambda w, v: w.staff(
            "POST",
            w.on_case + "/proposals",
            {"kind": "partial_refund", "text": "退款", "amount_fen": v},
        ),
    ),
    Probe(
        "installments",
        ("POST", CASE_OP + "/proposals"),
        ("body", "installments"),
        L.INSTALLMENTS,
        lambda w, v: w.staff(
            "POST",
            w.on_case + "/proposals",
            {
                "kind": "installment_plan",
                "text": "分期",
                "amount_fen": 100 * len(v),
                "installments": v,
            },
        ),
        lambda n: [{"due_date": d, "amount_fen": 100} for d in _dates(n)],
        ITEMS,
    ),
    Probe(
        "days",
        ("POST", CASE_OP + "/extensions"),
        ("body", "days"),
        L.EXTENSION_DAYS,
        lambda w, v: w.staff("POST", w.on_case + "/extensions", {"days": v, "reason": "调查中"}),
    ),
    Probe(
        "reason",
        ("POST", CASE_OP + "/extensions"),
        ("body", "reason"),
        L.EXTENSION_REASON,
        lambda w, v: w.staff("POST", w.on_case + "/extensions", {"days": 1, "reason": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "name",
        ("POST", "/v1/admin/staff"),
        ("body", "name"),
        L.PERSON_NAME,
        lambda w, v: w.staff("POST", "/v1/admin/staff", {"name": v, "role": "agent"}),
        _chars,
        TEXT,
    ),
    Probe(
        "reason",
        ("POST", "/v1/admin/staff/{staff_id}/deactivate"),
        ("body", "reason"),
        L.REASON,
        lambda w, v: w.staff("POST", f"/v1/admin/staff/{_new_agent(w)}/deactivate", {"reason": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "team",
        ("POST", "/v1/admin/staff"),
        ("body", "team"),
        L.PERSON_NAME,
        lambda w, v: w.staff("POST", "/v1/admin/staff", {"name": "李", "role": "agent", "team": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "email",
        ("POST", "/v1/admin/staff"),
        ("body", "email"),
        L.EMAIL,
        lambda w, v: w.staff(
            "POST", "/v1/admin/staff", {"name": "李", "role": "agent", "email": v}
        ),
        _email,
        TEXT,
    ),
    *(
        Probe(
            name,
            ("POST", "/v1/admin/merchants"),
            ("body", name),
            limit,
            lambda w, v, name=name: w.staff(
                "POST", "/v1/admin/merchants", {"merchant_id": "M400004", "name": "店", name: v}
            ),
            value,
            TEXT,
        )
        for name, limit, value in (
            ("merchant_id", L.REFERENCE, lambda n: "M" + "1" * (n - 1)),
            ("email", L.EMAIL, _email),
            ("phone", L.PHONE, _phone),
        )
    ),
    Probe(
        "name",
        ("POST", "/v1/admin/merchants"),
        ("body", "name"),
        L.MERCHANT_NAME,
        lambda w, v: w.staff("POST", "/v1/admin/merchants", {"merchant_id": "M400004", "name": v}),
        _chars,
        TEXT,
    ),
    Probe(
        "first_response.days",
        ("PUT", "/v1/admin/sla-policies/{category}"),
        ("body", "first_response", "days"),
        L.TARGET_DAYS,
        lambda w, v: w.staff(
            "PUT",
            "/v1/admin/sla-policies/other",
            {"first_response": {"days": v}, "resolution": {"days": 60}},
        ),
    ),
    Probe(
        "first_response.hours",
        ("PUT", "/v1/admin/sla-policies/{category}"),
        ("body", "first_response", "hours"),
        L.TARGET_HOURS,
        lambda w, v: w.staff(
            "PUT",
            "/v1/admin/sla-policies/other",
            {"first_response": {"hours": v}, "resolution": {"days": 60}},
        ),
    ),
    Probe(
        "resolution.days",
        ("PUT", "/v1/admin/sla-policies/{category}"),
        ("body", "resolution", "days"),
        L.TARGET_DAYS,
        lambda w, v: w.staff(
            "PUT",
            "/v1/admin/sla-policies/other",
            {"first_response": {"days": 1}, "resolution": {"days": v}},
        ),
    ),
    Probe(
        "resolution.hours",
        ("PUT", "/v1/admin/sla-policies/{category}"),
        ("body", "resolution", "hours"),
        L.TARGET_HOURS,
        lambda w, v: w.staff(
            "PUT",
            "/v1/admin/sla-policies/security_fraud",
            {"first_response": {"hours": 1}, "resolution": {"hours": v}},
        ),
    ),
    Probe(
        "workdays",
        ("PUT", "/v1/admin/calendar/{year}"),
        ("body", "workdays"),
        L.CALENDAR_DATES,
        lambda w, v: w.staff("PUT", "/v1/admin/calendar/2027", {"workdays": v}),
        _dates,
        ITEMS,
    ),
    Probe(
        "holidays",
        ("PUT", "/v1/admin/calendar/{year}"),
        ("body", "holidays"),
        L.CALENDAR_DATES,
        lambda w, v: w.staff("PUT", "/v1/admin/calendar/2027", {"holidays": v}),
        _dates,
        ITEMS,
    ),
    Probe(
        "note",
        ("POST", "/v1/merchant/payment-queries"),
        ("body", "note"),
        L.PAYMENT_QUERY_NOTE,
        lambda w, v: w.merchants.ask("M100001", transaction_id="TXN-Q", amount_fen=1, note=v),
        _chars,
        TEXT,
    ),
    *(
        Probe(
            name,
            ("POST", "/v1/merchant/payment-queries"),
            ("body", name),
            L.REFERENCE,
            lambda w, v, name=name: w.merchants.ask("M100001", amount_fen=1, **{name: v}),
            lambda n: "Q" * n,
            TEXT,
        )
        for name in ("transaction_id", "order_id")
    ),
    Probe(
        "text",
        ("POST", "/v1/merchant/cases/{case_id}/responses"),
        ("body", "text"),
        L.MESSAGE,
        lambda w, v: w.merchants.send(
            "M100001", "POST", f"/v1/merchant/cases/{w.case['case_id']}/responses", {"text": v}
        ),
        _chars,
        TEXT,
    ),
    Probe(
        "amount_fen",
        ("POST", "/v1/merchant/payment-queries"),
        ("body", "amount_fen"),
        L.AMOUNT_FEN,
        lambda w, v: w.merchants.ask("M100001", transaction_id="TXN-Q", amount_fen=v),
    ),
    Probe(
        "id",
        ("POST", "/v1/webhooks/payment-events"),
        ("body", "id"),
        L.EVENT_ID,
        lambda w, v: _webhook(w, id=v),
        lambda n: "e" * n,
        TEXT,
    ),
    *(
        Probe(
            f"data.{name}",
            ("POST", "/v1/webhooks/payment-events"),
            ("body", "data", name),
            L.REFERENCE,
            lambda w, v, name=name: _webhook(w, **{name: v}),
            lambda n: "W" * n,
            TEXT,
        )
        for name in ("transaction_id", "merchant_id", "order_id", "refund_id")
    ),
    *(
        Probe(
            f"data.{name}",
            ("POST", "/v1/webhooks/payment-events"),
            ("body", "data", name),
            L.AMOUNT_FEN,
            lambda w, v, name=name: _webhook(w, **{name: v}),
        )
        for name in ("amount_fen", "refund_amount_fen")
    ),
    Probe(
        "data.failure_reason",
        ("POST", "/v1/webhooks/payment-events"),
        ("body", "data", "failure_reason"),
        L.FAILURE_REASON,
        lambda w, v: _webhook(w, failure_reason=v),
        _chars,
        TEXT,
    ),
    *[
        Probe(
            field,
            ("POST", "/v1/admin/incidents"),
            ("body", *field.split(".")),
            limit,
            lambda w, v, field=field: _declare(w, field, v),
            _chars,
            TEXT,
        )
        for field, limit in (
            ("title", L.INCIDENT_TITLE),
            ("summary.zh-CN", L.INCIDENT_TEXT),
            ("summary.en", L.INCIDENT_TEXT),
            ("match.merchant_id", L.REFERENCE),
        )
    ],
    *[
        Probe(
            field,
            ("POST", f"{INCIDENT_OP}/cases"),
            ("body", field),
            L.INCIDENT_CASES,
            lambda w, v, field=field: w.staff("POST", f"{_incident(w)}/cases", {field: v}),
            _case_ids,
            ITEMS,
        )
        for field in ("case_ids", "unlink")
    ],
    *[
        Probe(
            f"text.{lang}",
            ("POST", f"{INCIDENT_OP}/{action}"),
            ("body", "text", lang),
            L.INCIDENT_TEXT,
            lambda w, v, lang=lang, action=action: w.staff(
                "POST", f"{_incident(w)}/{action}", _incident_text(action, lang, v)
            ),
            _chars,
            TEXT,
        )
        for lang in ("zh-CN", "en")
        for action in ("updates", "resolve")
    ],
]


def _evidence(w: World, base: str, **fields: Any) -> Any:
    """Ask to upload a file on the world's case, as the customer, the merchant or staff."""
    body = {"filename": "a.png", "content_type": "image/png", "size_bytes": 10, **fields}
    case_id = w.case["case_id"]
    if base.startswith("/v1/merchant/"):
        return w.merchants.send("M100001", "POST", f"/v1/merchant/cases/{case_id}/evidence", body)
    if base.startswith("/v1/admin/"):
        return w.staff("POST", f"/v1/admin/cases/{case_id}/evidence", body)
    return w.customer("evidence", body)


_EVIDENCE_BASES = ("/v1/cases/{case_id}", "/v1/merchant/cases/{case_id}", CASE_OP)
PROBES += [
    probe
    for base in _EVIDENCE_BASES
    for probe in (
        Probe(
            "filename",
            ("POST", f"{base}/evidence"),
            ("body", "filename"),
            L.EVIDENCE_FILENAME,
            lambda w, v, base=base: _evidence(w, base, filename=v),
            _chars,
            TEXT,
        ),
        Probe(
            "note",
            ("POST", f"{base}/evidence"),
            ("body", "note"),
            L.EVIDENCE_NOTE,
            lambda w, v, base=base: _evidence(w, base, note=v),
            _chars,
            TEXT,
        ),
        Probe(
            "size_bytes",
            ("POST", f"{base}/evidence"),
            ("body", "size_bytes"),
            L.EVIDENCE_FILE_BYTES,
            lambda w, v, base=base: _evidence(w, base, size_bytes=v),
        ),
    )
]


# -- the document's side --------------------------------------------------------------------------


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    document = contract().document
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = document["components"]["schemas"][name]
    return schema


def _stated(probe: Probe) -> dict[str, Any]:
    """The schema the document gives the probed field."""
    method, template = probe.operation
    document = contract().document
    item = document["paths"][template]
    op = item[method.lower()]
    kind, *names = probe.where
    if kind in ("query", "header"):
        params = [*item.get("parameters", []), *op.get("parameters", [])]
        [param] = [p for p in params if p["in"] == kind and p["name"] == names[0]]
        return dict(param["schema"])
    schema = _resolve(op["requestBody"]["content"]["application/json"]["schema"])
    for name in names:
        schema = _resolve(schema["properties"][name])
    return schema


def _span(probe: Probe) -> L.Span:
    if isinstance(probe.limit, L.Span):
        return probe.limit
    return L.Span(0 if probe.keywords == ITEMS else 1, probe.limit)  # lists may be empty


def _refused_for(response: Any, field: str) -> str | None:
    """Why the answer refused `field`, if it did."""
    if response.status_code != 400:
        return None
    return error_of(response).get("fields", {}).get(field)


@pytest.fixture
def world(api: Api, merchants: Merchants) -> World:
    tokens = {role: api.staff_token(role) for role in ("agent", "supervisor", "admin")}
    filed = api.file(complaint())
    assert filed.status_code == 201, filed.body
    return World(api, merchants, filed.json_body, tokens)


@pytest.mark.parametrize("probe", PROBES, ids=lambda p: f"{p.operation[1]}:{p.field}")
def test_limit_is_the_documents_and_holds_exactly(world: World, probe: Probe) -> None:
    low, high = _span(probe)
    # GIVEN the limit as the document states it THEN it is the code's
    stated = _stated(probe)
    low_word, high_word = probe.keywords
    assert stated.get(high_word) == high, stated
    if low_word in stated or low not in (0, 1):  # no minimum stated: any length or none
        assert stated.get(low_word) == low, stated
    # WHEN a request is at the limit THEN it is not refused for it
    at = _refused_for(probe.send(world, probe.value(high)), probe.field)
    assert at is None or str(high) not in at, at
    # WHEN it is one past THEN it is a 400 naming the field and the limit
    over = _refused_for(probe.send(world, probe.value(high + 1)), probe.field)
    assert over is not None and str(high) in over, over
    if low > 0 and probe.keywords != TEXT:  # too short a text is "must not be empty"
        under = _refused_for(probe.send(world, probe.value(low - 1)), probe.field)
        assert under is not None and str(low) in under, under


def test_limit_on_the_body_is_the_documents_413(api: Api) -> None:
    # GIVEN the document's 413 THEN it states the code's limit
    op = contract().document["paths"]["/v1/complaints"]["post"]
    assert f"{L.BODY_BYTES // 1024} KiB" in op["responses"]["413"]["description"]

    def post(size: int) -> Any:
        prefix, suffix = json.dumps(complaint())[:-1] + ', "x": "', '"}'
        raw = prefix + "a" * (size - len(prefix) - len(suffix)) + suffix
        assert len(raw.encode()) == size
        return api.client.http.post(
            "/v1/complaints", headers={"Content-Type": "application/json"}, body=raw
        )

    # WHEN a body is exactly the limit THEN it is read (and refused for its unknown field)
    assert post(L.BODY_BYTES).status_code == 400
    # WHEN it is one byte more THEN it is 413
    assert post(L.BODY_BYTES + 1).status_code == 413


def test_limit_probes_cover_every_limit_the_document_states() -> None:
    # Every maxLength / maximum / maxItems of a request body in the document is probed here or
    # is not one of the limits (a fixed shape such as a code's 6 digits).
    probed = {(p.operation, p.where) for p in PROBES}
    unprobed = []
    for template, item in contract().document["paths"].items():
        for method, op in item.items():
            if method == "parameters" or "requestBody" not in op:
                continue
            schema = _resolve(op["requestBody"]["content"]["application/json"]["schema"])
            for where, field in _bounded(schema, ("body",)):
                if ((method.upper(), template), where) not in probed:
                    unprobed.append(f"{method.upper()} {template} {'.'.join(where[1:])} {field}")
    assert sorted(unprobed) == sorted(KNOWN_UNPROBED), "\n".join(sorted(unprobed))


def _bounded(schema: dict[str, Any], at: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    out = []
    for name, sub in schema.get("properties", {}).items():
        sub = _resolve(sub)
        where = (*at, name)
        out += [(where, k) for k in ("maxLength", "maximum", "maxItems") if k in sub]
        if len(at) < 3:
            out += _bounded(sub, where)
    return out


KNOWN_UNPROBED = [
    # An incident's offer is checked as a case's proposal is, whose limits are probed above.
    "POST /v1/admin/incidents/{incident_id}/resolve proposal.amount_fen maximum",
    "POST /v1/admin/incidents/{incident_id}/resolve proposal.installments maxItems",
    # Each category at most once: the list's length is the number of categories, a fixed shape.
    "POST /v1/admin/incidents match.categories maxItems",
    # The local test clock's furthest move: how far the clock may run ahead of real time
    # (chalicelib/adapters/clock.py), not a limit on what clients write; tested with the clock.
    "POST /v1/dev/clock advance_seconds maximum",
    # The local stack's switch to make a send fail: it answers 404 without the stack's test
    # clock, before reading the body; its limit is the email address's, probed above.
    "POST /v1/dev/fail-next-send to maxLength",
]
