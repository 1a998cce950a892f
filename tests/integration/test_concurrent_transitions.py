"""Conditional writes on the real engine: racing staff see one winner and version conflicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from chalice.test import Client

import app
from chalicelib import wiring
from tests.builders import complaint
from tests.openapi_check import ContractClient

pytestmark = pytest.mark.integration


@pytest.fixture
def client(container: wiring.Container) -> Iterator[Client]:
    wiring.use(container)
    try:
        with ContractClient(app.app, stage_name="local") as c:
            yield c
    finally:
        wiring.use(None)


def test_twenty_concurrent_transitions_with_one_version_have_one_winner(
    client: Client, container: wiring.Container
) -> None:
    # GIVEN a submitted case at version 1 and twenty agents looking at it
    filed = client.http.post(
        "/v1/complaints", headers={"Content-Type": "application/json"}, body=json.dumps(complaint())
    ).json_body
    tokens = [container.staff.create({"name": f"坐席{n}", "role": "agent"})[1] for n in range(20)]
    body = json.dumps({"to": "accepted", "expected_version": 1})
    path = f"/v1/admin/cases/{filed['case_id']}/transitions"

    def accept(token: str) -> Any:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return client.http.post(path, headers=headers, body=body)

    # WHEN all twenty accept it at once with the version they saw
    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(accept, tokens))
    # THEN exactly one succeeds and every other gets version_conflict
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 19, statuses
    codes = {r.json_body["error"]["code"] for r in responses if r.status_code == 409}
    assert codes == {"version_conflict"}
    # AND the case moved once: version 2, one "accepted" entry on the timeline
    case = container.store.get_case(filed["case_id"])
    assert case is not None and (case.status.value, case.version) == ("accepted", 2)
    entries = container.store.timeline(filed["case_id"], include_internal=True)
    assert [e.type for e in entries] == ["submitted", "accepted"]
