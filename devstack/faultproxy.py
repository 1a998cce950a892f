"""A fault-injecting HTTP proxy in front of DynamoDB Local (standard library only).

Point the local stack at it (`PAYCASE_DYNAMODB_ENDPOINT=http://127.0.0.1:<port>`) and it
forwards every DynamoDB call upstream, except that, by rule and rate, it:

- `throttle`: answers 400 ProvisionedThroughputExceededException, as DynamoDB does;
- `error`: answers 500 InternalServerError;
- `drop`: forwards the request, lets DynamoDB apply it, then closes the connection without
  answering (the write happened; the caller cannot know);
- `stall`: holds the connection for `seconds` without forwarding, then closes it (an endpoint
  that accepts and never answers).

Rules are switched at run time through a tiny control endpoint on the same port:
`GET /_faults` shows the rules and counters, `PUT /_faults` replaces the rules with the JSON
body `{"rules": [{"kind": "throttle", "rate": 0.1, "operations": ["TransactWriteItems"]}]}`
(no `operations`: every operation), `DELETE /_faults` turns every fault off.

    python -m devstack.faultproxy --upstream http://127.0.0.1:8001 --port 8801 \\
        --rule throttle:0.05 --rule drop:0.02:TransactWriteItems,PutItem
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import socket
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

KINDS = ("throttle", "error", "drop", "stall")
CONTROL_PATH = "/_faults"
JSON_TYPE = "application/x-amz-json-1.0"
ERRORS = {
    "throttle": (
        400,
        "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded. "
        "Consider increasing your provisioning level with the UpdateTable API.",
    ),
    "error": (
        500,
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
        "Internal server error",
    ),
}
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})


class RuleError(ValueError):
    """A rule the proxy cannot follow."""


@dataclass(frozen=True)
class Rule:
    kind: str
    rate: float
    operations: frozenset[str] | None = None  # None: every operation
    seconds: float = 30.0  # how long a stall holds the connection

    @classmethod
    def parse(cls, data: Any) -> Rule:
        if not isinstance(data, dict):
            raise RuleError("a rule is an object")
        kind, rate = data.get("kind"), data.get("rate", 1.0)
        if kind not in KINDS:
            raise RuleError(f"kind must be one of {', '.join(KINDS)}")
        if not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise RuleError("rate must be a number from 0 to 1")
        operations = data.get("operations")
        if operations is not None and (
            not isinstance(operations, list) or not all(isinstance(o, str) for o in operations)
        ):
            raise RuleError("operations must be a list of DynamoDB operation names")
        seconds = data.get("seconds", 30.0)
        if not isinstance(seconds, int | float) or seconds < 0:
            raise RuleError("seconds must be a number of seconds")
        ops = frozenset(operations) if operations is not None else None
        return cls(str(kind), float(rate), ops, float(seconds))

    @classmethod
    def from_flag(cls, text: str) -> Rule:
        """`kind:rate[:Op1,Op2]`, as given on the command line."""
        kind, _, rest = text.partition(":")
        rate, _, ops = rest.partition(":")
        data: dict[str, Any] = {"kind": kind, "rate": float(rate or 1)}
        if ops:
            data["operations"] = ops.split(",")
        return cls.parse(data)

    def applies(self, operation: str) -> bool:
        return self.operations is None or operation in self.operations

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "rate": self.rate}
        if self.operations is not None:
            out["operations"] = sorted(self.operations)
        if self.kind == "stall":
            out["seconds"] = self.seconds
        return out


@dataclass
class State:
    """The rules in force and what the proxy did, shared by every connection."""

    rules: list[Rule] = field(default_factory=list)
    seed: int | None = None
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.random = random.Random(self.seed)  # noqa: S311 - fault rates, not secrets

    def choose(self, operation: str) -> Rule | None:
        with self.lock:
            self.counts["requests"] += 1
            self.counts[f"op:{operation}"] += 1
            for rule in self.rules:
                if rule.applies(operation) and self.random.random() < rule.rate:
                    self.counts[rule.kind] += 1
                    self.counts[f"{rule.kind}:{operation}"] += 1
                    return rule
            self.counts["forwarded"] += 1
            return None

    def replace(self, rules: list[Rule]) -> None:
        with self.lock:
            self.rules = rules

    def report(self) -> dict[str, Any]:
        with self.lock:
            return {"rules": [r.to_json() for r in self.rules], "counts": dict(self.counts)}


class FaultProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str, port: int = 0, state: State | None = None) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, not {upstream!r}")
        self.upstream = (parts.hostname, parts.port or 80)
        self.state = state or State()
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FaultProxy:
        """Serve in a background thread (tests and the chaos run)."""
        threading.Thread(target=self.serve_forever, name="faultproxy", daemon=True).start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as botocore's connection pool expects
    server: FaultProxy

    def setup(self) -> None:
        super().setup()
        # Small answers written in two pieces (head, body) would otherwise wait for the
        # client's delayed ACK: 40 ms a call.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a proxy under load would print a line per call."""

    # -- control -------------------------------------------------------------------------------

    def do_GET(self) -> None:
        if self.path == CONTROL_PATH:
            self._json(200, self.server.state.report())
        else:
            self._proxy()

    def do_PUT(self) -> None:
        if self.path != CONTROL_PATH:
            self._proxy()
            return
        try:
            data = json.loads(self._body() or b"{}")
            rules = [Rule.parse(r) for r in data.get("rules", [])]
        except (ValueError, AttributeError) as exc:
            self._json(400, {"error": str(exc)})
            return
        self.server.state.replace(rules)
        self._json(200, self.server.state.report())

    def do_DELETE(self) -> None:
        if self.path != CONTROL_PATH:
            self._proxy()
            return
        self.server.state.replace([])
        self._json(200, self.server.state.report())

    def do_POST(self) -> None:
        self._proxy()

    # -- DynamoDB ------------------------------------------------------------------------------

    def _proxy(self) -> None:
        body = self._body()
        target = self.headers.get("X-Amz-Target", "")
        operation = target.rsplit(".", 1)[-1] or "unknown"
        rule = self.server.state.choose(operation)
        if rule is not None and rule.kind in ERRORS:
            status, kind, message = ERRORS[rule.kind]
            self._json(status, {"__type": kind, "message": message}, JSON_TYPE)
            return
        if rule is not None and rule.kind == "stall":
            time.sleep(rule.seconds)
            self.close_connection = True
            return
        try:
            status, headers, answer = self._forward(body)
        except (http.client.HTTPException, OSError):
            self._json(502, {"__type": "ProxyError", "message": "upstream unreachable"})
            return
        if rule is not None:  # drop: applied upstream, the answer never reaches the caller
            self.close_connection = True
            return
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """One upstream connection per client connection, kept alive like the client's. A
        kept connection the upstream closed while idle is opened again once (the request never
        reached it); a fresh one that fails is the caller's 502."""
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        while True:
            reused = "_connection" in self.__dict__
            connection = self._upstream()
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.getheaders(), response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                connection.close()
                self.__dict__.pop("_connection", None)
                if not reused:
                    raise

    def _upstream(self) -> http.client.HTTPConnection:
        connection = self.__dict__.get("_connection")
        if connection is None:
            host, port = self.server.upstream
            connection = http.client.HTTPConnection(host, port, timeout=60)
            connection.connect()
            assert connection.sock is not None  # noqa: S101 - just connected
            connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.__dict__["_connection"] = connection
        return connection

    def finish(self) -> None:
        super().finish()
        connection = self.__dict__.pop("_connection", None)
        if connection is not None:
            connection.close()

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json(self, status: int, body: Any, content_type: str = "application/json") -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.faultproxy", description=__doc__)
    parser.add_argument(
        "--upstream", required=True, help="DynamoDB Local, e.g. http://127.0.0.1:8001"
    )
    parser.add_argument("--port", type=int, default=8801)
    parser.add_argument("--rule", action="append", default=[], help="kind:rate[:Op1,Op2]")
    parser.add_argument("--seed", type=int, help="repeatable fault choices")
    args = parser.parse_args(argv)
    try:
        rules = [Rule.from_flag(text) for text in args.rule]
    except ValueError as exc:
        parser.error(str(exc))
    proxy = FaultProxy(args.upstream, args.port, State(rules, args.seed))
    print(f"fault proxy {proxy.url} -> {args.upstream}; control: {proxy.url}{CONTROL_PATH}")
    try:
        proxy.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        proxy.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
