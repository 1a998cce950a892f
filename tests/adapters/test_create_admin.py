"""The first admin of a deployed stage, created from the command line (on moto here)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from chalicelib import wiring
from devstack.admin import create_admin, stage_settings
from devstack.bootstrap import provision


@pytest.fixture
def dev_stage() -> Iterator[wiring.Container]:
    with mock_aws():
        container = wiring.Container(stage_settings("dev", {"AWS_REGION": "ap-southeast-1"}))
        provision(container)
        yield container


def test_create_admin_writes_a_working_admin_token_to_the_stage(
    dev_stage: wiring.Container,
) -> None:
    # WHEN an operator creates the first admin of the dev stage
    member, token = create_admin("dev", "运维负责人", "ops", {"AWS_REGION": "ap-southeast-1"})
    # THEN the token authenticates as an admin against the dev stage's tables
    assert dev_stage.settings.table_prefix == "paycase-dev-"
    assert dev_stage.staff.authenticate(f"Bearer {token}") == member
    assert (member.role, member.team) == ("admin", "ops")


def test_create_admin_refuses_unknown_stages() -> None:
    with pytest.raises(SystemExit):
        stage_settings("local")
    with pytest.raises(SystemExit):
        stage_settings("staging")
