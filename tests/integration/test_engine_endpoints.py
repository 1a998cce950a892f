"""Engines `make run` only uses (PAYCASE_DYNAMODB_ENDPOINT, PAYCASE_AWS_ENDPOINT): reached, or
refused with a message that says what to do."""

from __future__ import annotations

import pytest

from devstack.engines import StackError, endpoint_open, free_port, use_endpoint


def test_use_endpoint_returns_once_the_engine_answers(dynamodb_local: str) -> None:
    assert endpoint_open(dynamodb_local)
    use_endpoint(dynamodb_local, "PAYCASE_DYNAMODB_ENDPOINT", timeout=1)


def test_use_endpoint_refuses_one_where_nothing_answers() -> None:
    silent = f"http://127.0.0.1:{free_port()}"
    assert not endpoint_open(silent)
    with pytest.raises(StackError) as refused:
        use_endpoint(silent, "PAYCASE_AWS_ENDPOINT", timeout=0.5)
    assert str(refused.value) == (
        f"Nothing answers at PAYCASE_AWS_ENDPOINT={silent}. Start that engine, or unset "
        "PAYCASE_AWS_ENDPOINT to let make run start its own."
    )
