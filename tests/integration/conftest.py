"""Integration tier: DynamoDB Local (Amazon's own engine, started here and stopped after the
session) and moto's server for Scheduler, SNS, SES and S3, exactly as the local stack runs them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from moto.server import ThreadedMotoServer

from chalicelib import wiring
from chalicelib.domain.clock import FixedClock
from chalicelib.settings import Settings
from devstack.bootstrap import provision
from devstack.engines import free_port, start_dynamodb
from devstack.env import LocalEnv
from tests.builders import MONDAY_10AM
from tests.moto_stack import emptied_container

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def dynamodb_local(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = LocalEnv(Path(tmp_path_factory.mktemp("ddb")), dynamodb_port=free_port())
    child = start_dynamodb(env, in_memory=True)
    try:
        yield env.dynamodb_url
    finally:
        child.stop()


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base(dynamodb_local: str, moto_server: str) -> wiring.Container:
    settings = replace(
        Settings.from_env(),
        dynamodb_endpoint=dynamodb_local,
        aws_endpoint=moto_server,
        table_prefix="paycase-it-",
    )
    container = wiring.Container(settings)
    provision(container)
    return container


@pytest.fixture
def container(base: wiring.Container) -> wiring.Container:
    return emptied_container(base, FixedClock(MONDAY_10AM))
