"""SNS's SMS delivery-status log and SES's events, played for the local stack.

In AWS a send whose answer was lost (a timeout, a Lambda killed after `Publish`) is settled by
the provider's receipt: SNS writes a delivery-status record for every SMS to CloudWatch Logs,
SES publishes a `Delivery` event for every email, and our `sms_receipts` and `ses_events`
handlers match it to the message (chalicelib/services/receipts.py). Without receipts such a
message waits out its receipt window and is sent again: a second SMS that AWS would not send.

moto accepts SMS and email but writes no receipts, so the local stack does it here:
`DeliveryLog` sits in front of moto's server and notes every `Publish` to a phone number and
every SES v2 `SendEmail` it accepted (the message id moto gave, the phone or the email's tags,
and the application clock's time), and serves the notes at `GET /_paycase/delivery-log`. The
local runner (`ReceiptFeed`) reads what is new each turn and hands it, in the providers' own
formats (devstack/provider_events.py), to the same handlers AWS invokes: every message moto
accepted is reported delivered, as a carrier would. Behind a moto without the log (an endpoint
given in PAYCASE_AWS_ENDPOINT) the feed finds nothing and stays quiet.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from chalicelib.adapters.clock import OffsetFileClock, SystemClock
from chalicelib.domain.clock import Clock
from devstack.provider_events import logs_event, ses_event, sms_status_record

log = logging.getLogger("runner")
PATH = "/_paycase/delivery-log"
PAGE = 500
_SMS_ID = re.compile(rb"<MessageId>([^<]+)</MessageId>")
_EMAIL_PATH = "/v2/email/outbound-emails"
Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def application_clock() -> Clock:
    """The clock the local stack runs on (the test clock's file), or the system clock."""
    path = os.environ.get("PAYCASE_CLOCK_FILE")
    return OffsetFileClock(path) if path else SystemClock()


class DeliveryLog:
    """WSGI middleware in front of moto's server: notes what SNS and SES accepted."""

    def __init__(self, app: Wsgi, clock: Clock | None = None) -> None:
        self._app = app
        self._clock = clock or application_clock()
        self._lock = threading.Lock()
        self.entries: list[dict[str, Any]] = []
        # A moto that starts again starts an empty log: a reader's place in the old one is void.
        self.epoch = uuid.uuid4().hex

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == PATH and environ.get("REQUEST_METHOD") == "GET":
            return self._serve(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if environ.get("REQUEST_METHOD") != "POST" or not length:
            return self._app(environ, start_response)  # a send always says its length
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        note = self._note_for(path, body)
        if note is None:
            return self._app(environ, start_response)
        status: list[str] = []

        def keep_status(code: str, headers: Any, *rest: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *rest)

        answer = b"".join(self._app(environ, keep_status))
        if status and status[0].startswith("200"):
            self._record(note, answer)
        return [answer]

    def _note_for(self, path: str, body: bytes) -> dict[str, Any] | None:
        if path.endswith(_EMAIL_PATH):
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                return None
            tags = {t.get("Name"): [t.get("Value")] for t in request.get("EmailTags") or []}
            return {"channel": "email", "tags": tags}
        form = parse_qs(body.decode(errors="replace"))
        if form.get("Action") == ["Publish"] and form.get("PhoneNumber"):
            return {"channel": "sms", "phone": form["PhoneNumber"][0]}
        return None

    def _record(self, note: dict[str, Any], answer: bytes) -> None:
        if note["channel"] == "sms":
            found = _SMS_ID.search(answer)
            message_id = found.group(1).decode() if found else None
        else:
            try:
                message_id = json.loads(answer).get("MessageId")
            except ValueError:
                message_id = None
        if not message_id:
            return
        entry = {**note, "message_id": message_id, "at": self._clock.now().isoformat()}
        with self._lock:
            self.entries.append(entry)

    def _serve(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        query = parse_qs(environ.get("QUERY_STRING", ""))
        after = int((query.get("after") or ["0"])[0] or 0)
        with self._lock:
            page = self.entries[after : after + PAGE]
        answer = {"epoch": self.epoch, "entries": page, "next": after + len(page)}
        body = json.dumps(answer).encode()
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def moto_app(clock: Clock | None = None) -> Any:
    """moto's server application (as `python -m moto.server` serves it) behind the log."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    return DeliveryLog(DomainDispatcherApplication(create_backend_app), clock)


class ThreadedServer:
    """moto's server behind the log, on a thread of this process (for the load benchmarks)."""

    def __init__(self, host: str, port: int, clock: Clock | None = None) -> None:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        self._server = make_server(
            host, port, moto_app(clock), threaded=True, request_handler=MotoRequestHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()


class ReceiptFeed:
    """The runner's side: what moto accepted since the last turn, as receipts to our handlers.
    Its place in the log is kept in `cursor_file`, so a restarted runner goes on from there (a
    receipt fed twice changes nothing more)."""

    def __init__(self, moto_url: str, app_module: Any, cursor_file: Path | None) -> None:
        self._url = moto_url.rstrip("/") + PATH
        self._app = app_module
        self._cursor_file = cursor_file
        self._epoch, self._cursor = self._read_cursor()
        self._absent = False

    def feed(self) -> int:
        """Hand over what is new; returns how many receipts were fed."""
        if self._absent:
            return 0
        try:
            url = f"{self._url}?after={self._cursor}"
            with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310 - the stack's moto
                page = json.loads(r.read())
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # a moto without the log: no receipts locally
                self._absent = True
                log.info("no delivery log at %s; messages settle without receipts", self._url)
            return 0
        except (OSError, ValueError):
            return 0  # moto is restarting; the next turn reads it
        if page.get("epoch") != self._epoch:  # moto started again: its log is new
            self._epoch, self._cursor = page.get("epoch"), 0
            return self.feed()
        entries = page.get("entries") or []
        if not entries:
            return 0
        sms = [e for e in entries if e["channel"] == "sms"]
        if sms:
            records = [sms_status_record(e["message_id"], e["phone"], _at(e["at"])) for e in sms]
            self._app.sms_receipts(logs_event(records), None)
        for entry in entries:
            if entry["channel"] == "email":
                self._app.ses_events(_sns_event(entry), None)
        self._cursor = int(page.get("next", self._cursor + len(entries)))
        self._write_cursor()
        return len(entries)

    def _read_cursor(self) -> tuple[str | None, int]:
        if self._cursor_file is None or not self._cursor_file.exists():
            return None, 0
        try:
            saved = json.loads(self._cursor_file.read_text())
            return str(saved["epoch"]), int(saved["next"])
        except (ValueError, KeyError, TypeError):
            return None, 0

    def _write_cursor(self) -> None:
        if self._cursor_file is not None:
            saved = json.dumps({"epoch": self._epoch, "next": self._cursor})
            self._cursor_file.write_text(saved)


def _at(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp).astimezone(UTC)


def _sns_event(entry: dict[str, Any]) -> dict[str, Any]:
    """The SNS event the SES events topic invokes `ses_events` with: a `Delivery` event."""
    tags = entry.get("tags") or {}
    event = ses_event("Delivery", entry["message_id"], None, _at(entry["at"]))
    event["mail"]["tags"] = {**event["mail"]["tags"], **tags}
    message = json.dumps(event)
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "Sns": {
                    "Type": "Notification",
                    "MessageId": entry["message_id"],
                    "TopicArn": "arn:aws:sns:ap-southeast-1:123456789012:paycase-local-ses-events",
                    "Subject": None,
                    "Message": message,
                    "Timestamp": entry["at"],
                    "MessageAttributes": {},
                },
            }
        ]
    }
