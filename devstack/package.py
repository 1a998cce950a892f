"""`python -m devstack package`: the CloudFormation (SAM) template of a deployed stage.

`chalice package` writes the functions, their roles and the REST API of a stage, with that stage's
`.chalice/config.json` environment and IAM policy baked in; `infra/resources.json` is deep-merged
into it (tables, queues, keys, alarms, the outbox stream wiring). The result is `<out>/sam.json`
next to `<out>/deployment.zip`, ready for `aws cloudformation package` and `deploy` (capabilities
CAPABILITY_IAM, CAPABILITY_NAMED_IAM and CAPABILITY_AUTO_EXPAND).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from devstack.env import REGION, ROOT

STAGES = ("dev", "prod")
MERGE_TEMPLATE = Path("infra") / "resources.json"


class PackageError(RuntimeError):
    pass


def package(stage: str, out: Path, *, project_dir: Path = ROOT, region: str | None = None) -> Path:
    """Package `stage` into `out` and return the path of the generated `sam.json`.

    `project_dir` is the Chalice project to package (the repository by default; the tests pass a
    snapshot of it). `region` only decides the service principals chalice writes (China regions
    differ); it defaults to AWS_DEFAULT_REGION, AWS_REGION, then the project's region.
    """
    if stage not in STAGES:
        raise ValueError(f"stage must be one of {', '.join(STAGES)}, not {stage!r}")
    out = Path(out).resolve()
    env = _environment(region)
    chalice = Path(sys.executable).with_name("chalice")
    command = [
        str(chalice),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(MERGE_TEMPLATE),
        str(out),
    ]
    # chalice reads the project (and resolves the merge template) from the working directory.
    result = subprocess.run(command, cwd=project_dir, env=env, check=False)
    if result.returncode != 0:
        raise PackageError(f"`{' '.join(command)}` failed with exit code {result.returncode}")
    template_path = out / "sam.json"
    template = json.loads(template_path.read_text(encoding="utf-8"))
    pin_stage(template, stage)
    template_path.write_text(json.dumps(template, indent=2) + "\n", encoding="utf-8")
    return template_path


def pin_stage(template: dict[str, Any], stage: str) -> None:
    """Make the template's `Stage` parameter default to, and accept only, the packaged stage.

    Chalice bakes the stage's table prefix, schedule group and IAM policy into the functions, so a
    dev package deployed with Stage=prod would point its functions at tables it does not create.
    """
    parameter = template["Parameters"]["Stage"]
    parameter["Default"] = stage
    parameter["AllowedValues"] = [stage]


def _environment(region: str | None) -> dict[str, str]:
    # PAYCASE_* variables of a local shell must not leak into the app chalice imports to build
    # the template; the stage's own variables come from .chalice/config.json.
    env = {name: value for name, value in os.environ.items() if not name.startswith("PAYCASE_")}
    env["AWS_DEFAULT_REGION"] = (
        region or os.environ.get("AWS_DEFAULT_REGION") or os.environ.get("AWS_REGION") or REGION
    )
    return env
