"""Staff accounts and bearer-token authentication."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from chalicelib.domain import limits
from chalicelib.domain.clock import Clock
from chalicelib.domain.contact import normalize_email
from chalicelib.domain.errors import (
    Forbidden,
    InvalidTransition,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from chalicelib.domain.ids import hash_token, new_token
from chalicelib.domain.validation import (
    Problems,
    choice,
    normalized,
    reject_unknown,
    require_object,
    text,
)
from chalicelib.services import audit, cursors
from chalicelib.services.changes import Changes, NewStaff, StaffUpdate
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


def present_member(member: StaffMember) -> dict[str, Any]:
    """A staff member as the desk shows them (GET /v1/admin/me, /v1/admin/staff)."""
    return {
        "staff_id": member.staff_id,
        "name": member.name,
        "role": member.role,
        "team": member.team,
        "active": member.active,
    }


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


SYSTEM_ACTOR = "system"  # who the audit trail names for `make admin` and the demo seed
_ACTIVE = {"true": True, "false": False}


class StaffService:
    def __init__(
        self,
        directory: StaffDirectory,
        store: DeskStore,
        clock: Clock,
        cursor_key: bytes = b"",
    ) -> None:
        self._directory = directory
        self._store = store
        self._clock = clock
        self._cursor_key = cursor_key

    def authenticate(self, authorization: str | None) -> StaffMember:
        token = bearer(authorization)
        if not token.startswith(STAFF_TOKEN_PREFIX + "_"):
            raise Unauthorized()
        member = self._directory.by_token_hash(hash_token(token))
        if member is None:
            raise Unauthorized()
        return member

    @staticmethod
    def caller_key(authorization: str | None) -> str:
        """A key for the credential a request carries (its hash), whoever it turns out to be:
        what a token rotation's Idempotency-Key is scoped by."""
        try:
            return hash_token(bearer(authorization))[:32]
        except Unauthorized:
            return "none"

    def create(
        self, body: Any, once: Once | None = None, actor: str = SYSTEM_ACTOR
    ) -> tuple[StaffMember, str]:
        """A new staff member and their token; the token is shown once and stored as a hash.
        With `once`, the answer is stored with the member, in the same transaction; the audit
        trail records who created them (`actor`)."""
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
        detail = {"role": role}
        audit.record(changes, actor, "staff_created", target=member.staff_id, detail=detail)
        self._store.commit(changes)
        return member, token

    # -- the directory -------------------------------------------------------------------------

    def members(self, params: Mapping[str, str | None]) -> dict[str, Any]:
        """A page of members by role (ROLES order), then name; `role` and `active` narrow it.
        Read through the role index: a desk has hundreds of members, not millions."""
        problems = Problems()
        role = choice(params, "role", ROLES, problems)
        active_raw = choice(params, "active", tuple(_ACTIVE), problems)
        limit = cursors.page_limit(params.get("limit"))
        problems.raise_if_any()
        scope = f"staff:{role or ''}:{active_raw or ''}"
        start = cursors.decode(params.get("cursor"), self._cursor_key, scope)
        offset = int(start.get("offset", 0)) if start else 0
        members = [m for r in ((role,) if role else ROLES) for m in self._by_role(r)]
        if active_raw is not None:
            members = [m for m in members if m.active is _ACTIVE[active_raw]]
        page = members[offset : offset + limit]
        more = offset + limit < len(members)
        return {
            "items": [present_member(m) for m in page],
            "next_cursor": cursors.encode(
                {"offset": offset + limit} if more else None, self._cursor_key, scope
            ),
        }

    def _by_role(self, role: str) -> list[StaffMember]:
        return sorted(self._directory.by_role(role), key=lambda m: (m.name, m.staff_id))

    # -- credentials ---------------------------------------------------------------------------

    def deactivate(
        self, admin: StaffMember, staff_id: str, body: Any, once: Once | None = None
    ) -> dict[str, Any]:
        """Take a member's token away: it answers 401 from the moment this commits. Their open
        cases stay assigned to them (the queue marks them inactive) for reassignment. A
        member already inactive is answered as they are, with nothing written."""
        problems = Problems()
        data: Mapping[str, Any] = require_object(body, problems)
        reject_unknown(data, ("reason",), problems)
        reason = text(data, "reason", problems, max_len=limits.REASON, multiline=True)
        problems.raise_if_any()
        member = self._directory.get(staff_id)
        if member is None:
            raise NotFound("No such staff member.")
        if not member.active:
            return present_member(member)
        if member.staff_id == admin.staff_id:
            raise InvalidTransition("You cannot deactivate yourself; ask another admin.")
        old_hash = self._directory.token_hash_of(staff_id)
        if old_hash is None:  # pragma: no cover - a member without a token item
            raise NotFound("No such staff member.")
        gone = replace(member, active=False)
        answer = present_member(gone)
        now = self._clock.now()
        changes = Changes(
            now=now,
            staff_updates=[StaffUpdate(gone, old_hash, None)],
            claims=extra_claims(once, answer, now),
        )
        detail = {"reason": reason} if reason else {}
        audit.record(changes, admin.staff_id, "staff_deactivated", target=staff_id, detail=detail)
        self._store.commit(changes)
        return answer

    def rotate_token(
        self, caller: StaffMember, staff_id: str, once: Once | None = None
    ) -> dict[str, Any]:
        """A new token for the member (an admin for anyone, anyone for themself), shown once;
        the old one answers 401 from the moment this commits."""
        if caller.staff_id != staff_id:
            require_role(caller, "admin")
        member = self._directory.get(staff_id)
        if member is None:
            raise NotFound("No such staff member.")
        if not member.active:
            raise InvalidTransition("A deactivated member gets no new token.")
        old_hash = self._directory.token_hash_of(staff_id)
        if old_hash is None:  # pragma: no cover - a member without a token item
            raise NotFound("No such staff member.")
        token = new_token(STAFF_TOKEN_PREFIX)
        answer = {"staff_id": staff_id, "token": token}
        now = self._clock.now()
        changes = Changes(
            now=now,
            staff_updates=[StaffUpdate(member, old_hash, hash_token(token))],
            claims=extra_claims(once, answer, now),
        )
        audit.record(changes, caller.staff_id, "token_rotated", target=staff_id)
        self._store.commit(changes)
        return answer
