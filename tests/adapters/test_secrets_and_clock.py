"""Sealing merchant secrets (local AES-GCM and KMS under moto); the local test clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from chalicelib import wiring
from chalicelib.adapters.clock import OffsetFileClock
from chalicelib.adapters.secrets import KmsSecretBox, LocalSecretBox
from chalicelib.domain.errors import ValidationFailed

CONTEXT = {"purpose": "merchant-signing-secret", "merchant_id": "M1"}


def test_local_box_round_trips_and_binds_the_context() -> None:
    box = LocalSecretBox(b"k" * 32)
    sealed = box.seal(b"msk_secret", CONTEXT)
    assert b"msk_secret" not in sealed.encode()
    assert box.open(sealed, CONTEXT) == b"msk_secret"
    with pytest.raises(InvalidTag):
        box.open(sealed, {**CONTEXT, "merchant_id": "M2"})


def test_kms_box_round_trips(container: wiring.Container) -> None:
    kms = container.client("kms")
    key_id = kms.create_key(Description="merchant secrets")["KeyMetadata"]["KeyId"]
    box = KmsSecretBox(kms, key_id)
    sealed = box.seal(b"msk_secret", CONTEXT)
    assert sealed.startswith("kms:v1:")
    assert box.open(sealed, CONTEXT) == b"msk_secret"


def test_test_clock_moves_forward_only_and_is_shared(tmp_path: Path) -> None:
    # GIVEN two processes' clocks on one file
    path = tmp_path / "clock.json"
    api, runner = OffsetFileClock(path), OffsetFileClock(path)
    start = datetime.now(UTC)
    # WHEN one advances a day THEN both see it
    api.advance(86400)
    assert runner.now() - start >= timedelta(days=1)
    # AND setting it back in time is refused
    with pytest.raises(ValidationFailed):
        runner.set(start)
    target = start + timedelta(days=3)
    assert abs((api.set(target) - target).total_seconds()) < 1
    assert abs((runner.now() - target).total_seconds()) < 1


def test_test_clock_never_runs_more_than_max_ahead_past_real_time(tmp_path: Path) -> None:
    # GIVEN a test clock allowed to run two days ahead
    clock = OffsetFileClock(tmp_path / "clock.json", max_ahead=timedelta(days=2))
    # WHEN it advances a day at a time THEN the third day is refused under advance_seconds
    clock.advance(86400)
    clock.advance(86400 - 60)
    with pytest.raises(ValidationFailed) as refused:
        clock.advance(86400)
    assert list(refused.value.fields) == ["advance_seconds"]
    # AND setting it past the bound is refused under set, leaving it where it was
    before = clock.now()
    with pytest.raises(ValidationFailed) as too_far:
        clock.set(datetime.now(UTC) + timedelta(days=3))
    assert list(too_far.value.fields) == ["set"]
    assert clock.now() - before < timedelta(seconds=5)
