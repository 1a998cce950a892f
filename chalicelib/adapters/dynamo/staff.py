"""Staff members on DynamoDB; a token is found by its hash with one consistent GetItem."""

from __future__ import annotations

from datetime import datetime

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.mapping import plain
from chalicelib.adapters.dynamo.models import KeyModel, StaffModel
from chalicelib.adapters.dynamo.store import translated
from chalicelib.services.ports import StaffMember


def token_key(token_hash: str) -> str:
    return f"staff-token#{token_hash}"


class DynamoStaffDirectory:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, member: StaffMember, token_hash: str, now: datetime) -> None:
        value = {
            "staff_id": member.staff_id,
            "name": member.name,
            "role": member.role,
            "team": member.team,
            "email": member.email,
        }
        with translated(), TransactWrite(connection=self._connection) as tx:
            tx.save(
                StaffModel(
                    member.staff_id,
                    name=member.name,
                    role=member.role,
                    team=member.team,
                    email=member.email,
                    token_hash=token_hash,
                    created_at=now,
                ),
                condition=StaffModel.staff_id.does_not_exist(),
            )
            tx.save(
                KeyModel(token_key(token_hash), value=value, created_at=now),
                condition=KeyModel.key.does_not_exist(),
            )

    def by_token_hash(self, token_hash: str) -> StaffMember | None:
        try:
            with translated():
                model = KeyModel.get(token_key(token_hash), consistent_read=True)
        except DoesNotExist:
            return None
        value = plain(model.value)
        return StaffMember(
            value["staff_id"], value["name"], value["role"], value.get("team"), value.get("email")
        )

    def get(self, staff_id: str) -> StaffMember | None:
        try:
            with translated():
                model = StaffModel.get(staff_id, consistent_read=True)
        except DoesNotExist:
            return None
        return _member(model)

    def by_role(self, role: str) -> list[StaffMember]:
        with translated():
            return [_member(m) for m in StaffModel.role_index.query(role)]


def _member(model: StaffModel) -> StaffMember:
    return StaffMember(model.staff_id, model.name, model.role, model.team, model.email)
