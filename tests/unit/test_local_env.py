"""Which engines the local stack starts and which it only uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack.env import EndpointError, LocalEnv


def test_local_env_without_endpoints_runs_its_own_engines_on_its_ports() -> None:
    env = LocalEnv.from_environ({"DYNAMODB_PORT": "9101", "MOTO_PORT": "9102"})
    assert (env.dynamodb_endpoint, env.aws_endpoint) == (None, None)
    assert env.dynamodb_url == "http://127.0.0.1:9101"
    assert env.moto_url == "http://127.0.0.1:9102"


def test_local_env_uses_the_endpoints_the_environment_names(tmp_path: Path) -> None:
    env = LocalEnv.from_environ(
        {
            "PAYCASE_LOCAL_DIR": str(tmp_path),
            "PAYCASE_DYNAMODB_ENDPOINT": "http://10.0.0.5:8001/",
            "PAYCASE_AWS_ENDPOINT": " http://10.0.0.6:5001 ",
            "PAYCASE_TABLE_PREFIX": "team-b-",
        }
    )
    app = env.app_environment()
    assert app["PAYCASE_DYNAMODB_ENDPOINT"] == "http://10.0.0.5:8001"
    assert app["PAYCASE_AWS_ENDPOINT"] == "http://10.0.0.6:5001"
    assert app["PAYCASE_TABLE_PREFIX"] == "team-b-"


@pytest.mark.parametrize("value", ["localhost:8001", "ftp://x:1", "http://", "http://h:port"])
def test_local_env_refuses_an_endpoint_that_is_not_a_url(value: str) -> None:
    with pytest.raises(EndpointError, match="PAYCASE_DYNAMODB_ENDPOINT"):
        LocalEnv.from_environ({"PAYCASE_DYNAMODB_ENDPOINT": value})


def test_two_stacks_on_one_moto_keep_their_evidence_apart(tmp_path: Path) -> None:
    # GIVEN two local stacks on shared engines, apart by their table prefixes
    from chalicelib.settings import Settings

    buckets = []
    for prefix in ("paycase-local-", "Team_B-"):
        env = LocalEnv.from_environ(
            {"PAYCASE_LOCAL_DIR": str(tmp_path / prefix), "PAYCASE_TABLE_PREFIX": prefix}
        )
        buckets.append(Settings.from_env(env.app_environment()).evidence_bucket)
    # THEN each has a bucket of its own, named as S3 allows
    assert buckets == ["paycase-local-evidence", "team-b-evidence"]
    # AND a deployed stage's bucket is the one the template names
    deployed = {"PAYCASE_STAGE": "prod", "PAYCASE_EVIDENCE_BUCKET": "paycase-prod-evidence-1234"}
    key = {"PAYCASE_TOKEN_KEY": env.app_environment()["PAYCASE_TOKEN_KEY"]}
    assert Settings.from_env({**deployed, **key}).evidence_bucket == "paycase-prod-evidence-1234"
