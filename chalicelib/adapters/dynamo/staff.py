"""Staff members on DynamoDB; a token is found by its hash with one consistent GetItem."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo.mapping import plain
from chalicelib.adapters.dynamo.models import KeyModel, StaffModel
from chalicelib.adapters.errors import aws_call
from chalicelib.services.changes import NewStaff, StaffUpdate
from chalicelib.services.entities import StaffMember
from chalicelib.services.keys import staff_token_key as token_key


def _token_value(member: StaffMember) -> dict[str, Any]:
    return {
        "staff_id": member.staff_id,
        "name": member.name,
        "role": member.role,
        "team": member.team,
        "email": member.email,
    }


def staff_models(new: NewStaff, now: datetime) -> tuple[StaffModel, KeyModel]:
    """The member's item, and the key item that finds them by their token's hash with one
    consistent GetItem (written together, in the change's transaction)."""
    member = new.member
    value = _token_value(member)
    staff = StaffModel(
        member.staff_id,
        name=member.name,
        role=member.role,
        team=member.team,
        email=member.email,
        token_hash=new.token_hash,
        created_at=now,
        active=True,
    )
    return staff, KeyModel(token_key(new.token_hash), value=value, created_at=now)


def staff_update_items(update: StaffUpdate, now: datetime) -> tuple[Any, list[Any], Any, Any]:
    """(the old token's key to delete, the new token's key to put (if any), the member's
    update actions, its condition): the old token stops in the transaction that replaces it."""
    member = update.member
    old = KeyModel(token_key(update.old_token_hash))
    new = (
        [KeyModel(token_key(update.new_token_hash), value=_token_value(member), created_at=now)]
        if update.new_token_hash
        else []
    )
    actions = [StaffModel.active.set(member.active)]
    if update.new_token_hash:
        actions.append(StaffModel.token_hash.set(update.new_token_hash))
    if not member.active:
        actions.append(StaffModel.deactivated_at.set(now))
    condition = StaffModel.token_hash == update.old_token_hash
    return old, new, actions, condition


class DynamoStaffDirectory:
    def by_token_hash(self, token_hash: str) -> StaffMember | None:
        try:
            with aws_call("dynamodb"):
                model = KeyModel.get(token_key(token_hash), consistent_read=True)
        except DoesNotExist:
            return None
        value = plain(model.value)
        return StaffMember(
            value["staff_id"], value["name"], value["role"], value.get("team"), value.get("email")
        )

    def get(self, staff_id: str) -> StaffMember | None:
        try:
            with aws_call("dynamodb"):
                model = StaffModel.get(staff_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _member(model)

    def by_role(self, role: str) -> list[StaffMember]:
        with aws_call("dynamodb"):
            return [_member(m) for m in StaffModel.role_index.query(role)]

    def token_hash_of(self, staff_id: str) -> str | None:
        try:
            with aws_call("dynamodb"):
                model = StaffModel.get(staff_id, consistent_read=True)
        except DoesNotExist:
            return None
        return model.token_hash

    def members(self, staff_ids: list[str]) -> dict[str, StaffMember]:
        wanted = sorted(set(staff_ids))
        if not wanted:
            return {}
        with aws_call("dynamodb"):
            return {m.staff_id: _member(m) for m in StaffModel.batch_get(wanted)}


def _member(model: StaffModel) -> StaffMember:
    active = model.active is not False
    return StaffMember(model.staff_id, model.name, model.role, model.team, model.email, active)
