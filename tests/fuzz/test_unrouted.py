"""What no route handles, through the running local stack: answered as the deployed API's gateway
responses answer it, in the API's error format (where `chalice local` answers a 403 with an AWS
signature message, a 405 in Chalice's format, and a 501 HTML page for TRACE)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from tests.local_stack import Stack

pytestmark = pytest.mark.fuzz


def _raw(stack: Stack, method: str, path: str, headers: dict[str, str]) -> tuple[int, Any, Any]:
    """A call the document has no operation for, so not held against it."""
    request = urllib.request.Request(stack.api + path, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer st_not-a-route"}])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE", "TRACE", "OPTIONS", "BREW"])
def test_unknown_path_is_404_not_found(
    fuzz_stack: Stack, method: str, headers: dict[str, str]
) -> None:
    # WHEN the stack gets a path no route matches, with or without credentials
    status, answer_headers, body = _raw(fuzz_stack, method, "/v1/no-such-thing", headers)
    # THEN it is 404 not_found in the API's error format
    assert status == 404
    assert answer_headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/v1/health", "GET"),
        ("PUT", "/v1/complaints", "POST"),
        ("TRACE", "/v1/health", "GET"),
        ("OPTIONS", "/v1/openapi.json", "GET"),
        ("BREW", "/v1/dev/clock", "GET, POST"),
    ],
)
def test_method_a_path_does_not_take_is_405_with_allow(
    fuzz_stack: Stack, method: str, path: str, allowed: str
) -> None:
    # WHEN a path is called with a method none of its routes takes (any method name at all)
    status, answer_headers, body = _raw(fuzz_stack, method, path, {})
    # THEN it is 405 method_not_allowed in the API's error format, naming the methods it takes
    assert status == 405
    assert answer_headers["Allow"] == allowed
    assert answer_headers["Content-Type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
