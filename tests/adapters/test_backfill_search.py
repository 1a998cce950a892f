"""The search index's backfill of a deployed stage, from the command line (on moto here): it
reads the stage's token key from Secrets Manager and makes existing cases searchable."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from dataclasses import replace

import pytest
from moto import mock_aws

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import LookupModel
from chalicelib.domain.contact import Contact
from chalicelib.services.changes import Changes
from chalicelib.services.entities import StaffMember
from devstack.admin import stage_settings
from devstack.backfill import backfill_search
from devstack.bootstrap import provision
from tests.builders import MONDAY_10AM, make_case

ENV = {"AWS_REGION": "ap-southeast-1"}


@pytest.fixture
def dev_stage() -> Iterator[wiring.Container]:
    with mock_aws():
        key = secrets.token_bytes(48)
        settings = replace(stage_settings("dev", ENV), token_key=key)
        container = wiring.Container(settings)
        provision(container)
        container.client("secretsmanager").create_secret(
            Name="paycase-dev-token-key", SecretString=base64.b64encode(key).decode()
        )
        yield container


def test_backfill_search_makes_a_stages_old_cases_searchable_once(
    dev_stage: wiring.Container,
) -> None:
    # GIVEN a case written before the index existed (no lookups)
    case = make_case(MONDAY_10AM, contact=Contact(phone="+8613812345678"))
    dev_stage.store.commit(Changes(now=MONDAY_10AM, new_cases=[case]))
    agent = StaffMember("stf_a", "李雷", "agent")
    assert dev_stage.search.search(agent, {"q": "13812345678"})["items"] == []
    # WHEN the operator runs the backfill
    report = backfill_search("dev", env=ENV)
    # THEN the case is found by its phone, through a keyed hash
    assert (report.cases, report.lookups, report.done) == (1, 1, True)
    found = dev_stage.search.search(agent, {"q": "138-1234-5678"})
    assert [i["case_id"] for i in found["items"]] == [case.case_id]
    assert all("13812345678" not in m.lookup for m in LookupModel.scan())
    # AND a second run finds it done and writes nothing
    assert backfill_search("dev", env=ENV).cases == 0
