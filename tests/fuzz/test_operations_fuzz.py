"""Every operation of the served OpenAPI document, fuzzed by schemathesis past authentication:
each call carries the credential the operation's security names (tests/fuzz/world.py) and,
most of the time, ids of real cases, messages and queries. No answer may be a 5xx or break what
the document declares (status, content type, headers, body schema), and a staff role the
document admits is never refused while one it does not admit never succeeds.

Requests are generated from the document the stack serves (GET /v1/openapi.json); the test ids
come from the same document built in-process, and each test first checks the served one has the
operation. Valid and invalid requests alike (schemathesis' positive and negative modes).
FUZZ_EXAMPLES sets the examples per operation (docs/performance.md says why the default).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.api.openapi import document
from tests.fuzz.world import World, describe

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
# Operations a healthy stack can only refuse: nothing for them to act on.
ONLY_REFUSED = {
    "POST /v1/admin/outbox/{event_ref}/retry": "no outbox event gives up on a healthy stack",
}
OPERATIONS = [
    f"{method.upper()} {path}"
    for path, item in document()["paths"].items()
    for method in item
    if method != "parameters"
]


def _checks() -> list[Any]:
    from schemathesis import checks

    return [
        checks.not_a_server_error,
        checks.status_code_conformance,
        checks.content_type_conformance,
        checks.response_headers_conformance,
        checks.response_schema_conformance,
    ]


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation_answers_within_its_contract(
    label: str, served_schema: Any, world: World, http: requests.Session
) -> None:
    from schemathesis import GenerationMode

    # GIVEN the operation as the stack's own document describes it
    operation = served_schema.find_operation_by_label(label)
    assert operation is not None, f"the served document lacks {label}"
    requests_of_it = st.one_of(
        operation.as_strategy(generation_mode=GenerationMode.POSITIVE),
        operation.as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    checks = _checks()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=requests_of_it)
    def answers_within_contract(case: Any) -> None:
        # GIVEN a generated request, with real ids and the credential its operation takes
        credential = world.prepare(case)
        # WHEN it is sent to the local stack
        response = case.call(session=http, auth=credential.auth, timeout=30)
        world.answers.setdefault(label, []).append(response.status_code)
        # THEN the answer is no 5xx and is what the document declares for it
        case.validate_response(response, checks=checks)
        # AND a staff role is refused exactly when the document does not admit it
        if credential.admitted is True:
            assert response.status_code != 403, (credential.role, describe(response))
        if credential.admitted is False:
            assert not 200 <= response.status_code < 300, (credential.role, describe(response))

    answers_within_contract()
    # AND the operation was exercised past authentication and lookup, not only refused
    answered = set(world.answers[label])
    if label not in ONLY_REFUSED:
        assert answered - {401, 403, 404}, f"{label} only answered {sorted(answered)}"
