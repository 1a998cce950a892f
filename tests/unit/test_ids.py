"""Identifiers: ULID case ids, human case numbers and secret tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import ulid
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.ids import (
    derive_token,
    fingerprint,
    hash_token,
    is_ulid,
    new_case_number,
    new_token,
    new_ulid,
    tokens_match,
)

SH = ZoneInfo("Asia/Shanghai")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AT = datetime(2026, 3, 2, 2, 0, 0, 123_000, tzinfo=UTC)
CASE_NUMBER = re.compile(r"PC(\d{8})-[0-9A-HJKMNP-TV-Z]{6}")
KEY = b"k" * 32


def millis(at: datetime) -> int:
    return (at - EPOCH) // timedelta(milliseconds=1)


# -- ULIDs --------------------------------------------------------------------------------------


@given(
    at=st.datetimes(
        min_value=datetime(2005, 1, 1),  # hypothesis attaches the zone
        max_value=datetime(2037, 12, 31),
        timezones=st.sampled_from([UTC, SH]),
    )
)
def test_new_ulid_accepted_by_python_ulid_with_same_time(at: datetime) -> None:
    # GIVEN any creation time / WHEN making a ULID
    text = new_ulid(at)
    # THEN the reference library parses it back to the same millisecond and text
    parsed = ulid.ULID.from_str(text)
    assert parsed.milliseconds == millis(at)
    assert str(parsed) == text
    assert is_ulid(text)


def test_new_ulid_exact_millisecond_after_2038_keeps_its_time() -> None:
    # GIVEN an exact-millisecond time past 2**31 seconds, where float products round down
    at = datetime(2038, 2, 13, 0, 52, 55, 858_000, tzinfo=UTC)
    # WHEN making a ULID
    parsed = ulid.ULID.from_str(new_ulid(at))
    # THEN its time is that millisecond, not the one before
    assert parsed.milliseconds == millis(at)


def test_new_ulid_is_random_within_a_millisecond() -> None:
    # GIVEN one creation time / WHEN making many ULIDs
    made = {new_ulid(AT) for _ in range(100)}
    # THEN they share the time prefix and differ in the random part
    assert len(made) == 100
    assert {u[:10] for u in made} == {str(ulid.ULID.from_datetime(AT))[:10]}


def test_new_ulid_sorts_in_creation_order() -> None:
    # GIVEN ULIDs created at increasing milliseconds
    times = [AT + timedelta(milliseconds=i) for i in range(300)]
    times += [AT + timedelta(days=400 * i) for i in range(1, 40)]
    made = [new_ulid(t) for t in times]
    # WHEN sorting them as strings / THEN the creation order is kept
    assert sorted(made) == made


@pytest.mark.parametrize(
    "text",
    [
        "",
        "01KJ000000000000000000000",  # 25 characters
        "01KJ00000000000000000000000",  # 27 characters
        "01kj0000000000000000000000",  # lower case
        "01KJ000000000000000000000I",  # I is not Crockford
        "01KJ000000000000000000000L",
        "01KJ000000000000000000000O",
        "01KJ000000000000000000000U",
        "8ZZZZZZZZZZZZZZZZZZZZZZZZZ",  # overflows 128 bits
        "0f5b2a3c-1d2e-4f5a-8b6c-7d8e9f0a1b2c",
        "PC20261123-7K3F9Q",
    ],
)
def test_is_ulid_rejects_other_strings(text: str) -> None:
    # GIVEN / WHEN a string that is not one of our ULIDs / THEN it is refused
    assert is_ulid(text) is False


# -- case numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "local_date"),
    [
        (datetime(2026, 11, 22, 17, 0, tzinfo=UTC), "20261123"),  # already the 23rd in Shanghai
        (datetime(2026, 11, 22, 15, 59, 59, tzinfo=UTC), "20261122"),
        (datetime(2026, 1, 1, 0, 0, tzinfo=SH), "20260101"),
    ],
    ids=str,
)
def test_new_case_number_uses_shanghai_date(at: datetime, local_date: str) -> None:
    # GIVEN a filing time / WHEN numbering the case
    number = new_case_number(at)
    # THEN it is PC + Shanghai date + '-' + six Crockford characters
    match = CASE_NUMBER.fullmatch(number)
    assert match is not None
    assert match.group(1) == local_date


def test_new_case_number_suffix_is_random() -> None:
    # GIVEN one filing time / WHEN numbering many cases / THEN the suffixes differ
    assert len({new_case_number(AT) for _ in range(50)}) == 50


# -- tokens -------------------------------------------------------------------------------------


def test_new_token_has_prefix_and_is_unique() -> None:
    # GIVEN / WHEN making tokens
    tokens = {new_token("pct") for _ in range(50)}
    # THEN each carries the prefix and ~256 bits of URL-safe randomness
    assert len(tokens) == 50
    assert all(re.fullmatch(r"pct_[A-Za-z0-9_-]{43}", t) for t in tokens)


def test_hash_token_is_sha256_hex_not_the_token() -> None:
    # GIVEN a token / WHEN hashing it
    token = new_token("pct")
    stored = hash_token(token)
    # THEN a stable 64-hex digest that does not reveal the token
    assert re.fullmatch(r"[0-9a-f]{64}", stored)
    assert stored == hash_token(token)
    assert token not in stored
    assert hash_token("pct_a") != hash_token("pct_b")


def test_tokens_match_only_the_hashed_token() -> None:
    # GIVEN a stored hash
    token = new_token("pct")
    stored = hash_token(token)
    # WHEN / THEN only the original token matches
    assert tokens_match(token, stored) is True
    assert tokens_match(token + "x", stored) is False
    assert tokens_match(new_token("pct"), stored) is False
    assert tokens_match(token, stored.upper()) is False


def test_derive_token_deterministic_per_key_and_subject() -> None:
    # GIVEN a server key, prefix and subject
    token = derive_token(KEY, "pct", "01KJ0000000000000000000000")
    # WHEN / THEN deriving again gives the same token, other inputs give others
    assert token == derive_token(KEY, "pct", "01KJ0000000000000000000000")
    assert token != derive_token(b"x" * 32, "pct", "01KJ0000000000000000000000")
    assert token != derive_token(KEY, "pct", "01KJ0000000000000000000001")
    assert token != derive_token(KEY, "pcm", "01KJ0000000000000000000000")
    assert re.fullmatch(r"pct_[A-Za-z0-9_-]{43}", token)


def test_fingerprint_stable_and_separates_parts() -> None:
    # GIVEN the same text split differently
    # WHEN / THEN fingerprints are stable 32-hex keys that keep the parts apart
    # keys written by earlier releases (open-case#..., one-time codes) must still be found, so
    # the value is pinned, not recomputed
    assert fingerprint("+8613800138000", "T1") == "b672e8f5e05d6963f5baf225f3f81111"
    assert re.fullmatch(r"[0-9a-f]{32}", fingerprint("a"))
    assert fingerprint("ab", "c") != fingerprint("a", "bc")
