"""Staff accounts and bearer-token authentication."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import normalize_email
from chalicelib.domain.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from chalicelib.domain.ids import hash_token, new_token
from chalicelib.domain.validation import (
    Problems,
    choice,
    normalized,
    reject_unknown,
    require_object,
    text,
)
from chalicelib.services.changes import Changes, NewStaff
from chalicelib.services.entities import StaffMember
from chalicelib.services.idempotency import Once, extra_claims
from chalicelib.services.ports import DeskStore, StaffDirectory

ROLES = ("agent", "supervisor", "reviewer", "admin")
STAFF_TOKEN_PREFIX = "st"  # noqa: S105 - a prefix, not a secret
# agent < supervisor < admin; reviewer stands apart (second reviews only).
_RANK = {"agent": 1, "supervisor": 2, "admin": 3}


def bearer(authorization: str | None) -> str:
    """The token of an `Authorization: Bearer <token>` header; Unauthorized otherwise."""
    if not authorization:
        raise Unauthorized()
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        raise Unauthorized()
    return token


def case_bearer(authorization: str | None) -> str:
    """For calls on one case: a malformed credential is treated like a token that does not
    open the case (404); only a missing one is 401."""
    try:
        return bearer(authorization)
    except Unauthorized:
        if authorization:
            raise NotFound() from None
        raise


def require_role(member: StaffMember, minimum: str) -> None:
    """`minimum` in the agent < supervisor < admin order; `reviewer` only admits reviewers
    and admins."""
    if minimum == "reviewer":
        if member.role not in ("reviewer", "admin"):
            raise Forbidden()
        return
    if _RANK.get(member.role, 0) < _RANK[minimum]:
        raise Forbidden()


def roles_admitted(minimum: str) -> tuple[str, ...]:
    """The roles `require_role(member, minimum)` lets through, in ROLES order."""
    if minimum == "reviewer":
        return ("reviewer", "admin")
    return tuple(role for role in ROLES if _RANK.get(role, 0) >= _RANK[minimum])


def present_new_member(member: StaffMember, token: str) -> dict[str, Any]:
    """The answer to creating a staff member: the only time the token is shown."""
    return {
        "staff_id": member.staff_id,
        "name": member.name,
        "role": member.role,
        "team": member.team,
        "email": member.email,
        "token": token,
    }


class StaffService:
    def __init__(self, directory: StaffDirectory, store: DeskStore, clock: Clock) -> None:
        self._directory = directory
        self._store = store
        self._clock = clock

    def authenticate(self, authorization: str | None) -> StaffMember:
        token = bearer(authorization)
        if not token.startswith(STAFF_TOKEN_PREFIX + "_"):
            raise Unauthorized()
        member = self._directory.by_token_hash(hash_token(token))
        if member is None:
            raise Unauthorized()
        return member

    def create(self, body: Any, once: Once | None = None) -> tuple[StaffMember, str]:
        """A new staff member and their token; the token is shown once and stored as a hash.
        With `once`, the answer is stored with the member, in the same transaction."""
        problems = Problems()
        data: Mapping[str, Any] = require_object(body, problems)
        reject_unknown(data, ("name", "role", "team", "email"), problems)
        name = text(data, "name", problems, required=True, max_len=limits.PERSON_NAME)
        role = choice(data, "role", ROLES, problems, required=True)
        team = text(data, "team", problems, max_len=limits.PERSON_NAME)
        email = normalized(data, "email", normalize_email, problems)
        if problems or not (name and role):
            raise ValidationFailed(problems.fields)
        member = StaffMember(f"stf_{uuid.uuid4().hex[:16]}", name, role, team, email)
        token = new_token(STAFF_TOKEN_PREFIX)
        now = self._clock.now()
        claims = extra_claims(once, present_new_member(member, token), now)
        changes = Changes(now=now, staff=[NewStaff(member, hash_token(token))], claims=claims)
        self._store.commit(changes)
        return member, token
