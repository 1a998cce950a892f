"""What no route handles, answered in the API's error format, as API Gateway's gateway responses
answer it in AWS: an unknown path is `404 not_found`, a method the path does not take is
`405 method_not_allowed` with `Allow` (API Gateway cannot tell the two apart and answers both
with its MISSING_AUTHENTICATION_TOKEN response, which the template turns into the same 404).

`install(app)` adds an HTTP middleware for the method case, which Chalice would otherwise answer
in its own format (in the local stage and `chalice.test.Client` alike). The local stage's stand-in
for API Gateway (devstack/api_server.py) answers an unknown path, and any method at all (TRACE
included), with `no_route()` and `wrong_method()`, where `chalice local` answers 403 with an AWS
signature message, 405 in Chalice's format or 501 in HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chalice.app import Chalice, Request, Response

from chalicelib.api.http import error_response
from chalicelib.domain.errors import MethodNotAllowed, NotFound


def no_route() -> Response:
    return error_response(NotFound())


def wrong_method(allowed: list[str]) -> Response:
    return error_response(MethodNotAllowed(sorted(allowed)))


def _check_method(routes: Mapping[str, Mapping[str, Any]]) -> Callable[..., Response]:
    def middleware(request: Request, get_response: Callable[[Request], Response]) -> Response:
        resource = (request.context or {}).get("resourcePath")
        methods = routes.get(resource or "")
        if methods is not None and request.method not in methods:
            return wrong_method(list(methods))
        return get_response(request)

    return middleware


def install(app: Chalice) -> None:
    """Answer a method a route does not take in the API's error format."""
    app.register_middleware(_check_method(app.routes), "http")
