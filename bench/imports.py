"""Cold start: whole-process `import app` against the floor `import chalice, pynamodb.models`."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from devstack.env import ROOT

RUNS = 21
# What a cold container has loaded once it has answered its first complaint (without AWS).
COMPLAINT_READY = (
    "import app; "
    "import chalicelib.adapters.dynamo.store, chalicelib.services.complaints; "
    "from chalicelib.domain.contact import normalize_email, normalize_phone; "
    "normalize_phone('13800138000'); normalize_email('a@example.com')"
)
GOAL_RATIO = 1.2


def _median_ms(code: str, env: dict[str, str]) -> float:
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run() -> dict[str, float]:
    # As deployed: a non-local stage, no endpoints; nothing AWS-shaped may happen at import.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYCASE_")}
    env.update(PAYCASE_STAGE="prod", PYTHONDONTWRITEBYTECODE="0")
    subprocess.run([sys.executable, "-c", "import app"], cwd=ROOT, env=env, check=True)  # warm .pyc
    floor = _median_ms("import chalice, pynamodb.models", env)
    app = _median_ms("import app", env)
    ready = _median_ms(COMPLAINT_READY, env)
    ratio = app / floor
    verdict = "meets" if ratio <= GOAL_RATIO else "MISSES"
    print(
        f"cold start: import app {app:.1f} ms; floor (import chalice, pynamodb.models) "
        f"{floor:.1f} ms; ratio {ratio:.2f} ({verdict} the goal of at most {GOAL_RATIO}); "
        f"median of {RUNS} fresh processes"
    )
    print(
        f"cold start: import app plus everything the first complaint POST loads "
        f"{ready:.1f} ms; ratio {ready / floor:.2f} to the floor"
    )
    return {
        "import_app_ms": app,
        "import_floor_ms": floor,
        "import_ratio": ratio,
        "complaint_ready_ms": ready,
    }
