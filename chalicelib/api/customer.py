"""Customer endpoints: filing a complaint and following it."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.api.http import endpoint, json_response, read_json
from chalicelib.services.staff import bearer

bp = Blueprint(__name__)


@endpoint(bp, "/v1/complaints", methods=["POST"])
def file_complaint() -> Any:
    request = bp.current_request
    filed = wiring.container().complaints.file(
        read_json(request), request.headers.get("idempotency-key")
    )
    headers = {"Location": f"/v1/cases/{filed.body['case_id']}"}
    if filed.replayed:
        headers["Idempotent-Replayed"] = "true"
    return json_response(filed.body, 201, headers)


@endpoint(bp, "/v1/cases/{case_id}")
def get_case(case_id: str) -> Any:
    token = bearer(bp.current_request.headers.get("authorization"))
    return json_response(wiring.container().cases.for_customer(case_id, token))
