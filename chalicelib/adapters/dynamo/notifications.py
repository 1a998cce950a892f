"""The delivery log on DynamoDB: one item per (case, event, channel). Every change of state is a
conditional write on the state it was decided from, so two senders (or a sender and a receipt)
never both win."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.adapters.dynamo.mapping import plain
from chalicelib.adapters.dynamo.models import NotificationModel
from chalicelib.adapters.errors import aws_call, error_code
from chalicelib.domain.delivery import CLAIMABLE, DeliveryStatus, Notification

_FIELDS = (
    "case_id",
    "event",
    "channel",
    "audience",
    "recipient",
    "recipient_masked",
    "language",
    "attempts",
    "last_error",
    "next_attempt_at",
    "lease_until",
    "sent_at",
    "provider_id",
    "created_at",
    "updated_at",
    "attempted_at",
    "unanswered",
    "receipt",
    "receipt_key",
)


def _to_model(n: Notification) -> NotificationModel:
    model = NotificationModel(
        n.notification_id, params=dict(n.params), status=DeliveryStatus(n.status).value
    )
    for name in _FIELDS:
        setattr(model, name, getattr(n, name))
    return model


def _from_model(m: NotificationModel) -> Notification:
    values = {name: getattr(m, name) for name in _FIELDS}
    values["attempts"] = int(values["attempts"] or 0)
    values["unanswered"] = int(values["unanswered"] or 0)
    return Notification(
        notification_id=m.notification_id,
        params=plain(m.params),
        status=DeliveryStatus(m.status),
        **values,
    )


def _condition_failed(exc: PutError | UpdateError) -> bool:
    return error_code(exc) == "ConditionalCheckFailedException"


def _lease_is(lease: datetime | None) -> Condition:
    n = NotificationModel
    return n.lease_until.does_not_exist() if lease is None else n.lease_until == lease


class DynamoNotificationLog:
    def create(self, notification: Notification) -> Notification:
        if self.create_claimed(notification):
            return notification
        return self.get(notification.notification_id) or notification

    def create_claimed(self, notification: Notification) -> bool:
        """Stored as given (`create` too): True unless the id existed."""
        condition = NotificationModel.notification_id.does_not_exist()
        return self._put(_to_model(notification), condition)

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
        condition = n.status.is_in(*(s.value for s in CLAIMABLE)) & due
        model = NotificationModel(notification_id)
        try:
            with aws_call("dynamodb"):
                model.update(
                    actions=[
                        n.status.set(DeliveryStatus.SENDING.value),
                        n.lease_until.set(now + timedelta(seconds=lease_seconds)),
                        n.attempts.add(1),
                        n.attempted_at.set(now),
                        n.updated_at.set(now),
                    ],
                    condition=condition,
                )
        except UpdateError as exc:
            if _condition_failed(exc):
                return None
            raise
        return _from_model(model)

    def reset(
        self, notification_id: str, now: datetime, status: DeliveryStatus, attempts: int
    ) -> Notification | None:
        n = NotificationModel
        model = NotificationModel(notification_id)
        try:
            with aws_call("dynamodb"):
                model.update(
                    actions=[
                        n.status.set(DeliveryStatus.QUEUED.value),
                        n.attempts.set(0),
                        n.next_attempt_at.remove(),
                        n.lease_until.remove(),
                        n.updated_at.set(now),
                    ],
                    condition=(n.status == status.value) & (n.attempts == attempts),
                )
        except UpdateError as exc:
            if _condition_failed(exc):
                return None
            raise
        return _from_model(model)

    def save_outcome(self, notification: Notification) -> bool:
        """Written only under the claim it was made under (its lease); a late `sent` also
        over an `unknown` nobody claimed since."""
        n = NotificationModel
        condition = (n.status == DeliveryStatus.SENDING.value) & _lease_is(notification.lease_until)
        if notification.status == DeliveryStatus.SENT:
            condition |= (n.status == DeliveryStatus.UNKNOWN.value) & (
                n.attempts == notification.attempts
            )
        model = _to_model(notification)
        model.lease_until = None
        return self._put(model, condition)

    def replace(self, notification: Notification, expected: Notification) -> bool:
        n = NotificationModel
        condition = (
            (n.status == DeliveryStatus(expected.status).value)
            & (n.attempts == expected.attempts)
            & _lease_is(expected.lease_until)
        )
        return self._put(_to_model(notification), condition)

    def _put(self, model: NotificationModel, condition: Condition) -> bool:
        try:
            with aws_call("dynamodb"):
                model.save(condition=condition)
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def awaiting_receipt(
        self, receipt_key: str, start: datetime, end: datetime
    ) -> list[Notification]:
        with aws_call("dynamodb"):
            query = NotificationModel.receipt_index.query(
                receipt_key, NotificationModel.attempted_at.between(start, end), limit=50
            )
            return [_from_model(m) for m in query]

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
