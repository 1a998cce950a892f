"""Faults injected at the botocore layer of a real client, for the adapter and API tiers. While
active, the client's `before-send` event (where moto answers for AWS) goes through one handler
of ours: per operation it can answer for AWS (a throttling error), fail the request before it
leaves (no connection), time out with nothing applied, or let moto apply the request and then
lose the answer (a read timeout after the request was delivered); anything else goes to moto as
usual (in process, or over HTTP to the moto server the client names). botocore's retry logic
sees each fault exactly as it would see the real one. Use as a context manager: moto's handler
is put back on exit (clients are shared across tests).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from types import TracebackType
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber


class BotocoreFaults:
    def __init__(self, client: Any) -> None:
        self._client = client
        self._service = client.meta.service_model.service_id.hyphenize()
        self._faults: dict[str, list[tuple[list[int | None], Callable[[Any, str], Any]]]] = {}
        self.calls: Counter[str] = Counter()  # requests that reached a fault, by operation
        self._events = client.meta.events
        self._before_call: list[tuple[str, Callable[..., Any]]] = []
        self._events.unregister("before-send", botocore_stubber)
        self._events.register("before-send", self._before_send)

    def __enter__(self) -> BotocoreFaults:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Put moto back in charge of every request."""
        for event, handler in self._before_call:
            self._events.unregister(event, handler)
        self._events.unregister("before-send", self._before_send)
        self._events.register("before-send", botocore_stubber)

    def clear(self) -> None:
        """No more faults (the handler stays until close)."""
        self._faults.clear()

    def _before_send(self, request: Any, event_name: str, **kwargs: Any) -> Any:
        operation = event_name.rsplit(".", 1)[-1]
        for left, fault in self._faults.get(operation, []):
            if left[0] is None or left[0] > 0:
                if left[0] is not None:
                    left[0] -= 1
                self.calls[operation] += 1
                return fault(request, event_name)
        return botocore_stubber(event_name=event_name, request=request, **kwargs)

    def _on(self, operation: str, fault: Callable[[Any, str], Any], times: int | None) -> None:
        self._faults.setdefault(operation, []).append(([times], fault))

    def lose_answer(
        self,
        operation: str,
        times: int | None = None,
        on_lost: Callable[[Any], None] | None = None,
    ) -> None:
        """Apply the request (moto handles it: in process, or the server the client names),
        then fail as a read timeout would. `on_lost` sees each request that was applied."""

        def fault(request: Any, event: str) -> Any:
            if botocore_stubber(event_name=event, request=request) is None:
                self._client._endpoint.http_session.send(request)  # moto's server
            if on_lost is not None:
                on_lost(request)
            raise ReadTimeoutError(endpoint_url=request.url)

        self._on(operation, fault, times)

    def time_out(
        self, operation: str, times: int | None = None, on_call: Callable[[], None] | None = None
    ) -> None:
        """Fail as a read timeout against an endpoint that accepts and never answers; nothing
        is applied. `on_call` runs first (e.g. to move a test clock by the read timeout)."""

        def fault(request: Any, event: str) -> Any:
            if on_call is not None:
                on_call()
            raise ReadTimeoutError(endpoint_url=request.url)

        self._on(operation, fault, times)

    def refuse_connection(self, operation: str, times: int | None = None) -> None:
        """Fail before the request leaves (connect timeout): nothing is applied."""

        def fault(request: Any, event: str) -> Any:
            raise ConnectTimeoutError(endpoint_url=request.url)

        self._on(operation, fault, times)

    def throttle_every_attempt(self, operation: str, times: int = 1) -> None:
        """The next `times` calls fail as they do once every botocore attempt was throttled:
        with ThrottlingException and nothing applied (answered at `before-call`, so no retry
        sleeps for real)."""
        event = f"before-call.{self._service}.{operation}"
        left = [times]

        def handler(**_: Any) -> Any:
            if left[0] <= 0:
                return None
            left[0] -= 1
            self.calls[operation] += 1
            error = {"Code": "ThrottlingException", "Message": "Rate of requests exceeded"}
            parsed = {"Error": error, "ResponseMetadata": {"HTTPStatusCode": 400}}
            return AWSResponse("https://aws.invalid/", 400, {}, MockRawResponse(b"")), parsed

        self._events.register_first(event, handler)
        self._before_call.append((event, handler))

    def throttle(self, operation: str, times: int | None = None) -> None:
        """Answer a throttling error, as the service does before accepting the request."""

        def fault(request: Any, event: str) -> Any:
            return _throttled(self._client, request)

        self._on(operation, fault, times)


def _throttled(client: Any, request: Any) -> AWSResponse:
    protocol = client.meta.service_model.protocol
    if protocol.startswith("json"):
        target = client.meta.service_model.metadata.get("targetPrefix", "")
        body = json.dumps(
            {"__type": f"{target}#ThrottlingException", "message": "Rate exceeded"}
        ).encode()
        headers = {"Content-Type": "application/x-amz-json-1.0"}
    elif protocol == "rest-json":
        body = json.dumps({"message": "Rate exceeded"}).encode()
        headers = {"x-amzn-ErrorType": "TooManyRequestsException"}
        return AWSResponse(request.url, 429, headers, MockRawResponse(body))
    else:  # query (SNS)
        body = (
            b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
            b"<Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )
        headers = {"Content-Type": "text/xml"}
    return AWSResponse(request.url, 400, headers, MockRawResponse(body))
