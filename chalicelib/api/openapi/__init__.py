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

from chalicelib.api.openapi.auth import security_schemes
from chalicelib.api.openapi.auth_signed import signature_schemes
from chalicelib.api.openapi.builders import Schema
from chalicelib.api.openapi.paths_admin import admin_paths
from chalicelib.api.openapi.paths_customer import customer_paths, session_paths
from chalicelib.api.openapi.paths_desk import desk_paths
from chalicelib.api.openapi.paths_merchant import merchant_paths, webhook_paths
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
from chalicelib.api.openapi.schemas_ledger import ledger_schemas
from chalicelib.api.openapi.schemas_merchant import merchant_case_schemas, payment_query_schemas
from chalicelib.api.openapi.schemas_sla import sla_schemas
from chalicelib.api.openapi.schemas_staff import desk_request_schemas, staff_case_schemas
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
        **system_schemas(),
    }


def _paths() -> dict[str, Schema]:
    paths = {
        **public_paths(),
        **customer_paths(),
        **session_paths(),
        **desk_paths(),
        **admin_paths(),
        **sla_paths(),
        **merchant_paths(),
        **webhook_paths(),
    }
    if os.environ.get("PAYCASE_STAGE", LOCAL_STAGE) == LOCAL_STAGE:  # as app.py registers it
        paths.update(dev_paths())
    return paths


def document() -> dict[str, Any]:
    """The whole document, built afresh on each call."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PayCase API",
            "version": "1",
            "description": "Complaints, disputes and payment-status questions for a payment "
            "wallet. Money is integer fen; times are RFC 3339 UTC; errors are "
            '{"error": {"code", "message", "fields"}}. Lists take ?limit= and ?cursor= and '
            'answer {"items", "next_cursor"}. A resource the caller may not see is 404.',
        },
        "paths": _paths(),
        "components": {
            "schemas": _schemas(),
            "securitySchemes": {**security_schemes(), **signature_schemes()},
        },
    }
