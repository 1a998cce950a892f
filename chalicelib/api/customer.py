"""Customer endpoints: filing a complaint, following and answering it, SMS sign-in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import endpoint, json_response, query_param, read_json
from chalicelib.services.cursors import page_limit

if TYPE_CHECKING:
    from chalicelib.services.access import CaseAccess

bp = Blueprint(__name__)


def _auth() -> str | None:
    return bp.current_request.headers.get("authorization")


def _on_case(case_id: str) -> CaseAccess:
    """The caller, as someone who may act on this case (404 otherwise): resolved before the
    body is read, so a caller without access learns nothing about their body."""
    return wiring.container().customer_access.case(case_id, _auth())


def _idem() -> str | None:
    return bp.current_request.headers.get("idempotency-key")


def _body() -> Any:
    return read_json(bp.current_request)


def _body_or_empty() -> Any:
    """For calls whose body is optional (a reason): no body at all reads as {}."""
    return read_json(bp.current_request) if bp.current_request.raw_body else {}


@endpoint(bp, "/v1/complaints", methods=["POST"])
def file_complaint() -> Any:
    container = wiring.container()
    # Optional: a complaint filed with an SMS session naming its phone is not limited per phone.
    proven = container.customer_access.session(_auth()).phone if _auth() else None
    filed = container.complaints.file(read_json(bp.current_request), _idem(), proven)
    headers = {"Location": f"/v1/cases/{filed.body['case_id']}"}
    if filed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(filed.body, 201, headers)


@endpoint(bp, "/v1/cases/{case_id}")
def get_case(case_id: str) -> Any:
    access = _on_case(case_id)
    return json_response(wiring.container().cases.view(access))


@endpoint(bp, "/v1/cases/{case_id}/messages", methods=["POST"])
def customer_message(case_id: str) -> Any:
    access = _on_case(case_id)
    return json_response(wiring.container().cases.message(access, _body(), _idem()), 201)


@endpoint(bp, "/v1/cases/{case_id}/proposal/accept", methods=["POST"])
def accept_proposal(case_id: str) -> Any:
    access = _on_case(case_id)
    cases = wiring.container().cases
    return json_response(cases.answer_proposal(access, _body_or_empty(), True, _idem()))


@endpoint(bp, "/v1/cases/{case_id}/proposal/reject", methods=["POST"])
def reject_proposal(case_id: str) -> Any:
    access = _on_case(case_id)
    cases = wiring.container().cases
    return json_response(cases.answer_proposal(access, _body_or_empty(), False, _idem()))


@endpoint(bp, "/v1/cases/{case_id}/objection", methods=["POST"])
def object_to_outcome(case_id: str) -> Any:
    access = _on_case(case_id)
    return json_response(wiring.container().cases.object(access, _body(), _idem()))


@endpoint(bp, "/v1/cases/{case_id}/withdraw", methods=["POST"])
def withdraw(case_id: str) -> Any:
    access = _on_case(case_id)
    return json_response(wiring.container().cases.withdraw(access, _body_or_empty(), _idem()))


@endpoint(bp, "/v1/cases/{case_id}/feedback", methods=["POST"])
def feedback(case_id: str) -> Any:
    access = _on_case(case_id)
    return json_response(wiring.container().cases.feedback(access, _body(), _idem()), 201)


@endpoint(bp, "/v1/cases/{case_id}/preferences", methods=["PUT"])
def preferences(case_id: str) -> Any:
    access = _on_case(case_id)
    return json_response(wiring.container().cases.preferences(access, _body(), _idem()))


@endpoint(bp, "/v1/otp", methods=["POST"])
def request_code() -> Any:
    body = read_json(bp.current_request)
    container = wiring.container()
    # A client's retry with its Idempotency-Key gets the first answer, not the resend cooldown.
    once = container.replays.once("otp", _idem(), body)
    answer, _ = container.replays.run(once, lambda o: container.sessions.request_code(body, o))
    return json_response(answer, 202)


@endpoint(bp, "/v1/sessions", methods=["POST"])
def open_session() -> Any:
    body = read_json(bp.current_request)
    container = wiring.container()
    once = container.replays.once("sessions", _idem(), body, sealed=True)
    answer, _ = container.replays.run(once, lambda o: container.sessions.open(body, o))
    return json_response(answer, 201)


@endpoint(bp, "/v1/me/cases")
def my_cases() -> Any:
    request = bp.current_request
    container = wiring.container()
    session = container.customer_access.session(_auth())
    limit = page_limit(query_param(request, "limit"))
    return json_response(container.cases.mine(session, limit, query_param(request, "cursor")))


# -- evidence: files on the case -------------------------------------------------------------


def _customer() -> Any:
    from chalicelib.services.evidence import Caller

    return Caller.customer()


@endpoint(bp, "/v1/cases/{case_id}/evidence", methods=["POST"])
def request_evidence_upload(case_id: str) -> Any:
    from chalicelib.services.idempotency import Once

    access = _on_case(case_id)
    body = _body()
    once = Once.of(f"evidence:{access.case_id}", _idem(), body)
    answer = wiring.container().evidence.request(_customer(), access.case_id, body, once)
    return json_response(answer, 201)


@endpoint(bp, "/v1/cases/{case_id}/evidence/{evidence_id}/complete", methods=["POST"])
def complete_evidence(case_id: str, evidence_id: str) -> Any:
    access = _on_case(case_id)
    evidence = wiring.container().evidence
    return json_response(evidence.complete(_customer(), access.case_id, evidence_id))


@endpoint(bp, "/v1/cases/{case_id}/evidence")
def list_evidence(case_id: str) -> Any:
    access = _on_case(case_id)
    request = bp.current_request
    limit = page_limit(query_param(request, "limit"))
    cursor = query_param(request, "cursor")
    evidence = wiring.container().evidence
    return json_response(evidence.list(_customer(), access.case_id, limit, cursor))


@endpoint(bp, "/v1/cases/{case_id}/evidence/{evidence_id}")
def get_evidence(case_id: str, evidence_id: str) -> Any:
    access = _on_case(case_id)
    evidence = wiring.container().evidence
    return json_response(evidence.get(_customer(), access.case_id, evidence_id))
