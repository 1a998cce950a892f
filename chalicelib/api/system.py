"""Health and the OpenAPI contract."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.api.http import endpoint, json_response

bp = Blueprint(__name__)


@endpoint(bp, "/v1/health")
def health() -> Any:
    return json_response({"status": "ok"})


@endpoint(bp, "/v1/openapi.json")
def openapi() -> Any:
    from chalicelib.api.openapi import document

    return json_response(document())
