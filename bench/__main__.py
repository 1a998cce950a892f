"""`make bench`: every benchmark in one run, on the real local engines (DynamoDB Local and
moto's server, started here and stopped afterwards). Prints the figures docs/performance.md
records."""

from __future__ import annotations

import logging
import os
import platform
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

# The functions' JSON log lines and metrics would bury the figures: warnings only, no EMF.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import tests.conftest  # noqa: F401 - the test settings (keys, fake credentials) for the bench too
from bench import aws_calls, dispatch, imports, queue, schedules, search
from chalicelib.settings import Settings
from devstack.engines import free_port, start_dynamodb, start_moto
from devstack.env import LocalEnv


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.platform()}, {cpus} CPUs, Python {platform.python_version()}"


def main() -> int:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request log lines
    print(f"PayCase benchmarks, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, on {machine()}")
    results = imports.run()
    with tempfile.TemporaryDirectory() as tmp:
        env = LocalEnv(Path(tmp), dynamodb_port=free_port(), moto_port=free_port())
        env.logs.mkdir(parents=True, exist_ok=True)
        dynamodb = start_dynamodb(env, in_memory=True)
        # moto in a process of its own, as `make run` runs it: in this one it would share the
        # interpreter lock with the code it serves.
        moto = start_moto(env)
        try:
            results |= aws_calls.run(env.dynamodb_url, env.moto_url)
            local = replace(
                Settings.from_env(),
                dynamodb_endpoint=env.dynamodb_url,
                aws_endpoint=env.moto_url,
            )
            results |= queue.run(local)
            results |= search.run(local)
            results |= schedules.run(local)
            results |= dispatch.run(local)
        finally:
            moto.stop()
            dynamodb.stop()
    met = (
        results["import_ratio"] <= imports.GOAL_RATIO
        and all(v <= queue.GOAL_RATIO for k, v in results.items() if k.startswith("queue_ratio"))
        and all(v <= search.GOAL_RATIO for k, v in results.items() if k.startswith("search_ratio"))
        and results["live_schedules_per_case"] <= schedules.GOAL
        and results["scheduler_calls_per_change"] <= schedules.GOAL
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
