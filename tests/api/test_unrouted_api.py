"""What no route handles, answered as API Gateway answers it: in the API's error format, never in
Chalice's own (through chalice.test.Client, and through the local stage's gateway)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from chalice.config import Config
from chalice.test import Client

import app
from devstack.api_server import LocalGateway
from tests.api.conftest import Api, error_of


@pytest.fixture
def plain(api: Api) -> Iterator[Client]:
    """A client that does not hold answers against the document: these calls are the ones the
    document has no operation for."""
    with Client(app.app, stage_name="local") as client:
        yield client


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/health", "GET"),
        ("POST", "/v1/openapi.json", "GET"),
        ("PUT", "/v1/complaints", "POST"),
        ("PATCH", "/v1/dev/clock", "GET, POST"),
        ("DELETE", "/v1/cases/01JDXKZ9X3Q4T2B5C7D8E9F0GH", "GET"),
        ("TRACE", "/v1/health", "GET"),
        ("HEAD", "/v1/complaints", "POST"),
    ],
)
def test_method_a_path_does_not_take_is_405_in_the_error_format(
    plain: Client, method: str, path: str, allowed: str
) -> None:
    # WHEN a path is called with a method none of its routes takes
    response = plain.http.request(method, path, headers={"Authorization": "Bearer x"})
    # THEN the answer is 405 method_not_allowed in the API's error format, naming what it takes
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert response.headers["Allow"] == allowed


def test_method_a_path_takes_still_reaches_its_view(api: Api) -> None:
    # GIVEN the method check in front of every view
    # WHEN a path is called with its own method THEN its view answers
    response = api.client.http.get("/v1/health")
    assert (response.status_code, response.json_body) == (200, {"status": "ok"})


def _gateway_call(method: str, path: str, headers: dict[str, str] | None = None) -> Any:
    gateway = LocalGateway(app.app, Config.create(chalice_app=app.app, lambda_timeout=30))
    return gateway.handle_request(method, path, headers or {}, None)


@pytest.mark.parametrize("headers", [{}, {"authorization": "Bearer st_x"}])
@pytest.mark.parametrize("method", ["GET", "POST", "TRACE", "OPTIONS", "BREW"])
def test_local_gateway_unknown_path_is_404_in_the_error_format(
    api: Api, method: str, headers: dict[str, str]
) -> None:
    # WHEN the local stage's gateway gets a path no route matches, with or without credentials
    # (Chalice's own answers 403 with an AWS signature message)
    answer = _gateway_call(method, "/v1/no-such-thing", headers)
    # THEN it is 404 not_found in the API's error format, as the deployed API answers it
    assert answer["statusCode"] == 404
    assert '"code":"not_found"' in answer["body"]
    assert answer["headers"]["Content-Type"].startswith("application/json")


def test_local_gateway_options_without_a_route_is_405(api: Api) -> None:
    # WHEN the local gateway gets OPTIONS (Chalice's answers 200, as if CORS were configured)
    answer = _gateway_call("OPTIONS", "/v1/health")
    # THEN it is 405 like any other method the path does not take
    assert answer["statusCode"] == 405
    assert answer["headers"]["Allow"] == "GET"
