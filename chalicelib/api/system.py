"""Health and the OpenAPI contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.http import endpoint, json_response

bp = Blueprint(__name__)
OPENAPI = Path(__file__).parent / "openapi.json"


@endpoint(bp, "/v1/health")
def health() -> Any:
    return json_response({"status": "ok"})


@endpoint(bp, "/v1/openapi.json")
def openapi() -> Any:
    return Response(
        body=OPENAPI.read_text(encoding="utf-8"),
        status_code=200,
        headers={"Content-Type": "application/json; charset=utf-8"},
    )
