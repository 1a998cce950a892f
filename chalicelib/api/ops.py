"""Operations endpoints for admins: outbox events that were given up."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import endpoint, json_response, query_param
from chalicelib.services.cursors import page_limit
from chalicelib.services.staff import require_role

bp = Blueprint(__name__)


def _admin() -> None:
    container = wiring.container()
    member = container.staff.authenticate(bp.current_request.headers.get("authorization"))
    require_role(member, "admin")


@endpoint(bp, "/v1/admin/outbox")
def failed_events() -> Any:
    _admin()
    request = bp.current_request
    page = wiring.container().failed_events.list(
        query_param(request, "status"),
        page_limit(query_param(request, "limit")),
        query_param(request, "cursor"),
    )
    return json_response(page)


@endpoint(bp, "/v1/admin/outbox/{event_ref}/retry", methods=["POST"])
def retry_failed_event(event_ref: str) -> Any:
    _admin()
    return json_response(wiring.container().failed_events.retry(event_ref), 202)
