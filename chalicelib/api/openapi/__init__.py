"""The OpenAPI 3.1 document served at GET /v1/openapi.json: the contract as implemented.

Built on request (never at import, and this package is imported only inside the view) from
shared schema pieces; a test checks that it documents exactly the routes the app serves.
Limits and enums come from the modules that enforce them.

    builders     small JSON Schema helpers
    auth         security schemes and who may call what
    auth_signed  the merchant and webhook signature schemes
    operations   an operation's answers, errors and parameters
    schemas_*    component schemas, by audience
    paths_*      path items, by audience
"""

from __future__ import annotations

import os
from typing import Any

from chalicelib.api.http import STATUS
from chalicelib.api.openapi.auth import security_schemes
from chalicelib.api.openapi.auth_signed import signature_schemes
from chalicelib.api.openapi.builders import Schema
from chalicelib.api.openapi.paths_admin import admin_paths
from chalicelib.api.openapi.paths_customer import customer_paths, session_paths
from chalicelib.api.openapi.paths_desk import desk_paths
from chalicelib.api.openapi.paths_evidence import evidence_paths
from chalicelib.api.openapi.paths_incidents import incident_paths
from chalicelib.api.openapi.paths_merchant import merchant_paths, webhook_paths
from chalicelib.api.openapi.paths_people import people_paths
from chalicelib.api.openapi.paths_sla import sla_paths
from chalicelib.api.openapi.paths_system import dev_paths, public_paths
from chalicelib.api.openapi.schemas_admin import admin_schemas, system_schemas
from chalicelib.api.openapi.schemas_case import case_part_schemas, error_schemas
from chalicelib.api.openapi.schemas_customer import (
    complaint_schemas,
    customer_action_schemas,
    customer_case_schemas,
    session_schemas,
)
from chalicelib.api.openapi.schemas_evidence import evidence_schemas
from chalicelib.api.openapi.schemas_incidents import incident_schemas
from chalicelib.api.openapi.schemas_ledger import ledger_schemas
from chalicelib.api.openapi.schemas_merchant import merchant_case_schemas, payment_query_schemas
from chalicelib.api.openapi.schemas_people import people_schemas
from chalicelib.api.openapi.schemas_sla import sla_schemas
from chalicelib.api.openapi.schemas_staff import desk_request_schemas, staff_case_schemas
from chalicelib.domain import limits as L
from chalicelib.settings import LOCAL_STAGE

__all__ = ["document"]


def _schemas() -> dict[str, Schema]:
    return {
        **error_schemas(),
        **case_part_schemas(),
        **complaint_schemas(),
        **customer_case_schemas(),
        **customer_action_schemas(),
        **session_schemas(),
        **staff_case_schemas(),
        **desk_request_schemas(),
        **admin_schemas(),
        **sla_schemas(),
        **payment_query_schemas(),
        **merchant_case_schemas(),
        **ledger_schemas(),
        **incident_schemas(),
        **system_schemas(),
        **evidence_schemas(),
        **people_schemas(),
    }


def _paths() -> dict[str, Schema]:
    paths = {
        **public_paths(),
        **customer_paths(),
        **session_paths(),
        **desk_paths(),
        **people_paths(),
        **admin_paths(),  # after: it holds /v1/admin/staff's POST beside the directory's GET
        **sla_paths(),
        **incident_paths(),
        **merchant_paths(),
        **webhook_paths(),
        **evidence_paths(),
    }
    if os.environ.get("PAYCASE_STAGE", LOCAL_STAGE) == LOCAL_STAGE:  # as app.py registers it
        paths.update(dev_paths())
    return paths


def _description() -> str:
    codes = ", ".join(f"`{code}` {status}" for code, status in STATUS.items())
    page, key = L.PAGE, L.IDEMPOTENCY_KEY
    return "\n\n".join(
        (
            "Complaints, disputes and payment-status questions for a payment wallet.",
            f"**Conventions.** JSON in and out, UTF-8; a body is at most "
            f"{L.BODY_BYTES // 1024} KiB and unknown fields in it are refused. Money is integer "
            "`amount_fen` with `currency` CNY. Times are RFC 3339, answered in UTC. Each "
            f"field's limits are stated in its schema. Lists take `?limit=` ({page.low}-"
            f"{page.high}, default {L.PAGE_DEFAULT}) and `?cursor=` (opaque, tamper-evident) "
            'and answer `{"items", "next_cursor"}`. A resource the caller may not see is 404, '
            "never 403, so ids cannot be probed.",
            '**Errors** are `{"error": {"code", "message", "fields"}}`: `fields` (validation '
            f"only) names each bad field by its dotted path. Codes: {codes}; a 503 carries "
            "Retry-After. No input a client can send is a 500.",
            "**Idempotency.** Creating calls take an `Idempotency-Key` header "
            f"({key.low}-{key.high} visible ASCII characters): a repeat with the same key and "
            "body within 24 hours answers as the first did and does nothing again; the same key "
            "with another body is 422. Payment events are idempotent by their `id`.",
            "**Authentication** is per operation (its `security`): a case's access token, an SMS "
            "session token or a staff token as `Authorization: Bearer`, or the merchant and "
            "webhook signatures described in the security schemes.",
        )
    )


def document() -> dict[str, Any]:
    """The whole document, built afresh on each call."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "PayCase API", "version": "1", "description": _description()},
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {**security_schemes(), **signature_schemes()},
        },
    }
