"""Rules the fuzzer found the code enforcing but the document not stating, now stated: a request
the document calls invalid is the API's 400, and one it calls valid is not refused for that
rule."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import FormatChecker
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.api.conftest import Api, error_of
from tests.builders import complaint
from tests.openapi_check import DOCUMENT_URI, contract


def _valid(schema_name: str, instance: Any) -> bool:
    document = contract().document
    registry = Registry().with_resource(DOCUMENT_URI, DRAFT202012.create_resource(document))
    schema = {"$ref": f"{DOCUMENT_URI}#/components/schemas/{schema_name}"}
    validator = OAS31Validator(schema, registry=registry, format_checker=FormatChecker())
    return bool(validator.is_valid(instance))


@pytest.mark.parametrize(
    ("contact", "field"),
    [
        ({"channels": ["email"]}, "contact"),
        ({"phone": "13800138000"}, None),
        ({"email": "li.si@example.com"}, None),
    ],
)
def test_complaint_contact_needs_a_phone_or_an_email(
    api: Api, contact: dict[str, Any], field: str | None
) -> None:
    # GIVEN a complaint whose contact has a phone, an email, or neither
    body = complaint(contact=contact)
    # THEN the document and the API agree on whether it may be filed
    assert _valid("ComplaintRequest", body) is (field is None)
    response = api.file(body)
    if field is None:
        assert response.status_code == 201
    else:
        assert response.status_code == 400
        assert field in error_of(response)["fields"]


def test_complaint_payment_needs_a_transaction_or_an_order(api: Api) -> None:
    body = complaint(payment={"amount_fen": 3880})
    assert not _valid("ComplaintRequest", body)
    response = api.file(body)
    assert response.status_code == 400
    assert "payment" in error_of(response)["fields"]
    with_order = complaint(payment={"order_id": "ORD-1", "amount_fen": 3880})
    assert _valid("ComplaintRequest", with_order)
    assert api.file(with_order).status_code == 201


@pytest.mark.parametrize(
    ("paid_at", "in_range"),
    [("1999-12-31T23:59:59Z", False), ("2026-11-20T10:00:00Z", True)],
)
def test_times_outside_the_years_the_api_reads_are_invalid_in_the_document(
    api: Api, paid_at: str, in_range: bool
) -> None:
    # GIVEN a complaint paid at a time before 2000, or an ordinary one
    body = complaint(payment={"transaction_id": "T-YEARS", "amount_fen": 100, "paid_at": paid_at})
    # THEN the document's time pattern and the API agree
    assert _valid("ComplaintRequest", body) is in_range
    response = api.file(body)
    assert (response.status_code == 201) is in_range


def test_new_merchant_needs_an_email_in_the_document_as_in_the_api(api: Api) -> None:
    body = {"merchant_id": "M900001", "name": "测试商户"}
    assert not _valid("MerchantRequest", body)
    token = api.staff_token("admin")
    response = api.client.http.post(
        "/v1/admin/merchants",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        body='{"merchant_id": "M900001", "name": "测试商户"}',
    )
    assert response.status_code == 400
    assert "email" in error_of(response)["fields"]
    assert _valid("MerchantRequest", {**body, "email": "pay@m900001.example"})
