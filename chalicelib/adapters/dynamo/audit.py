"""The audit trail on DynamoDB: one partition per month, read newest first through the table
(everything) or an index (by actor, by case)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters.dynamo.mapping import plain
from chalicelib.adapters.dynamo.models import AuditModel
from chalicelib.adapters.errors import aws_call
from chalicelib.domain.timefmt import SHANGHAI
from chalicelib.services.audit import RETENTION, expires_at
from chalicelib.services.entities import AuditEntry

# Months of the trail (its retention and one more), read newest first when nothing narrows it.
_MONTHS = RETENTION.days // 28 + 2


def month_of(at: datetime) -> str:
    return f"{at.astimezone(SHANGHAI):%Y-%m}"


def audit_to_model(item: AuditEntry) -> AuditModel:
    return AuditModel(
        month_of(item.at),
        item.entry_id,
        at=item.at,
        actor=item.actor,
        action=item.action,
        case_id=item.case_id,
        target=item.target,
        detail=dict(item.detail),
        expires_at=expires_at(item),
    )


def _entry(model: AuditModel) -> AuditEntry:
    return AuditEntry(
        model.entry_id,
        model.at,
        model.actor,
        model.action,
        model.case_id,
        model.target,
        plain(model.detail),
    )


def _previous(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


class DynamoAuditLog:
    def entries(
        self,
        *,
        actor: str | None,
        case_id: str | None,
        now: datetime,
        limit: int,
        start: dict[str, Any] | None,
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            if case_id or actor:
                return self._by_index(actor, case_id, limit, start)
            return self._by_month(now, limit, start)

    def _by_index(
        self, actor: str | None, case_id: str | None, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        partition: str
        if case_id:
            index: Any = AuditModel.case_index
            partition = case_id
            condition = (AuditModel.actor == actor) if actor else None
        else:
            index, partition, condition = AuditModel.actor_index, str(actor), None
        result = index.query(
            partition,
            scan_index_forward=False,
            filter_condition=condition,
            limit=limit,
            page_size=limit,
            last_evaluated_key=start,
        )
        items = [_entry(m) for m in result]
        return items, result.last_evaluated_key if len(items) == limit else None

    def _by_month(
        self, now: datetime, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[AuditEntry], dict[str, Any] | None]:
        month = str(start["month"]) if start else month_of(now)
        key = start.get("key") if start else None
        items: list[AuditEntry] = []
        for _ in range(_MONTHS):
            result = AuditModel.query(
                month,
                scan_index_forward=False,
                limit=limit - len(items),
                page_size=limit - len(items),
                last_evaluated_key=key,
            )
            items += [_entry(m) for m in result]
            key = result.last_evaluated_key
            if len(items) == limit:
                return items, {"month": month, "key": key} if key else {
                    "month": _previous(month),
                    "key": None,
                }
            month, key = _previous(month), None
        return items, None
