"""Staff authentication and roles; list cursors."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Forbidden, Unauthorized, ValidationFailed
from chalicelib.services import cursors
from chalicelib.services.entities import StaffMember
from chalicelib.services.staff import bearer, require_role
from tests.services.conftest import Desk

KEY = b"k" * 32


def test_staff_token_authenticates_its_member_only(desk: Desk) -> None:
    # GIVEN a new agent
    member, token = desk.container.staff.create({"name": "王小明", "role": "agent"})
    # THEN the token authenticates that member
    assert desk.container.staff.authenticate(f"Bearer {token}") == member
    # AND the token itself is not stored, only its hash
    assert token not in repr(desk.store.staff)


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Basic abc", "Bearer st_unknown", "Bearer ct_customer-token", "st_x"],
)
def test_staff_bad_credentials_are_unauthorized(desk: Desk, header: str | None) -> None:
    with pytest.raises(Unauthorized):
        desk.container.staff.authenticate(header)


def test_staff_create_validates_role_and_name(desk: Desk) -> None:
    with pytest.raises(ValidationFailed) as failed:
        desk.container.staff.create({"name": "", "role": "boss", "extra": 1})
    assert set(failed.value.fields) == {"name", "role", "extra"}


@pytest.mark.parametrize(
    ("role", "minimum", "allowed"),
    [
        ("agent", "agent", True),
        ("agent", "supervisor", False),
        ("supervisor", "agent", True),
        ("supervisor", "admin", False),
        ("admin", "supervisor", True),
        ("reviewer", "agent", False),
        ("reviewer", "reviewer", True),
        ("admin", "reviewer", True),
        ("agent", "reviewer", False),
    ],
)
def test_staff_roles_follow_the_ranking(role: str, minimum: str, allowed: bool) -> None:
    member = StaffMember("s1", "n", role)
    if allowed:
        require_role(member, minimum)
    else:
        with pytest.raises(Forbidden):
            require_role(member, minimum)


def test_bearer_reads_the_token() -> None:
    assert bearer("Bearer  abc ") == "abc"
    assert bearer("bearer abc") == "abc"


def test_cursor_round_trips_within_its_scope() -> None:
    key = {"case_id": "01ABC", "created_at": "2026-11-23T02:00:00Z"}
    token = cursors.encode(key, KEY, "list-a")
    assert token is not None
    assert cursors.decode(token, KEY, "list-a") == key


@pytest.mark.parametrize("mutate", ["flip", "scope", "key", "garbage"])
def test_cursor_tampering_is_rejected(mutate: str) -> None:
    token = cursors.encode({"id": "1"}, KEY, "list-a")
    assert token is not None
    forged = {
        "flip": token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
        "scope": token,
        "key": token,
        "garbage": "!!!not-base64!!!",
    }[mutate]
    scope = "list-b" if mutate == "scope" else "list-a"
    secret = b"x" * 32 if mutate == "key" else KEY
    with pytest.raises(ValidationFailed):
        cursors.decode(forged, secret, scope)


@pytest.mark.parametrize(("raw", "expected"), [(None, 50), ("1", 1), ("200", 200)])
def test_page_limit_accepts_1_to_200(raw: str | None, expected: int) -> None:
    assert cursors.page_limit(raw) == expected


@pytest.mark.parametrize("raw", ["0", "201", "-1", "ten", "1.5", ""])
def test_page_limit_rejects_others(raw: str) -> None:
    with pytest.raises(ValidationFailed):
        cursors.page_limit(raw)


def test_a_container_part_that_does_not_exist_is_refused() -> None:
    # GIVEN a misspelled part (the real SMS adapter would otherwise be built and used)
    from chalicelib import wiring
    from chalicelib.settings import Settings
    from tests.fakes import FakeSms

    # WHEN a container is built with it / THEN it is refused at once
    with pytest.raises(TypeError, match="smss"):
        wiring.Container(Settings.from_env(), smss=FakeSms())  # type: ignore[call-arg]
