"""The cases table: its model, the maps inside a case, and one class per index (the staff
queue's indexes list open cases only, most urgent first)."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

WAKE_SHARDS = 4


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


class IncidentIndex(GlobalSecondaryIndex["CaseModel"]):
    """An incident's linked cases; those still waiting for an outcome sort under `open#`."""

    class Meta:
        index_name = "by_incident"
        projection = KeysOnlyProjection()

    incident_id = UnicodeAttribute(hash_key=True)
    incident_state = UnicodeAttribute(range_key=True)


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
    incident_id = UnicodeAttribute(null=True)
    incident_title = UnicodeAttribute(null=True)
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
    incident_state = UnicodeAttribute(null=True)  # "open#<case id>" or "done#<case id>"

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
    incident_index = IncidentIndex()
