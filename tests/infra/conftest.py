"""The dev stage, packaged once per test session.

`chalice package` runs on a snapshot of the project in a temporary directory: edits made while the
tests run cannot mix into the package, and the deployment zip chalice caches by a hash of the
code (25 MB per change) stays out of the repository's `.chalice/deployments`. Building it takes
about 10 s; chalice fetches Lambda-compatible wheels of the dependencies from PyPI.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from devstack.env import ROOT
from devstack.package import package

# What `chalice package` reads: the app, its requirements, the stage config and policy files, and
# the merge template.
_PROJECT_FILES = ("app.py", "requirements.txt", "infra/resources.json")
_PROJECT_DIRS = ("chalicelib",)


def snapshot_project(source: Path, target: Path) -> Path:
    for name in _PROJECT_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source / name, target / name)
    for name in _PROJECT_DIRS:
        shutil.copytree(source / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    (target / ".chalice").mkdir()
    for config in (source / ".chalice").glob("*.json"):
        shutil.copy2(config, target / ".chalice" / config.name)
    return target


@pytest.fixture(scope="session")
def dev_template_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = snapshot_project(ROOT, tmp_path_factory.mktemp("project"))
    template = package("dev", tmp_path_factory.mktemp("build") / "dev", project_dir=project)
    # Only the template is inspected: drop the two 25 MB zips (the cached one and the copy).
    shutil.rmtree(project)
    (template.parent / "deployment.zip").unlink()
    return template


@pytest.fixture(scope="session")
def dev_template(dev_template_path: Path) -> dict[str, Any]:
    return dict(json.loads(dev_template_path.read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def merge_template() -> dict[str, Any]:
    return dict(json.loads((ROOT / "infra" / "resources.json").read_text(encoding="utf-8")))
