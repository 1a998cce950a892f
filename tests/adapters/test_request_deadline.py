"""An API request's own deadline: once it passes, no AWS call starts (no send, no retry), and
the request answers 503 at once."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.adapters.deadlines import REQUEST_SECONDS, within
from chalicelib.api.middleware import request_seconds
from chalicelib.domain.errors import Unavailable
from tests.builders import make_case


class Sends:
    """Counts the attempts botocore makes on a client (its own event hook)."""

    def __init__(self, client: object) -> None:
        self.count = 0
        client.meta.events.register("before-send", self._seen)  # type: ignore[attr-defined]

    def _seen(self, **kwargs: object) -> None:
        self.count += 1


def test_after_the_deadline_no_call_is_made_and_the_request_is_unavailable(
    container: wiring.Container,
) -> None:
    # GIVEN a case in the store, read once (so its client exists)
    case = make_case()
    assert container.store.get_case(case.case_id) is None
    from chalicelib.adapters.dynamo.case_model import CaseModel

    sends = Sends(CaseModel._get_connection().connection.client)
    # WHEN the request's time is up / THEN reading it is Unavailable, and nothing was sent
    with within(0.0), pytest.raises(Unavailable):
        container.store.get_case(case.case_id)
    assert sends.count == 0
    # AND within time, the same read is made as usual
    with within(10.0):
        assert container.store.get_case(case.case_id) is None
    assert sends.count == 1


class Context:
    def __init__(self, millis: int) -> None:
        self._millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self._millis


@pytest.mark.parametrize(
    ("millis", "seconds"),
    [(28_000, REQUEST_SECONDS), (20_000, 16.0), (3_000, 0.0)],
)
def test_the_request_deadline_leaves_an_attempts_worth_of_the_functions_time(
    millis: int, seconds: float
) -> None:
    assert request_seconds(Context(millis)) == seconds
