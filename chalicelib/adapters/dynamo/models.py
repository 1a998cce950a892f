"""PynamoDB models: one class per table, one class per index.

Table names, region and endpoint are bound at runtime by `bind()`, so one code base serves every
stage and the tests; `infra/resources.json` declares the same tables for CloudFormation (a test
keeps the two in step).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.adapters.deadlines import DYNAMODB
from chalicelib.adapters.dynamo.case_model import WAKE_SHARDS, CaseModel
from chalicelib.adapters.dynamo.evidence import EvidenceModel

OUTBOX_SHARDS = 4

# the cases table: case_model.py; the evidence table: evidence.py
__all__ = ["WAKE_SHARDS", "CaseModel", "EvidenceModel"]


class TimelineModel(Model):
    class Meta:
        table_name = "timeline"

    case_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    type = UnicodeAttribute()
    actor = UnicodeAttribute()
    visibility = UnicodeAttribute()
    text = UnicodeAttribute(null=True)
    data = MapAttribute[str, Any](default=dict)


class PendingIndex(GlobalSecondaryIndex["OutboxModel"]):
    """Sparse: only events not yet handled carry `pending_shard`; ordered by when each is due
    (its creation, or the end of its back-off after a failed attempt), so events waiting out a
    back-off never crowd out newer ones."""

    class Meta:
        index_name = "pending_due"
        projection = AllProjection()

    pending_shard = UnicodeAttribute(hash_key=True)
    due_at = UTCDateTimeAttribute(range_key=True)


class FailedIndex(GlobalSecondaryIndex["OutboxModel"]):
    """Sparse: events that failed every attempt (staff list and retry them), newest first."""

    class Meta:
        index_name = "failed"
        projection = AllProjection()

    failed_flag = UnicodeAttribute(hash_key=True)
    failed_at = UTCDateTimeAttribute(range_key=True)


class OutboxModel(Model):
    class Meta:
        table_name = "outbox"
        stream_view_type = "NEW_IMAGE"

    case_id = UnicodeAttribute(hash_key=True)
    event_id = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    payload = MapAttribute[str, Any](default=dict)
    created_at = UTCDateTimeAttribute()
    pending_shard = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    correlation_id = UnicodeAttribute(null=True)
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    done_at = UTCDateTimeAttribute(null=True)
    failed_flag = UnicodeAttribute(null=True)
    failed_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)

    pending_index = PendingIndex()
    failed_index = FailedIndex()


class NotificationCaseIndex(GlobalSecondaryIndex["NotificationModel"]):
    class Meta:
        index_name = "by_case"
        projection = AllProjection()

    case_id = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class NotificationStatusIndex(GlobalSecondaryIndex["NotificationModel"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class NotificationReceiptIndex(GlobalSecondaryIndex["NotificationModel"]):
    """SMS that may still get a delivery receipt, by the phone's last digits and the time of
    their latest attempt (sparse: only SMS that were attempted carry both keys)."""

    class Meta:
        index_name = "awaiting_receipt"
        projection = AllProjection()

    receipt_key = UnicodeAttribute(hash_key=True)
    attempted_at = UTCDateTimeAttribute(range_key=True)


class NotificationModel(Model):
    class Meta:
        table_name = "notifications"

    notification_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute()
    event = UnicodeAttribute()
    channel = UnicodeAttribute()
    audience = UnicodeAttribute()
    recipient = UnicodeAttribute()
    recipient_masked = UnicodeAttribute()
    language = UnicodeAttribute()
    params = MapAttribute[str, Any](default=dict)
    status = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    next_attempt_at = UTCDateTimeAttribute(null=True)
    lease_until = UTCDateTimeAttribute(null=True)
    sent_at = UTCDateTimeAttribute(null=True)
    provider_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute(null=True)
    attempted_at = UTCDateTimeAttribute(null=True)
    unanswered = NumberAttribute(null=True)
    receipt = UnicodeAttribute(null=True)
    receipt_key = UnicodeAttribute(null=True)

    case_index = NotificationCaseIndex()
    status_index = NotificationStatusIndex()
    receipt_index = NotificationReceiptIndex()


class KeyModel(Model):
    """Uniqueness, idempotency and token keys; `expires_at` lets DynamoDB TTL remove old ones."""

    class Meta:
        table_name = "keys"

    key = UnicodeAttribute(hash_key=True)
    value = MapAttribute[str, Any](default=dict)
    created_at = UTCDateTimeAttribute(null=True)
    expires_at = TTLAttribute(null=True)
    counter = NumberAttribute(null=True)  # for rate limits and attempt counters
    # A list appended to (an hour's merchant digest), each entry a JSON object.
    entries = ListAttribute(of=UnicodeAttribute, null=True)


class StaffRoleIndex(GlobalSecondaryIndex["StaffModel"]):
    """Staff by role: who hears about breaches (supervisors, admins)."""

    class Meta:
        index_name = "by_role"
        projection = AllProjection()

    role = UnicodeAttribute(hash_key=True)
    staff_id = UnicodeAttribute(range_key=True)


class StaffModel(Model):
    class Meta:
        table_name = "staff"

    staff_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    team = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    token_hash = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    active = BooleanAttribute(null=True)  # absent on members created before: active
    deactivated_at = UTCDateTimeAttribute(null=True)

    role_index = StaffRoleIndex()


class AuditActorIndex(GlobalSecondaryIndex["AuditModel"]):
    """A staff member's entries, newest first."""

    class Meta:
        index_name = "by_actor"
        projection = AllProjection()

    actor = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class AuditCaseIndex(GlobalSecondaryIndex["AuditModel"]):
    """Sparse: the entries about one case, newest first."""

    class Meta:
        index_name = "by_case"
        projection = AllProjection()

    case_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)


class AuditModel(Model):
    """The audit trail, one partition per month (`2026-12`), entries by ULID: written once
    (a conditional put), never updated; TTL removes them after three years."""

    class Meta:
        table_name = "audit"

    month = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    action = UnicodeAttribute()
    case_id = UnicodeAttribute(null=True)
    target = UnicodeAttribute(null=True)
    detail = MapAttribute[str, Any](default=dict)
    expires_at = TTLAttribute()

    actor_index = AuditActorIndex()
    case_index = AuditCaseIndex()


class MerchantModel(Model):
    class Meta:
        table_name = "merchants"

    merchant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    sealed_secret = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    language = UnicodeAttribute(null=True)  # absent on merchants registered before: zh-CN
    previous_sealed_secret = UnicodeAttribute(null=True)  # after a rotation, for a while
    previous_valid_until = UTCDateTimeAttribute(null=True)


class LookupModel(Model):
    """The staff search's index: a case by a search key (a keyed hash of a phone or an email,
    or an order id), newest case first (case ids are ULIDs). Never a plain phone or address."""

    class Meta:
        table_name = "lookups"

    lookup = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)
    created_at = UTCDateTimeAttribute()


class MetricsModel(Model):
    """One item per filing day; counters and samples are top-level attributes added by
    UpdateItem (see adapters/dynamo/metrics.py)."""

    class Meta:
        table_name = "metrics"

    day = UnicodeAttribute(hash_key=True)


class PaymentOrderIndex(GlobalSecondaryIndex["PaymentModel"]):
    """A payment by the merchant's order id (merchants may ask by order)."""

    class Meta:
        index_name = "by_order"
        projection = KeysOnlyProjection()

    order_ref = UnicodeAttribute(hash_key=True)  # "<merchant_id>#<order_id>"


class PaymentModel(Model):
    """One payment of the ledger: every event the platform reported, in any order."""

    class Meta:
        table_name = "payments"

    transaction_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    order_ref = UnicodeAttribute(null=True)
    events = ListAttribute(of=MapAttribute)
    status = UnicodeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = VersionAttribute()

    order_index = PaymentOrderIndex()


class OpenQueryIndex(GlobalSecondaryIndex["QueryModel"]):
    """Sparse: queries a later payment event may still answer, by payment reference."""

    class Meta:
        index_name = "open_by_ref"
        projection = AllProjection()

    open_ref = UnicodeAttribute(hash_key=True)
    query_id = UnicodeAttribute(range_key=True)


class QueryModel(Model):
    class Meta:
        table_name = "payment_queries"

    query_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    transaction_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    amount_fen = NumberAttribute()
    paid_at = UTCDateTimeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    verdict = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    case_id = UnicodeAttribute(null=True)
    case_number = UnicodeAttribute(null=True)
    open_ref = UnicodeAttribute(null=True)  # the first ref while open (each ref: one item)

    open_index = OpenQueryIndex()


MODELS: tuple[type[Model], ...] = (
    CaseModel,
    TimelineModel,
    OutboxModel,
    NotificationModel,
    KeyModel,
    StaffModel,
    MerchantModel,
    MetricsModel,
    PaymentModel,
    QueryModel,
    EvidenceModel,
    AuditModel,
    LookupModel,
)
TTL_MODELS = (OutboxModel, KeyModel, AuditModel)


def table_suffix(model: type[Model]) -> str:
    return str(getattr(model, "_table_suffix", model.Meta.table_name))


def bind(prefix: str, region: str, host: str | None = None) -> None:
    """Point every model at `<prefix><table>` in `region` (and a local endpoint, if any), with
    the DynamoDB call budget (adapters/deadlines.py) instead of PynamoDB's defaults (15 s to
    connect, 30 s to read)."""
    for model in MODELS:
        if not hasattr(model, "_table_suffix"):
            model._table_suffix = model.Meta.table_name  # type: ignore[attr-defined]
        name = prefix + table_suffix(model)
        if (model.Meta.table_name, model.Meta.region, model.Meta.host) == (name, region, host):
            continue  # bound so already: keep its connection (and its clients)
        model.Meta.table_name = name
        model.Meta.region = region
        model.Meta.host = host
        model.Meta.connect_timeout_seconds = DYNAMODB.connect_seconds
        model.Meta.read_timeout_seconds = DYNAMODB.read_seconds
        model.Meta.max_retry_attempts = DYNAMODB.attempts - 1  # PynamoDB counts the retries
        # PynamoDB caches the connection per model class; drop it so the new binding applies.
        model._connection = None
