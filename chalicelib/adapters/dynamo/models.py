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
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.adapters.deadlines import DYNAMODB

WAKE_SHARDS = 4
OUTBOX_SHARDS = 4


class ContactAttr(MapAttribute[str, Any]):
    phone = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    language = UnicodeAttribute()
    channels = ListAttribute(of=UnicodeAttribute)
    sms_opt_out = BooleanAttribute(default=False)


class PaymentAttr(MapAttribute[str, Any]):
    transaction_id = UnicodeAttribute(null=True)
    merchant_id = UnicodeAttribute(null=True)
    order_id = UnicodeAttribute(null=True)
    amount_fen = NumberAttribute(null=True)
    currency = UnicodeAttribute(default="CNY")
    paid_at = UTCDateTimeAttribute(null=True)


class ScheduleAttr(MapAttribute[str, Any]):
    epoch = NumberAttribute(default=0)
    gen = NumberAttribute(default=0)
    gen_epoch = NumberAttribute(default=0)
    live_at = UTCDateTimeAttribute(null=True)
    timer = UnicodeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)


class CustomerWaitAttr(MapAttribute[str, Any]):
    since = UTCDateTimeAttribute()
    remind_at = UTCDateTimeAttribute()
    close_at = UTCDateTimeAttribute()
    request = UnicodeAttribute(default="")


class ClockRunAttr(MapAttribute[str, Any]):
    budget = NumberAttribute()
    used = NumberAttribute(default=0)
    since = UTCDateTimeAttribute(null=True)


class TargetAttr(MapAttribute[str, Any]):
    days = NumberAttribute(default=0)
    hours = NumberAttribute(default=0)


class PolicyAttr(MapAttribute[str, Any]):
    category = UnicodeAttribute()
    version = NumberAttribute()
    first_response = TargetAttr()
    resolution = TargetAttr()


class SecondReviewAttr(MapAttribute[str, Any]):
    opened_at = UTCDateTimeAttribute()
    reason = UnicodeAttribute(default="")
    first_response_due = UTCDateTimeAttribute()
    resolution_due = UTCDateTimeAttribute()
    first_response_at = UTCDateTimeAttribute(null=True)


def _queue_index(name: str, hash_key: str) -> type[GlobalSecondaryIndex[Any]]:
    """An index of cases by `hash_key`, most urgent first (`due_key` = due time + case id)."""

    class Meta:
        index_name = name
        projection = AllProjection()

    attrs = {
        "Meta": Meta,
        hash_key: UnicodeAttribute(hash_key=True),
        "due_key": UnicodeAttribute(range_key=True),
    }
    return type(f"{name.title().replace('_', '')}Index", (GlobalSecondaryIndex,), attrs)


OpenQueueIndex = _queue_index("open_queue", "queue")
StatusIndex = _queue_index("by_status", "status")
# Every case that names a merchant, finished ones too: the merchant's own case list.
MerchantIndex = _queue_index("by_merchant", "merchant_id")
# The staff queue's filters. Their keys exist only while a case is open (like `queue`), so a
# finished case leaves these indexes and a filtered queue never pages through history.
OpenAssigneeIndex = _queue_index("open_by_assignee", "open_assignee")
OpenMerchantIndex = _queue_index("open_by_merchant", "open_merchant")
OpenCategoryIndex = _queue_index("open_by_category", "open_category")


class TransactionIndex(GlobalSecondaryIndex["CaseModel"]):
    """Cases about a payment: payment and refund events reach their customers."""

    class Meta:
        index_name = "by_transaction"
        projection = KeysOnlyProjection()

    transaction_id = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)


class OrderRefIndex(GlobalSecondaryIndex["CaseModel"]):
    """Cases that name their payment by the merchant's order alone, without a transaction id."""

    class Meta:
        index_name = "by_order_ref"
        projection = KeysOnlyProjection()

    order_ref = UnicodeAttribute(hash_key=True)
    case_id = UnicodeAttribute(range_key=True)


class ContactIndex(GlobalSecondaryIndex["CaseModel"]):
    """A contact's cases, newest first: customer sessions and repeat complaints."""

    class Meta:
        index_name = "by_contact"
        projection = AllProjection()

    contact_key = UnicodeAttribute(hash_key=True)
    created_at = UTCDateTimeAttribute(range_key=True)


class WakeIndex(GlobalSecondaryIndex["CaseModel"]):
    """Open cases by next wake-up: finds timers whose schedule went missing."""

    class Meta:
        index_name = "wake"
        projection = KeysOnlyProjection()

    wake_shard = UnicodeAttribute(hash_key=True)
    wake_at = UTCDateTimeAttribute(range_key=True)


class CaseModel(Model):
    class Meta:
        table_name = "cases"

    case_id = UnicodeAttribute(hash_key=True)
    case_number = UnicodeAttribute()
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    description = UnicodeAttribute()
    channel = UnicodeAttribute()
    contact = ContactAttr()
    payment = PaymentAttr(null=True)
    merchant_id = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    first_response_due = UTCDateTimeAttribute()
    resolution_due = UTCDateTimeAttribute()
    regulatory_due = UTCDateTimeAttribute()
    deadlines_provisional = BooleanAttribute(default=False)
    policy_version = NumberAttribute(default=1)
    access_token_hash = UnicodeAttribute()
    version = VersionAttribute()
    assignee = UnicodeAttribute(null=True)
    sla_fired = UnicodeSetAttribute(null=True)
    schedule = ScheduleAttr()
    last_public_update_at = UTCDateTimeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    accepted_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    waiting = CustomerWaitAttr(null=True)
    round = NumberAttribute(default=1)
    handlers = UnicodeSetAttribute(null=True)
    proposal = MapAttribute[str, Any](null=True)
    second_review = SecondReviewAttr(null=True)
    rating = NumberAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    at_risk_at = UTCDateTimeAttribute(null=True)
    policy = PolicyAttr(null=True)
    resolution_run = ClockRunAttr(null=True)
    merchant_run = ClockRunAttr(null=True)
    regulatory_days = NumberAttribute(default=15)
    messages_due_at = UTCDateTimeAttribute(null=True)
    # Index keys, derived on every write.
    queue = UnicodeAttribute(null=True)  # "open" while the case is open
    open_assignee = UnicodeAttribute(null=True)  # these three: assignee, merchant and category,
    open_merchant = UnicodeAttribute(null=True)  # set only while the case is open
    open_category = UnicodeAttribute(null=True)
    due_key = UnicodeAttribute(null=True)
    contact_key = UnicodeAttribute(null=True)
    transaction_id = UnicodeAttribute(null=True)
    order_ref = UnicodeAttribute(null=True)  # "merchant#order" when there is no transaction id
    wake_shard = UnicodeAttribute(null=True)
    wake_at = UTCDateTimeAttribute(null=True)

    wake_index = WakeIndex()
    open_queue_index = OpenQueueIndex()
    status_index = StatusIndex()
    merchant_index = MerchantIndex()
    open_assignee_index = OpenAssigneeIndex()
    open_merchant_index = OpenMerchantIndex()
    open_category_index = OpenCategoryIndex()
    contact_index = ContactIndex()
    transaction_index = TransactionIndex()
    order_ref_index = OrderRefIndex()


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

    role_index = StaffRoleIndex()


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
)
TTL_MODELS = (OutboxModel, KeyModel)


def table_suffix(model: type[Model]) -> str:
    return str(getattr(model, "_table_suffix", model.Meta.table_name))


def bind(prefix: str, region: str, host: str | None = None) -> None:
    """Point every model at `<prefix><table>` in `region` (and a local endpoint, if any), with
    the DynamoDB call budget (adapters/deadlines.py) instead of PynamoDB's defaults (15 s to
    connect, 30 s to read)."""
    for model in MODELS:
        if not hasattr(model, "_table_suffix"):
            model._table_suffix = model.Meta.table_name  # type: ignore[attr-defined]
        model.Meta.table_name = prefix + table_suffix(model)
        model.Meta.region = region
        model.Meta.host = host
        model.Meta.connect_timeout_seconds = DYNAMODB.connect_seconds
        model.Meta.read_timeout_seconds = DYNAMODB.read_seconds
        model.Meta.max_retry_attempts = DYNAMODB.attempts - 1  # PynamoDB counts the retries
        # PynamoDB caches the connection per model class; drop it so the new binding applies.
        model._connection = None
