"""Staff members on DynamoDB; a token is found by its hash with one consistent GetItem."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo.mapping import plain
from chalicelib.adapters.dynamo.models import KeyModel, StaffModel
from chalicelib.adapters.errors import aws_call
from chalicelib.services.changes import NewStaff
from chalicelib.services.entities import StaffMember
from chalicelib.services.keys import staff_token_key as token_key


def staff_models(new: NewStaff, now: datetime) -> tuple[StaffModel, KeyModel]:
    """The member's item, and the key item that finds them by their token's hash with one
    consistent GetItem (written together, in the change's transaction)."""
    member = new.member
    value = {
        "staff_id": member.staff_id,
        "name": member.name,
        "role": member.role,
        "team": member.team,
        "email": member.email,
    }
    staff = StaffModel(
        member.staff_id,
        name=member.name,
        role=member.role,
        team=member.team,
        email=member.email,
        token_hash=new.token_hash,
        created_at=now,
    )
    return staff, KeyModel(token_key(new.token_hash), value=value, created_at=now)


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


def _member(model: StaffModel) -> StaffMember:
    return StaffMember(model.staff_id, model.name, model.role, model.team, model.email)
