"""The 300-complaint versions of `make chaos` and `make soak`, run in the background.

Each is a whole local stack under load for a minute or two, most of it waiting on the stack's
own processes. When the session selects their tests (tests/chaos, tests/soak), they start as
soon as collection ends, one after the other, each in its own process (`python -m bench.chaos`,
`python -m bench.soak`, with a JSON report), while the other tiers run; their tests come last and
read the reports. A session that ends early stops them.

Under pytest-xdist (`make test` runs two workers), xdist's controller starts the runs as soon as
a worker's collection shows their tests, and writes each report into the directory named by
PAYCASE_LOAD_REPORTS (set before the workers start, so they inherit it); the worker that gets
a report's test waits for the run's `.done` file there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMPLAINTS = 300
RUNS = {
    # The incident lasts 20 s past the last request, and a key still refused after 40 s of
    # retries counts as never answered.
    "chaos": ["-m", "bench.chaos", "--incident-after", "20", "--retry-budget", "40"],
    "soak": ["-m", "bench.soak", "--retry-budget", "40"],
}
TIMEOUT_SECONDS = 600
REPORTS_ENV = "PAYCASE_LOAD_REPORTS"


@dataclass
class Run:
    name: str
    report: Path
    done: threading.Event = field(default_factory=threading.Event)
    process: subprocess.Popen[bytes] | None = None
    output: bytes = b""

    def result(self, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
        if not self.done.wait(timeout):
            raise TimeoutError(f"{self.name} did not finish within {timeout:.0f} s")
        if not self.report.exists():
            tail = self.output.decode(errors="replace")[-4000:]
            raise RuntimeError(f"{self.name} wrote no report; its output ended:\n{tail}")
        data: dict[str, Any] = json.loads(self.report.read_text())
        return data


def _read_when_done(directory: Path, name: str, timeout: float = TIMEOUT_SECONDS) -> dict[str, Any]:
    """A report another process (xdist's controller) writes: waits for its `.done` file."""
    done, report = directory / f"{name}.done", directory / f"{name}.json"
    deadline = time.monotonic() + timeout
    while not done.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name} did not finish within {timeout:.0f} s")
        time.sleep(1)
    if not report.exists():
        tail = done.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{name} wrote no report; its output ended:\n{tail}")
    data: dict[str, Any] = json.loads(report.read_text())
    return data


class Background:
    def __init__(self) -> None:
        self.runs: dict[str, Run] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._stopped = threading.Event()

    @property
    def directory(self) -> Path:
        shared = os.environ.get(REPORTS_ENV)
        if shared:
            return Path(shared)
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="paycase-load-")
        return Path(self._tmp.name)

    def start(self, names: list[str]) -> None:
        """Start the named runs not started yet, one after the other, in the background."""
        new = [Run(n, self.directory / f"{n}.json") for n in names if n not in self.runs]
        if not new:
            return
        self.runs.update({run.name: run for run in new})
        threading.Thread(target=self._run_all, args=(new,), name="load-runs", daemon=True).start()

    def _run_all(self, runs: list[Run]) -> None:
        for run in runs:
            if not self._stopped.is_set():
                self._run(run)
            run.done.set()

    def _run(self, run: Run) -> None:
        args = [sys.executable, *RUNS[run.name], "--complaints", str(COMPLAINTS)]
        run.process = subprocess.Popen(
            [*args, "--json", str(run.report)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            # Below the session's own tests: the runs have the whole session to finish in.
            preexec_fn=lambda: os.nice(10),
        )
        try:
            run.output, _ = run.process.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            run.process.kill()
            run.output, _ = run.process.communicate()
        (self.directory / f"{run.name}.done").write_bytes(run.output[-8000:])

    def result(self, name: str) -> dict[str, Any]:
        if name not in self.runs and os.environ.get(REPORTS_ENV):
            return _read_when_done(self.directory, name)  # xdist's controller runs it
        self.start([name])  # already started by the session hook, as a rule
        return self.runs[name].result()

    def stop(self) -> None:
        self._stopped.set()
        for run in self.runs.values():
            if run.process is not None and run.process.poll() is None:
                run.process.terminate()
                try:
                    run.process.wait(30)
                except subprocess.TimeoutExpired:
                    run.process.kill()
        if self._tmp is not None:
            self._tmp.cleanup()


BACKGROUND = Background()
