"""The delivery log on DynamoDB: one item per (case, event, channel)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError

from chalicelib.adapters.dynamo.mapping import plain
from chalicelib.adapters.dynamo.models import NotificationModel
from chalicelib.adapters.errors import aws_call, error_code
from chalicelib.services.ports import Notification

_CLAIMABLE = ("queued", "deferred", "failed")
_FIELDS = (
    "case_id",
    "event",
    "channel",
    "audience",
    "recipient",
    "recipient_masked",
    "language",
    "status",
    "attempts",
    "last_error",
    "next_attempt_at",
    "lease_until",
    "sent_at",
    "provider_id",
    "created_at",
    "updated_at",
)


def _to_model(n: Notification) -> NotificationModel:
    model = NotificationModel(n.notification_id, params=dict(n.params))
    for name in _FIELDS:
        setattr(model, name, getattr(n, name))
    return model


def _from_model(m: NotificationModel) -> Notification:
    values = {name: getattr(m, name) for name in _FIELDS}
    values["attempts"] = int(values["attempts"] or 0)
    return Notification(notification_id=m.notification_id, params=plain(m.params), **values)


def _condition_failed(exc: PutError | UpdateError) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


class DynamoNotificationLog:
    def create(self, notification: Notification) -> Notification:
        try:
            with aws_call("dynamodb"):
                _to_model(notification).save(
                    condition=NotificationModel.notification_id.does_not_exist()
                )
        except PutError as exc:
            if not _condition_failed(exc):
                raise
            existing = self.get(notification.notification_id)
            if existing is not None:
                return existing
        return notification

    def get(self, notification_id: str) -> Notification | None:
        try:
            with aws_call("dynamodb"):
                return _from_model(NotificationModel.get(notification_id, consistent_read=True))
        except DoesNotExist:
            return None

    def claim(self, notification_id: str, now: datetime, lease_seconds: int) -> Notification | None:
        """The claim counts the attempt in the same conditional write, so an attempt whose
        sender died before recording an outcome still counts towards giving up."""
        n = NotificationModel
        due = n.next_attempt_at.does_not_exist() | (n.next_attempt_at <= now)
        condition = (n.status.is_in(*_CLAIMABLE) & due) | (
            (n.status == "sending") & (n.lease_until < now)
        )
        model = NotificationModel(notification_id)
        try:
            with aws_call("dynamodb"):
                model.update(
                    actions=[
                        n.status.set("sending"),
                        n.lease_until.set(now + timedelta(seconds=lease_seconds)),
                        n.attempts.add(1),
                    ],
                    condition=condition,
                )
        except UpdateError as exc:
            if _condition_failed(exc):
                return None
            raise
        return _from_model(model)

    def reset(self, notification_id: str, now: datetime) -> Notification | None:
        n = NotificationModel
        model = NotificationModel(notification_id)
        try:
            with aws_call("dynamodb"):
                model.update(
                    actions=[
                        n.status.set("queued"),
                        n.attempts.set(0),
                        n.next_attempt_at.remove(),
                        n.updated_at.set(now),
                    ],
                    condition=n.status.is_in("dead", "failed"),
                )
        except UpdateError as exc:
            if _condition_failed(exc):
                return None
            raise
        return _from_model(model)

    def save_outcome(self, notification: Notification) -> None:
        """Written only while the claim it was made under (its lease) is still the current one."""
        n = NotificationModel
        lease, notification.lease_until = notification.lease_until, None
        condition = n.status == "sending"
        condition &= n.lease_until.does_not_exist() if lease is None else n.lease_until == lease
        try:
            with aws_call("dynamodb"):
                _to_model(notification).save(condition=condition)
        except PutError as exc:
            if not _condition_failed(exc):
                raise
            # Our lease ran out and someone else took over; their outcome stands.

    def for_case(
        self, case_id: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Notification], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            query = NotificationModel.case_index.query(
                case_id, limit=limit, last_evaluated_key=cursor, page_size=limit
            )
            items = [_from_model(m) for m in query]
            return items, query.last_evaluated_key

    def by_status(
        self, status: str, limit: int, cursor: dict[str, Any] | None
    ) -> tuple[list[Notification], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            query = NotificationModel.status_index.query(
                status,
                limit=limit,
                last_evaluated_key=cursor,
                page_size=limit,
                scan_index_forward=False,
            )
            items = [_from_model(m) for m in query]
            return items, query.last_evaluated_key
