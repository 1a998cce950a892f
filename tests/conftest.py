"""Settings for every test tier, set before `app` is imported (chalice.test.Client only sets
stage variables during a request)."""

from __future__ import annotations

import base64
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from chalicelib.wiring import Container
    from tests.moto_stack import MotoState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TEST_ENV = {
    "PAYCASE_STAGE": "local",
    "PAYCASE_TOKEN_KEY": base64.b64encode(b"test-token-key-" * 3).decode(),
    "PAYCASE_LOCAL_SECRET_KEY": base64.b64encode(b"l" * 32).decode(),
    "PAYCASE_TABLE_PREFIX": "paycase-test-",
    "PAYCASE_WEBHOOK_SECRET": "whsec_test-webhook-secret",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_REGION": "ap-southeast-1",
    "POWERTOOLS_SERVICE_NAME": "paycase",
}
os.environ.update(TEST_ENV)
# Tests never reach a real endpoint; a leftover local endpoint must not leak in either.
for name in ("PAYCASE_DYNAMODB_ENDPOINT", "PAYCASE_AWS_ENDPOINT", "PAYCASE_CLOCK_FILE"):
    os.environ.pop(name, None)


# The botocore fault layer (tests/faults/injector.py) goes into botocore's built-in handlers
# before any client exists, so every client of the session carries it; idle, it does nothing.
from tests.faults.injector import install as _install_fault_layer  # noqa: E402

_install_fault_layer()


# -- tiers and profiles ---------------------------------------------------------------------------

# A tier's directory marks its tests, so `-m "not e2e"` and the like select whole tiers.
TIER_MARKERS = {
    "integration": "integration",
    "e2e": "e2e",
    "infra": "infra",
    "fuzz": "fuzz",
    "faults": "faults",
    "chaos": "chaos",
    "soak": "soak",
}
# The load runs (tests/load_runs.py) work in the background while the rest of the session runs;
# their tests, which only read the reports, come last.
LOAD_TIERS = ("chaos", "soak")


def _tier(item: pytest.Item) -> str | None:
    parts = Path(str(item.path)).relative_to(ROOT).parts
    return TIER_MARKERS.get(parts[1]) if len(parts) > 1 else None


def _tier_of_nodeid(nodeid: str) -> str | None:
    parts = nodeid.split("::", 1)[0].split("/")
    return TIER_MARKERS.get(parts[1]) if len(parts) > 1 and parts[0] == "tests" else None


def _xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not _xdist_worker(config)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if marker := _tier(item):
            item.add_marker(getattr(pytest.mark, marker))
    items.sort(key=lambda item: _tier(item) in LOAD_TIERS)


def pytest_configure(config: pytest.Config) -> None:
    if _xdist_controller(config):
        import tempfile

        from tests.load_runs import REPORTS_ENV

        # before the workers start: they inherit it and read the controller's reports there
        os.environ[REPORTS_ENV] = tempfile.mkdtemp(prefix="paycase-load-")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: object, ids: list[str]) -> None:
    """xdist's controller collects nothing itself: the first worker's collection tells it
    whether the load runs' tests were selected."""
    selected = {_tier_of_nodeid(nodeid) for nodeid in ids}
    wanted = [tier for tier in LOAD_TIERS if tier in selected]
    if wanted:
        from tests.load_runs import BACKGROUND

        BACKGROUND.start(wanted)


# A tier whose tests share an engine started once per worker (the fuzz tier's stack, the
# integration tier's DynamoDB Local, the infra tier's packaged template) goes to one worker as
# a whole; every other test goes to whichever worker is free. xdist's `--dist loadgroup` would do
# this with marks, but its grouping does not take with this pytest, so the scheduler is ours.
SHARED_ENGINE_TIERS = ("fuzz", "integration", "infra")


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByEngine(LoadScopeScheduling):  # type: ignore[misc]
        """Biggest work units first (xdist's loadscope order), so a tier's unit starts
        early and the single tests fill in around it."""

        def _split_scope(self, nodeid: str) -> str:
            tier = _tier_of_nodeid(nodeid)
            return tier if tier in SHARED_ENGINE_TIERS else nodeid

    return ByEngine(config, log)


# Without xdist, the load runs start when collection ends; the fuzz tier's stack boots in the
# background shortly before its first test (tests/fuzz/boot.py). These hooks live here because
# pytest calls a test-setup hook only from conftests above the test.


def pytest_collection_finish(session: pytest.Session) -> None:
    if _xdist_worker(session.config):
        return  # the controller runs the load runs; the fuzz stack boots at its first test
    selected = {_tier(item) for item in session.items}
    wanted = [tier for tier in LOAD_TIERS if tier in selected]
    if wanted:
        from tests.load_runs import BACKGROUND

        BACKGROUND.start(wanted)
    if "fuzz" in selected:
        from tests.fuzz.boot import plan

        plan(session.items)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if "tests.fuzz.boot" in sys.modules:
        sys.modules["tests.fuzz.boot"].maybe_begin(item)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if "tests.load_runs" in sys.modules:
        sys.modules["tests.load_runs"].BACKGROUND.stop()
    if _xdist_controller(session.config):
        import shutil

        from tests.load_runs import REPORTS_ENV

        shutil.rmtree(os.environ.pop(REPORTS_ENV, ""), ignore_errors=True)
    if "tests.fuzz.boot" in sys.modules:
        sys.modules["tests.fuzz.boot"].BOOT.end()


def _hypothesis_profiles() -> None:
    """Every property test runs under one profile: `ci` (fixed seed, as CI runs) unless
    HYPOTHESIS_PROFILE names another; `quick` is what `make check` uses."""
    from hypothesis import HealthCheck, settings

    common = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
    settings.register_profile("ci", max_examples=100, derandomize=True, **common)
    settings.register_profile("dev", max_examples=100, **common)
    settings.register_profile("quick", max_examples=20, **common)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


_hypothesis_profiles()


# -- moto, shared by the adapter and API tiers ---------------------------------------------------


@pytest.fixture(scope="session")
def moto_session() -> Iterator[tuple[Container, MotoState]]:
    """moto for the whole session, provisioned once (tests/moto_stack.py)."""
    from tests.moto_stack import moto_stack

    with moto_stack() as stack:
        yield stack


@pytest.fixture
def moto_base(moto_session: tuple[Container, MotoState]) -> Container:
    """The shared moto, put back to its just-provisioned state for this test."""
    from chalicelib.adapters.dynamo.models import bind

    base, state = moto_session
    state.restore()
    # A test that built a container for another stage bound the models elsewhere.
    bind(base.settings.table_prefix, base.settings.region, base.settings.dynamodb_endpoint)
    return base
