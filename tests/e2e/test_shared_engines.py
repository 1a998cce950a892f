"""`make run` on engines that are already running: PAYCASE_DYNAMODB_ENDPOINT and
PAYCASE_AWS_ENDPOINT name them, and the stack starts no DynamoDB Local or moto of its own."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from devstack.engines import endpoint_open, free_port, start_dynamodb
from devstack.env import LocalEnv
from tests.builders import complaint
from tests.local_stack import ROOT, Stack, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture
def engines(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A DynamoDB Local and a moto server started here, as an operator would share them."""
    env = LocalEnv(tmp_path / "shared", dynamodb_port=free_port())
    dynamodb = start_dynamodb(env, in_memory=True)
    moto_port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=moto_port, verbose=False)
    moto.start()
    try:
        yield env.dynamodb_url, f"http://127.0.0.1:{moto_port}"
    finally:
        moto.stop()
        dynamodb.stop()


@pytest.fixture
def taken() -> Iterator[dict[str, int]]:
    """DYNAMODB_PORT and MOTO_PORT held by someone else: a stack that tried to start its own
    engines there would fail."""
    sockets = []
    ports = {}
    for name in ("DYNAMODB_PORT", "MOTO_PORT"):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sockets.append(sock)
        ports[name] = sock.getsockname()[1]
    try:
        yield ports
    finally:
        for sock in sockets:
            sock.close()


def test_make_run_uses_the_engines_the_environment_names(
    tmp_path: Path, engines: tuple[str, str], taken: dict[str, int]
) -> None:
    dynamodb_url, moto_url = engines
    # GIVEN shared engines named in the environment, and the default engine ports in use
    stack = Stack(
        tmp_path / "local",
        {"PORT": free_port(), **taken},
        extra={"PAYCASE_DYNAMODB_ENDPOINT": dynamodb_url, "PAYCASE_AWS_ENDPOINT": moto_url},
    )
    try:
        # WHEN the stack starts
        stack.start()
        text = stack.text()
        # THEN it says it uses them and starts neither engine
        assert f"Using DynamoDB at {dynamodb_url}" in text
        assert f"Using Scheduler, SNS, SES and S3 at {moto_url}" in text
        assert "Starting DynamoDB Local" not in text and "Starting moto" not in text
        # AND its tables are in the shared DynamoDB
        client = boto3.client(
            "dynamodb",
            endpoint_url=dynamodb_url,
            region_name="ap-southeast-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        assert "paycase-local-cases" in client.list_tables()["TableNames"]
        # AND a complaint is filed and acknowledged through the shared moto
        status, case = stack.call(
            "POST", "/v1/complaints", complaint(), headers={"Idempotency-Key": "shared-1"}
        )
        assert status == 201
        wait_for(lambda: stack.text().count(case["case_number"]) >= 2, 30, stack.text)
        # AND its first-response schedule lives in the shared moto
        scheduler = boto3.client(
            "scheduler",
            endpoint_url=moto_url,
            region_name="ap-southeast-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )

        def scheduled() -> set[str]:
            listed = scheduler.list_schedules(GroupName="paycase-local")["Schedules"]
            return {s["Name"] for s in listed}

        wait_for(lambda: f"{case['case_id']}-1" in scheduled(), 30, stack.text)
        # WHEN Ctrl-C stops the stack
        assert stack.interrupt() == 0
    finally:
        stack.stop()
    # THEN the engines it did not start are still running
    assert endpoint_open(dynamodb_url) and endpoint_open(moto_url)
    assert client.describe_table(TableName="paycase-local-cases")["Table"]["TableName"]


def test_make_run_refuses_an_endpoint_that_is_not_a_url(tmp_path: Path) -> None:
    env = {"PAYCASE_LOCAL_DIR": str(tmp_path), "PAYCASE_AWS_ENDPOINT": "localhost:5001"}
    result = subprocess.run(
        [sys.executable, "-m", "devstack", "run"],
        cwd=ROOT,
        env={**env, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "PAYCASE_AWS_ENDPOINT='localhost:5001' is not a URL" in result.stderr
