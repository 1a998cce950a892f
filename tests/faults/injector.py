"""Fault injection at the botocore layer, for every client the app makes.

One `before-send` handler sits in `botocore.handlers.BUILTIN_HANDLERS` (registered first), the
way moto hooks itself in, so every botocore session created after `install()` carries it: the
boto3 clients of `wiring.Container.client()` and the DynamoDB clients PynamoDB makes per model
and per `Connection` alike. Nothing of PayCase is patched.

While idle the handler returns at once and botocore (or moto) carries on. While `engaged()` it
records every attempt it sees, answers what the plan says, and is itself the transport to
moto's in-process backends (moto's own stubber is switched off meanwhile: botocore asks every
`before-send` handler, so a fault answered here would otherwise still reach moto and be applied).
Against a real endpoint (DynamoDB Local, moto's server) it lets botocore send as usual.

Fault kinds, each as AWS or the network would show it to botocore (tests/faults/wire.py holds
each service's error formats):

- THROTTLE: the service's own throttling error and HTTP status, parsed into a ClientError.
- SERVER_ERROR: a 500 in the service's error format.
- READ_TIMEOUT: ReadTimeoutError, the request never applied.
- CONNECT_TIMEOUT: ConnectTimeoutError (never sent).
- CONNECTION_ERROR: EndpointConnectionError (never sent).
- LOST_ANSWER: the request IS applied (by moto or the real endpoint), then ReadTimeoutError.
- REJECTED: a 400 with a code of the caller's choosing (e.g. SNS's InvalidParameter), for
  setting up a message the provider refused for good.

A rule matches a service and, optionally, an operation. `nth` counts that operation's calls
(a call is a first attempt; botocore's retries of it are further attempts of the same call).
From the nth call on, `times` attempts fail; `times=None` fails every attempt until the plan is
cleared (an outage), `whole_call=True` every attempt of the nth call only; `match` narrows a
rule to requests whose body holds the given bytes (one case's writes, say).

moto ignores `ClientRequestToken`; DynamoDB does not. While engaged the handler keeps the
tokens of applied TransactWriteItems for DynamoDB's ten minutes and answers a repeat as DynamoDB
does (success without applying again; another body with the same token is
IdempotentParameterMismatchException), so a lost answer behaves on moto as it would on AWS.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import (
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

from tests.faults.wire import DEFAULT_WIRE, WIRES, Raw, body_of, error_response


class Kind(StrEnum):
    THROTTLE = "throttle"
    SERVER_ERROR = "server_error"
    READ_TIMEOUT = "read_timeout"
    CONNECT_TIMEOUT = "connect_timeout"
    CONNECTION_ERROR = "connection_error"
    LOST_ANSWER = "lost_answer"
    REJECTED = "rejected"  # a 400 with the given code: what a service answers a bad request


# Kinds after which the request may have been applied: the caller cannot know.
AMBIGUOUS = frozenset({Kind.LOST_ANSWER})


TOKEN_WINDOW_SECONDS = 600.0  # DynamoDB keeps a ClientRequestToken for ten minutes


@dataclass
class Fault:
    kind: Kind
    service: str
    operation: str | None = None
    nth: int = 1
    times: int | None = 1
    whole_call: bool = False
    code: str | None = None  # REJECTED's error code (THROTTLE, SERVER_ERROR: the service's own)
    match: bytes | None = None  # only requests whose body holds these bytes (e.g. a case id)
    # filled in while the plan runs
    seen_calls: int = 0
    failed: int = 0
    active: bool = False

    def matches(self, service: str, operation: str, body: bytes) -> bool:
        return (
            service == self.service
            and self.operation in (None, operation)
            and (self.match is None or self.match in body)
        )

    def spent(self) -> bool:
        return self.times is not None and not self.whole_call and self.failed >= self.times

    def __str__(self) -> str:
        what = f"{self.service}.{self.operation or '*'}"
        times = "until cleared" if self.times is None else f"x{self.times}"
        if self.whole_call:
            times = "whole call"
        return f"{self.kind.value} on {what} call #{self.nth} ({times})"


@dataclass(frozen=True)
class Call:
    """One attempt the handler saw."""

    service: str
    operation: str
    attempt: int
    fault: Kind | None = None
    tables: tuple[str, ...] = ()  # the DynamoDB tables the request names

    @property
    def name(self) -> str:
        return f"{self.service}.{self.operation}"


def _attempt(request: AWSPreparedRequest) -> int:
    """botocore's attempt number (standard and adaptive retry modes send it)."""
    header = request.headers.get("amz-sdk-request") or b""
    text = header.decode() if isinstance(header, bytes) else str(header)
    for part in text.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            return int(value)
    return 1


def _tables(body: bytes) -> tuple[str, ...]:
    """The tables a DynamoDB request names: its `TableName`, the keys of a batch's
    `RequestItems`, or each item of a transaction."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return ()
    if "TableName" in request:
        return (str(request["TableName"]),)
    if "RequestItems" in request:
        return tuple(sorted(request["RequestItems"]))
    items = request.get("TransactItems", [])
    names = (next(iter(item.values()), {}).get("TableName") for item in items)
    return tuple(sorted({str(name) for name in names if name}))


def _moto_stubber() -> Any:
    try:
        from moto.core.models import botocore_stubber
    except ImportError:  # pragma: no cover - moto is a test dependency
        return None
    return botocore_stubber


@dataclass
class _Token:
    body: bytes
    at: float


@dataclass(eq=False)
class FaultInjector:
    """The process's one fault layer (`FAULTS`); see the module docstring."""

    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    engaged_now: bool = False
    slept: list[float] = field(default_factory=list)  # back-offs botocore asked for
    _tokens: dict[str, _Token] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _moto: Any = None  # moto's stubber while we stand in for it

    # -- the plan ---------------------------------------------------------------------------

    def inject(
        self,
        kind: Kind | str,
        service: str,
        operation: str | None = None,
        *,
        nth: int = 1,
        times: int | None = 1,
        whole_call: bool = False,
        code: str | None = None,
        match: str | bytes | None = None,
    ) -> Fault:
        if nth < 1:
            raise ValueError("nth counts from 1")
        if (Kind(kind) is Kind.REJECTED) != (code is not None):
            raise ValueError("a REJECTED fault, and only that, names its error code")
        needle = match.encode() if isinstance(match, str) else match
        fault = Fault(Kind(kind), service, operation, nth, times, whole_call, code, needle)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        """No more faults (the calls seen so far stay recorded)."""
        with self._lock:
            self.faults.clear()

    def reset(self) -> None:
        """No faults, no recorded calls, no remembered request tokens (a fresh backend)."""
        with self._lock:
            self.faults.clear()
            self.calls.clear()
            self._tokens.clear()
            self.slept.clear()

    def names(self, first_attempts_only: bool = True) -> list[str]:
        """`service.Operation` of each call seen, in order."""
        return [c.name for c in self.calls if c.attempt == 1 or not first_attempts_only]

    @contextmanager
    def engaged(self) -> Iterator[FaultInjector]:
        """Record and inject from here on; stand in for moto's in-process stubber if it is on.
        Inside an engagement it only clears the faults it added when it ends."""
        if self.engaged_now:
            try:
                yield self
            finally:
                self.clear()
            return
        stubber = _moto_stubber()
        took_over = stubber is not None and stubber.enabled
        self.reset()
        if took_over:
            self._moto, stubber.enabled = stubber, False
        self.engaged_now = True
        try:
            yield self
        finally:
            self.engaged_now = False
            if took_over:
                stubber.enabled, self._moto = True, None
            self.reset()

    # -- the before-send handler ------------------------------------------------------------

    def __call__(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> Any:
        if not self.engaged_now:
            return None
        _, service, operation = event_name.split(".", 2)
        attempt = _attempt(request)
        body = body_of(request)
        fault = self._decide(service, operation, attempt, body)
        tables = _tables(body) if service == "dynamodb" else ()
        with self._lock:
            self.calls.append(
                Call(service, operation, attempt, fault.kind if fault else None, tables)
            )
        if fault is None:
            return self._forward(request, service, operation)
        if fault.kind is Kind.THROTTLE:
            code, status = WIRES.get(service, DEFAULT_WIRE).throttle
            return error_response(service, code, status, request.url)
        if fault.kind is Kind.SERVER_ERROR:
            code, status = WIRES.get(service, DEFAULT_WIRE).server_error
            return error_response(service, code, status, request.url)
        if fault.kind is Kind.REJECTED:
            return error_response(service, str(fault.code), 400, request.url)
        if fault.kind is Kind.READ_TIMEOUT:
            raise ReadTimeoutError(endpoint_url=request.url, error="read timeout (injected)")
        if fault.kind is Kind.CONNECT_TIMEOUT:
            raise ConnectTimeoutError(endpoint_url=request.url, error="timed out (injected)")
        if fault.kind is Kind.CONNECTION_ERROR:
            raise EndpointConnectionError(endpoint_url=request.url, error="refused (injected)")
        self._apply(request, service, operation)
        raise ReadTimeoutError(endpoint_url=request.url, error="answer lost (injected)")

    def _decide(self, service: str, operation: str, attempt: int, body: bytes) -> Fault | None:
        with self._lock:
            chosen = None
            for fault in self.faults:
                if not fault.matches(service, operation, body):
                    continue
                if attempt == 1:
                    fault.seen_calls += 1
                    if fault.whole_call:
                        fault.active = fault.seen_calls == fault.nth
                    elif fault.seen_calls >= fault.nth:
                        fault.active = True
                if chosen is None and fault.active and not fault.spent():
                    fault.failed += 1
                    chosen = fault
            return chosen

    # -- reaching the backend ---------------------------------------------------------------

    def _forward(self, request: AWSPreparedRequest, service: str, operation: str) -> Any:
        """The backend's answer (moto in this process), or None to let botocore send it."""
        if self._moto is None:
            return None
        if service == "dynamodb" and operation == "TransactWriteItems":
            return self._transact(request)
        return self._to_moto(request)

    def _to_moto(self, request: AWSPreparedRequest) -> Any:
        answer = self._moto.process_request(request)
        if answer is None:
            return None  # not an AWS endpoint moto serves: botocore sends it
        status, headers, body = answer
        raw = body.encode() if isinstance(body, str) else body
        return AWSResponse(request.url, status, headers, Raw(raw))

    def _transact(self, request: AWSPreparedRequest) -> Any:
        """TransactWriteItems with DynamoDB's ClientRequestToken semantics on moto."""
        body = body_of(request)
        token = json.loads(body or b"{}").get("ClientRequestToken")
        now = time.monotonic()
        if token:
            with self._lock:
                known = self._tokens.get(token)
            if known is not None and now - known.at < TOKEN_WINDOW_SECONDS:
                if known.body != body:
                    code = "IdempotentParameterMismatchException"
                    return error_response("dynamodb", code, 400, request.url)
                return AWSResponse(
                    request.url,
                    200,
                    {"Content-Type": "application/x-amz-json-1.0"},
                    Raw(b"{}"),
                )
        response = self._to_moto(request)
        if token and response is not None and response.status_code == 200:
            with self._lock:
                self._tokens[token] = _Token(body, now)
        return response

    def _apply(self, request: AWSPreparedRequest, service: str, operation: str) -> None:
        """Let the backend process the request; its answer is then thrown away."""
        response = self._forward(request, service, operation)
        if response is not None:
            return
        from botocore.httpsession import URLLib3Session

        URLLib3Session(timeout=30).send(request)


FAULTS = FaultInjector()
_installed = False


def install() -> None:
    """Put the handler into every botocore session created from now on (idempotent)."""
    global _installed
    if _installed:
        return
    from botocore.handlers import BUILTIN_HANDLERS, REGISTER_FIRST

    BUILTIN_HANDLERS.append(("before-send", FAULTS, REGISTER_FIRST))
    _installed = True


@contextmanager
def instant_retries(monkeypatch: Any, slept: list[float] | None = None) -> Iterator[list[float]]:
    """botocore's retry back-off without the wait (the retries still happen); yields the
    seconds it would have slept. The retry quota is kept full, so every test sees the same
    number of retries whatever ran before it on the shared clients."""
    import botocore.endpoint
    from botocore.retries.quota import RetryQuota

    slept = slept if slept is not None else []

    class _Time:
        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", _Time)
    monkeypatch.setattr(RetryQuota, "acquire", lambda self, amount: True)
    yield slept
