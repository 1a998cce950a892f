"""Staff endpoints (bearer tokens with roles)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import endpoint, json_response, query_param, read_json
from chalicelib.services.cursors import page_limit
from chalicelib.services.ports import StaffMember
from chalicelib.services.staff import require_role

bp = Blueprint(__name__)


def staff_member(minimum: str = "agent") -> StaffMember:
    member = wiring.container().staff.authenticate(bp.current_request.headers.get("authorization"))
    require_role(member, minimum)
    return member


@endpoint(bp, "/v1/admin/staff", methods=["POST"])
def create_staff() -> Any:
    staff_member("admin")
    member, token = wiring.container().staff.create(read_json(bp.current_request))
    body = {
        "staff_id": member.staff_id,
        "name": member.name,
        "role": member.role,
        "team": member.team,
        "token": token,
    }
    return json_response(body, 201)


@endpoint(bp, "/v1/admin/notifications")
def list_notifications() -> Any:
    staff_member()
    request = bp.current_request
    page = wiring.container().deliveries.list(
        case_id=query_param(request, "case_id"),
        status=query_param(request, "status"),
        limit=page_limit(query_param(request, "limit")),
        cursor=query_param(request, "cursor"),
    )
    return json_response(page)


@endpoint(bp, "/v1/admin/merchants", methods=["POST"])
def register_merchant() -> Any:
    staff_member("admin")
    merchant, secret = wiring.container().merchants.register(read_json(bp.current_request))
    body = {
        "merchant_id": merchant.merchant_id,
        "name": merchant.name,
        "email": merchant.email,
        "phone": merchant.phone,
        "secret": secret,
    }
    return json_response(body, 201)
