"""`python -m devstack.api_server`: the local stage's API, as `chalice local` serves it, but
answering like API Gateway for what no route handles (chalicelib/api/routing.py): an unknown
path is 404 and a method the path does not take (TRACE and any other name included) 405, both in
the API's error format. Everything else is Chalice's own local server: the same config, stage
environment, request events and app.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

from chalice.app import Chalice, Response
from chalice.cli import validate_routes
from chalice.cli.factory import CLIFactory
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    LocalChalice,
    LocalDevServer,
    RouteMatcher,
)
from chalice.local import LocalGateway as ChaliceLocalGateway

from chalicelib.api.routing import no_route, wrong_method
from devstack.env import ROOT


class LocalGateway(ChaliceLocalGateway):
    """Chalice's stand-in for API Gateway, with API Gateway's answers for what no route takes."""

    def __init__(self, app_object: Chalice, config: Config) -> None:
        super().__init__(app_object, config)
        self._app = app_object
        self._routes = RouteMatcher(list(app_object.routes))

    def handle_request(
        self, method: str, path: str, headers: dict[str, Any], body: bytes | None
    ) -> dict[str, Any]:
        try:
            route = self._routes.match_route(path).route
        except ValueError:
            return self._answer(no_route())
        methods = self._app.routes[route]
        if method not in methods:
            return self._answer(wrong_method(list(methods)))
        return dict(super().handle_request(method, path, headers, body))

    def _answer(self, response: Response) -> dict[str, Any]:
        return dict(response.to_dict(self._app.api.binary_types))


class RequestHandler(ChaliceRequestHandler):
    """Chalice's request handler on our gateway, for every method a client may send."""

    def __init__(
        self,
        request: Any,
        client_address: tuple[str, int],
        server: HTTPServer,
        app_object: Chalice,
        config: Config,
    ) -> None:
        self.local_gateway = LocalGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)

    def __getattr__(self, name: str) -> Any:
        # http.server answers 501 in HTML to a method without a do_<METHOD>: route them all.
        if name.startswith("do_"):
            return self._generic_handle
        raise AttributeError(name)


def create_server(stage: str, host: str, port: int) -> LocalDevServer:
    """As `chalice local --stage <stage>` creates its server, with our request handler."""
    factory = CLIFactory(str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name=stage)
    app = config.chalice_app
    validate_routes(app.routes)
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    return LocalDevServer(app, config, host, port, handler_cls=RequestHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.api_server")
    parser.add_argument("--stage", default="local")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    os.chdir(ROOT)
    server = create_server(args.stage, args.host, args.port)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
