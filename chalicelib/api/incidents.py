"""Incident endpoints (staff bearer tokens): one cause behind many complaints."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import endpoint, json_response, query_param, read_json
from chalicelib.api.staff import staff_member
from chalicelib.services.entities import StaffMember

bp = Blueprint(__name__)


def _idem() -> str | None:
    return bp.current_request.headers.get("idempotency-key")


def _member(minimum: str | None) -> StaffMember:
    # Blueprints read their app's current request: the staff blueprint authenticates this one.
    return staff_member(minimum)


@endpoint(bp, "/v1/admin/incidents")
def list_incidents() -> Any:
    _member(None)
    request = bp.current_request
    params = {name: query_param(request, name) for name in ("limit", "cursor")}
    return json_response(wiring.container().incidents.page(params))


@endpoint(bp, "/v1/admin/incidents", methods=["POST"])
def declare_incident() -> Any:
    member = _member("supervisor")
    body = read_json(bp.current_request)
    return json_response(wiring.container().incidents.declare(body, member, _idem()), 201)


@endpoint(bp, "/v1/admin/incidents/{incident_id}")
def get_incident(incident_id: str) -> Any:
    _member(None)
    return json_response(wiring.container().incidents.view(incident_id))


@endpoint(bp, "/v1/admin/incidents/{incident_id}/cases")
def incident_cases(incident_id: str) -> Any:
    _member(None)
    request = bp.current_request
    params = {name: query_param(request, name) for name in ("open", "limit", "cursor")}
    return json_response(wiring.container().incidents.cases(incident_id, params))


@endpoint(bp, "/v1/admin/incidents/{incident_id}/cases", methods=["POST"])
def link_cases(incident_id: str) -> Any:
    member = _member("agent")
    body = read_json(bp.current_request)
    answer = wiring.container().incidents.link(incident_id, body, member, _idem())
    return json_response(answer)


@endpoint(bp, "/v1/admin/incidents/{incident_id}/updates", methods=["POST"])
def post_update(incident_id: str) -> Any:
    member = _member("supervisor")
    body = read_json(bp.current_request)
    answer = wiring.container().incidents.post_update(incident_id, body, member, _idem())
    return json_response(answer, 201)


@endpoint(bp, "/v1/admin/incidents/{incident_id}/resolve", methods=["POST"])
def resolve_incident(incident_id: str) -> Any:
    member = _member("supervisor")
    body = read_json(bp.current_request)
    answer = wiring.container().incidents.resolve(incident_id, body, member, _idem())
    return json_response(answer, 202)
