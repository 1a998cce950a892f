"""The OpenAPI check every API test goes through (tests/openapi_check.py) catches answers the
document does not allow, through the same client the API fixture uses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice import Chalice, Response

from tests.api.conftest import Api
from tests.openapi_check import ContractBroken, ContractClient, contract

JSON = {"Content-Type": "application/json; charset=utf-8"}


def _lying_app(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Chalice:
    """An app that serves /v1/health (a path the document knows) with whatever it is told."""
    lying = Chalice(app_name="lying")

    @lying.route("/v1/health")
    def health() -> Response:
        raw = body if isinstance(body, str) else json.dumps(body)
        return Response(body=raw, status_code=status, headers={**JSON, **(headers or {})})

    return lying


@pytest.mark.parametrize(
    ("body", "status", "why"),
    [
        ({"status": "down"}, 200, "'ok' was expected"),  # a value the document does not allow
        ({}, 200, "'status' is a required property"),
        ({"status": "ok", "uptime": 3}, 200, "'uptime' was unexpected"),  # undocumented field
        ("<html>ok</html>", 200, "not JSON"),
        ({"status": "ok"}, 418, "status not declared"),
    ],
)
def test_contract_client_rejects_an_answer_the_document_does_not_allow(
    body: Any, status: int, why: str
) -> None:
    # GIVEN an app that answers a documented call wrongly, behind the API tests' client
    client = ContractClient(_lying_app(body, status), stage_name="local")
    # WHEN it is called THEN the call fails, saying what is wrong
    with pytest.raises(ContractBroken, match=why):
        client.http.get("/v1/health")


def test_contract_client_passes_a_true_answer() -> None:
    with ContractClient(_lying_app({"status": "ok"}), stage_name="local") as client:
        assert client.http.get("/v1/health").json_body == {"status": "ok"}


def test_contract_rejects_an_error_without_the_fields_its_code_brings() -> None:
    # GIVEN a validation error that does not say which field was wrong
    error = {"error": {"code": "validation_failed", "message": "bad"}}
    # WHEN it is held against the document THEN it fails
    with pytest.raises(ContractBroken, match="'fields' is a required property"):
        contract().check("POST", "/v1/complaints", 400, JSON, json.dumps(error).encode())


def test_contract_rejects_a_503_without_retry_after() -> None:
    error = {"error": {"code": "unavailable", "message": "busy"}}
    raw = json.dumps(error).encode()
    with pytest.raises(ContractBroken, match="Retry-After"):
        contract().check("POST", "/v1/complaints", 503, JSON, raw)
    with pytest.raises(ContractBroken, match="not an integer"):
        contract().check("POST", "/v1/complaints", 503, {**JSON, "Retry-After": "soon"}, raw)
    contract().check("POST", "/v1/complaints", 503, {**JSON, "Retry-After": "2"}, raw)


def test_contract_rejects_a_call_the_document_does_not_describe() -> None:
    with pytest.raises(ContractBroken, match="no such path"):
        contract().check("GET", "/v1/nowhere", 200, JSON, b"{}")
    with pytest.raises(ContractBroken, match="no such operation"):
        contract().check("DELETE", "/v1/health", 200, JSON, b"{}")


def test_contract_reads_literal_paths_before_templated_ones() -> None:
    assert contract().template_of("/v1/cases/01ABC?x=1") == "/v1/cases/{case_id}"
    assert contract().template_of("/v1/admin/cases") == "/v1/admin/cases"


def test_the_api_fixture_checks_every_answer(api: Api) -> None:
    # GIVEN the API fixture's client THEN it is the checking one
    assert isinstance(api.client, ContractClient)
    # AND a call the document does not describe fails the test that made it
    with pytest.raises(ContractBroken, match="no such operation"):
        api.client.http.request("PATCH", "/v1/health")


def _source_with_helpers(view: Any) -> str:
    """A view's source and that of the functions of its own module it calls."""
    import inspect
    import re

    source = inspect.getsource(view)
    helpers = [
        value
        for name in set(re.findall(r"\b([a-z_][a-z0-9_]*)\(", source))
        if inspect.isfunction(value := view.__globals__.get(name))
        and value.__module__ == view.__module__
        and value is not view
    ]
    return source + "".join(inspect.getsource(helper) for helper in helpers)


def test_document_names_the_idempotency_key_wherever_a_view_reads_it() -> None:
    # GIVEN each route's view, as registered with the app
    import inspect

    import app

    reads, declares = set(), set()
    for path, methods in app.app.routes.items():
        for method, entry in methods.items():
            source = _source_with_helpers(inspect.unwrap(entry.view_function)).lower()
            if "_idem()" in source or "idempotency-key" in source:
                reads.add(f"{method} {path}")
            op = contract().document["paths"][path][method.lower()]
            if any(p["name"] == "Idempotency-Key" for p in op.get("parameters", [])):
                declares.add(f"{method} {path}")
    # THEN the document declares the header on exactly the operations that honour it
    assert sorted(reads - declares) == [] and sorted(declares - reads) == []
