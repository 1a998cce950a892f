"""The whole local stack as `make run` starts it (`python -m devstack run`), on the ports and in
the directory a test gives it, driven over HTTP, every answer held against the document it
serves: shared by the e2e and fuzz tiers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clients.paycase_sign import sign_request, sign_webhook
from tests.openapi_check import OpenApiContract

ROOT = Path(__file__).resolve().parents[1]


def _ignoring_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@dataclass
class Stack:
    data_dir: Path
    ports: dict[str, int]
    extra: dict[str, str] = field(default_factory=dict)  # e.g. engines the stack should use
    process: subprocess.Popen[str] | None = None
    output: list[str] = field(default_factory=list)
    _reader: threading.Thread | None = None
    _contract: OpenApiContract | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.ports['PORT']}"

    def start(self) -> None:
        env = {**os.environ, "PAYCASE_LOCAL_DIR": str(self.data_dir)}
        env.update({name: str(port) for name, port in self.ports.items()})
        for name in list(env):
            if name.startswith("PAYCASE_") and name != "PAYCASE_LOCAL_DIR":
                env.pop(name)
        env.update(self.extra)
        self.stop()
        self.output = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            # As a shell's background job would start it (SIGINT ignored): Ctrl-C must stop it
            # all the same, however the test run itself was started.
            preexec_fn=_ignoring_sigint,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        wait_for(lambda: "Ctrl-C stops everything" in self.text(), 120, self.text)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def text(self) -> str:
        return "".join(self.output)

    def interrupt(self) -> int:
        """What Ctrl-C does: SIGINT to the supervisor; returns its exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)

    def stop(self) -> None:
        """Ctrl-C if still running, a kill if that is not enough; then release the pipe."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(10)  # EOF arrives once every process holding the pipe is gone
        if self.process.stdout is not None and (
            self._reader is None or not self._reader.is_alive()
        ):
            self.process.stdout.close()

    def credentials(self) -> dict[str, Any]:
        return dict(json.loads((self.data_dir / "credentials.json").read_text()))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.api + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                status, answer, raw = response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            status, answer, raw = error.code, error.headers, error.read()
        # Every answer of the running stack is held against the document it serves.
        self.contract().check(method, path, status, dict(answer.items()), raw)
        return status, json.loads(raw)

    def contract(self) -> OpenApiContract:
        if self._contract is None:
            url = self.api + "/v1/openapi.json"
            with urllib.request.urlopen(url, timeout=10) as response:
                self._contract = OpenApiContract(json.loads(response.read()))
        return self._contract

    def signed(
        self, merchant: dict[str, str], method: str, path: str, body: Any = None
    ) -> tuple[int, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = sign_request(merchant["merchant_id"], merchant["secret"], method, path, raw)
        return self.call(method, path, body, headers=headers)

    def webhook(
        self, credentials: dict[str, Any], kind: str, txn: str, merchant_id: str
    ) -> tuple[int, Any]:
        body = {
            "id": f"evt-e2e-{kind}",
            "type": kind,
            "occurred_at": "2098-03-03T01:00:00Z",
            "data": {"transaction_id": txn, "merchant_id": merchant_id, "amount_fen": 3880},
        }
        raw = json.dumps(body).encode()
        signature = sign_webhook(credentials["webhook_secret"], raw)
        return self.call(
            "POST", "/v1/webhooks/payment-events", body, headers={"X-PayCase-Signature": signature}
        )


def wait_for(check: Callable[[], bool], timeout: float, describe: Callable[[], str]) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out; output so far:\n{describe()[-4000:]}")
