"""The local stack under load, for `make chaos` and `make soak`.

The stack is `python -m devstack run`, as `make run` starts it, on free ports in a temporary
directory, told by PAYCASE_DYNAMODB_ENDPOINT and PAYCASE_AWS_ENDPOINT to use engines started here:
a DynamoDB Local (a child process, on disk when it must survive a kill), optionally behind the
fault proxy (devstack/faultproxy.py), and moto's server in this process, standing in for AWS's
Scheduler, SNS and SES: it outlives a killed stack as AWS would, and its backends tell which SMS
and emails really went out.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib.adapters.clock import OffsetFileClock
from devstack.delivery_log import ThreadedServer
from devstack.engines import Child, _die_with_parent, free_port, start_dynamodb
from devstack.env import ROOT, LocalEnv
from devstack.faultproxy import FaultProxy, Rule, State

REGION = "ap-southeast-1"
PREFIX = "paycase-local-"
READY = "Ctrl-C stops everything"


@dataclass
class Answer:
    status: int  # 0: no answer (connection refused, reset or timed out)
    headers: dict[str, str]
    body: Any

    @property
    def retry_after(self) -> float:
        value = self.headers.get("retry-after", "")
        return float(value) if value.isascii() and value.isdigit() else 1.0


@dataclass
class LoadStack:
    root: Path
    faults: bool = False
    on_disk: bool = False
    api_port: int = field(default_factory=free_port)
    dynamodb_port: int = field(default_factory=free_port)
    moto_port: int = field(default_factory=free_port)
    proxy: FaultProxy | None = None
    dynamodb: Child | None = None
    moto: ThreadedServer | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    # -- engines and the stack ---------------------------------------------------------------

    @property
    def engine_env(self) -> LocalEnv:
        return LocalEnv(self.root / "engines", dynamodb_port=self.dynamodb_port)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def start(self) -> None:
        self.start_dynamodb()
        if self.faults:
            self.proxy = FaultProxy(self.engine_env.dynamodb_url, state=State(seed=20261123))
            self.proxy.start()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per moto request
        # moto with the delivery log the local runner reads receipts from, on the stack's clock
        clock = OffsetFileClock(LocalEnv(self.root / "local").clock_file)
        self.moto = ThreadedServer("127.0.0.1", self.moto_port, clock)
        self.moto.start()
        self.start_stack()

    def start_dynamodb(self) -> None:
        self.dynamodb = start_dynamodb(self.engine_env, in_memory=not self.on_disk)

    def start_stack(self, timeout: float = 180) -> None:
        endpoint = self.proxy.url if self.proxy else self.engine_env.dynamodb_url
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCASE_")}
        env |= {
            "PAYCASE_LOCAL_DIR": str(self.root / "local"),
            "PORT": str(self.api_port),
            "PAYCASE_DYNAMODB_ENDPOINT": endpoint,
            "PAYCASE_AWS_ENDPOINT": self.moto_url,
        }
        self.log = self.root / "stack.log"
        since = len(self.output())  # a restart appends to the same log
        sink = open(self.log, "ab")  # noqa: SIM115 - the child keeps its own descriptor
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "devstack", "run"],
                cwd=ROOT,
                env=env,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,  # a run that dies takes its stack with it
            )
        finally:
            sink.close()
        deadline = time.monotonic() + timeout
        while READY not in self.output()[since:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start:\n{self.output()[-3000:]}")
            time.sleep(0.3)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def kill_stack(self) -> None:
        """kill -9 of every process of the stack: the supervisor, chalice local and the runner
        at once, then DynamoDB Local a second later. (DynamoDB Local answers a write a moment
        before it is on disk, and killed in that moment loses it, as DynamoDB never does: a
        merchant query answered 200 0.2 ms before the kill was gone after the restart. Killed a
        second after the stack, it holds every write the stack was answered for, so what the
        soak counts as lost is the stack's own doing.)"""
        doomed = [self.process.pid, *descendants(self.process.pid)] if self.process else []
        _kill(doomed)
        if self.process is not None:
            self.process.wait()
        if self.dynamodb is not None:
            time.sleep(1.0)
            _kill([self.dynamodb.process.pid, *descendants(self.dynamodb.process.pid)])
            self.dynamodb.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.kill_stack()
        if self.proxy is not None:
            self.proxy.stop()
        if self.moto is not None:
            self.moto.stop()
        if self.dynamodb is not None:
            self.dynamodb.stop()

    # -- talking to it -----------------------------------------------------------------------

    def credentials(self) -> dict[str, Any]:
        return dict(json.loads((self.root / "local" / "credentials.json").read_text()))

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        timeout: float = 60,
    ) -> Answer:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        connection = http.client.HTTPConnection("127.0.0.1", self.api_port, timeout=timeout)
        try:
            connection.request(
                method,
                path,
                body=data,
                headers={"Content-Type": "application/json", **(headers or {})},
            )
            response = connection.getresponse()
            text = response.read()
            answer_headers = {k.lower(): v for k, v in response.getheaders()}
        except (OSError, http.client.HTTPException):
            return Answer(0, {}, None)
        finally:
            connection.close()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return Answer(response.status, answer_headers, parsed)

    def admin(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.credentials()['staff_tokens']['admin']}"}

    def set_clock(self, at: Any) -> None:
        answer = self.call("POST", "/v1/dev/clock", {"set": at.isoformat()}, self.admin())
        if answer.status != 200:
            raise RuntimeError(f"cannot set the test clock: {answer.status} {answer.body}")

    def advance_clock(self, seconds: int) -> None:
        answer = self.call("POST", "/v1/dev/clock", {"advance_seconds": seconds}, self.admin())
        if answer.status != 200:
            raise RuntimeError(f"cannot move the test clock: {answer.status} {answer.body}")

    def set_faults(self, rules: list[Rule]) -> None:
        if self.proxy is not None:
            self.proxy.state.replace(rules)

    def fault_counts(self) -> Counter[str]:
        return Counter(self.proxy.state.report()["counts"]) if self.proxy else Counter()

    # -- what is stored and what was sent ----------------------------------------------------

    def dynamodb_client(self) -> Any:
        """DynamoDB Local itself, not through the proxy."""
        return boto3.client(
            "dynamodb",
            endpoint_url=self.engine_env.dynamodb_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - DynamoDB Local takes any
        )

    def scan(self, table: str, index: str | None = None) -> Iterator[dict[str, Any]]:
        options = {"TableName": PREFIX + table, **({"IndexName": index} if index else {})}
        for page in self.dynamodb_client().get_paginator("scan").paginate(**options):
            yield from page["Items"]

    def sms(self) -> list[tuple[str, str]]:
        from moto.sns.models import sns_backends

        return list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())

    def emails(self) -> list[tuple[str, str]]:
        from moto.ses.models import ses_backends

        out = []
        for message in ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages:
            for address in getattr(message, "destinations", {}).get("ToAddresses", []):
                out.append((address, str(getattr(message, "subject", ""))))
        return out

    def any_pending(self) -> bool:
        """Whether an outbox event is not yet done: one item of the sparse pending index (which
        holds only those) answers it. Reading the whole index every two seconds, with thousands
        pending, took DynamoDB Local's and this process's CPU from the drain it waits for."""
        from chalicelib.adapters.dynamo.models import OutboxModel

        index = OutboxModel.pending_index.Meta.index_name
        found = self.dynamodb_client().scan(
            TableName=PREFIX + "outbox", IndexName=index, Limit=1, Select="COUNT"
        )
        return bool(found["Count"]) or "LastEvaluatedKey" in found

    def wait_quiet(self, timeout: float, settle: Callable[[], None] | None = None) -> bool:
        """Wait until no outbox event is pending (moving the test clock past back-offs and
        leases with `settle` while some are)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if not self.any_pending():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 3:
                    return True
            else:
                quiet_since = None
                if settle is not None:
                    settle()
            time.sleep(2)
        return False


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def run_workers(count: int, work: Callable[[int], None]) -> None:
    """`work(worker_number)` in `count` threads, until each returns."""
    threads = [threading.Thread(target=work, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
