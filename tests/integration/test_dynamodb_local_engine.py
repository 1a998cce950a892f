"""How the stack runs DynamoDB Local: telemetry off, and nothing written into the repository."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from devstack.engines import dynamodb_args, free_port, start_dynamodb
from devstack.env import REGION, ROOT, LocalEnv

METADATA = "dynamodb-local-metadata.json"


def _state(path: Path) -> float | None:
    return path.stat().st_mtime if path.exists() else None


@pytest.mark.parametrize("in_memory", [True, False], ids=["in-memory", "on-disk"])
def test_dynamodb_local_runs_without_telemetry_outside_the_repository(
    tmp_path: Path, in_memory: bool
) -> None:
    # GIVEN a stack directory outside the repository, and what the repository holds now
    env = LocalEnv(tmp_path / "stack", dynamodb_port=free_port())
    before = _state(ROOT / METADATA)
    # WHEN DynamoDB Local starts as the stack starts it and serves a request
    child = start_dynamodb(env, in_memory=in_memory)
    try:
        client = boto3.client(
            "dynamodb",
            endpoint_url=env.dynamodb_url,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        assert client.list_tables()["TableNames"] == []
        # THEN it runs with telemetry disabled, in the stack's directory
        assert "-disableTelemetry" in child.process.args
        assert child.process.args == dynamodb_args(env, in_memory=in_memory)
    finally:
        child.stop()
    # AND it wrote no metadata file, neither where it ran nor into the repository
    assert list(env.data_dir.rglob(METADATA)) == []
    assert _state(ROOT / METADATA) == before
