"""Translation between domain objects and PynamoDB models."""

from __future__ import annotations

import zlib
from datetime import UTC, date, datetime
from typing import Any

from pynamodb.attributes import MapAttribute

from chalicelib import observability
from chalicelib.adapters.dynamo.case_model import (
    WAKE_SHARDS,
    CaseModel,
    ClockRunAttr,
    ContactAttr,
    CustomerWaitAttr,
    PaymentAttr,
    PolicyAttr,
    ScheduleAttr,
    SecondReviewAttr,
    TargetAttr,
)
from chalicelib.adapters.dynamo.models import OUTBOX_SHARDS, OutboxModel, TimelineModel
from chalicelib.domain.case import (
    Case,
    CustomerWait,
    SecondReview,
    Status,
    TimelineEntry,
    Visibility,
)
from chalicelib.domain.clocks import ClockRun
from chalicelib.domain.complaint import PaymentRef, order_ref
from chalicelib.domain.contact import Contact, contact_key
from chalicelib.domain.incident import OUTCOME_STATUSES
from chalicelib.domain.outbox import (
    EventKind,
    OutboxEvent,
    Subject,
    payload_from_dict,
    payload_to_dict,
)
from chalicelib.domain.policy import REGULATORY_DAYS, Category, Deadlines, SlaPolicy, Target
from chalicelib.domain.proposal import Installment, Proposal, ProposalStatus
from chalicelib.domain.schedule import ScheduleState
from chalicelib.domain.timefmt import parse_rfc3339, to_rfc3339

OPEN_QUEUE = "open"


def shard(value: str, shards: int, prefix: str) -> str:
    return f"{prefix}{zlib.crc32(value.encode()) % shards}"


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def incident_state(case: Case) -> str:
    """The incident index's sort key: cases still waiting for an outcome sort under `open#`."""
    done = case.status in OUTCOME_STATUSES
    return f"{'done' if done else 'open'}#{case.case_id}"


def case_to_model(case: Case) -> CaseModel:
    contact = case.contact
    payment = case.payment
    sched = case.schedule
    model = CaseModel(
        case.case_id,
        case_number=case.case_number,
        category=case.category.value,
        status=case.status.value,
        description=case.description,
        channel=case.channel,
        contact=ContactAttr(
            phone=contact.phone,
            email=contact.email,
            language=contact.language,
            channels=list(contact.channels),
            sms_opt_out=contact.sms_opt_out,
        ),
        payment=PaymentAttr(
            transaction_id=payment.transaction_id,
            merchant_id=payment.merchant_id,
            order_id=payment.order_id,
            amount_fen=payment.amount_fen,
            currency=payment.currency,
            paid_at=payment.paid_at,
        )
        if payment
        else None,
        merchant_id=case.merchant_id,
        created_at=case.created_at,
        updated_at=case.updated_at,
        first_response_due=case.deadlines.first_response_due,
        resolution_due=case.deadlines.resolution_due,
        regulatory_due=case.deadlines.regulatory_due,
        deadlines_provisional=case.deadlines.provisional,
        policy_version=case.policy_version,
        access_token_hash=case.access_token_hash,
        assignee=case.assignee,
        sla_fired=set(case.sla_fired) or None,
        schedule=ScheduleAttr(
            epoch=sched.epoch,
            gen=sched.gen,
            gen_epoch=sched.gen_epoch,
            live_at=sched.live_at,
            timer=sched.timer,
            due_at=sched.due_at,
        ),
        last_public_update_at=case.last_public_update_at,
        resolved_at=case.resolved_at,
        accepted_at=case.accepted_at,
        closed_at=case.closed_at,
        waiting=CustomerWaitAttr(
            since=case.waiting.since,
            remind_at=case.waiting.remind_at,
            close_at=case.waiting.close_at,
            request=case.waiting.request,
        )
        if case.waiting
        else None,
        round=case.round,
        handlers=set(case.handlers) or None,
        proposal=proposal_to_map(case.proposal),
        second_review=SecondReviewAttr(
            opened_at=case.second_review.opened_at,
            reason=case.second_review.reason,
            first_response_due=case.second_review.first_response_due,
            resolution_due=case.second_review.resolution_due,
            first_response_at=case.second_review.first_response_at,
        )
        if case.second_review
        else None,
        rating=case.rating,
        due_at=case.due_at,
        at_risk_at=case.at_risk_at,
        policy=_policy_attr(case.policy),
        resolution_run=_run_attr(case.resolution_run),
        merchant_run=_run_attr(case.merchant_run),
        regulatory_days=case.regulatory_days,
        messages_due_at=case.messages_due_at,
        incident_id=case.incident_id,
        incident_title=case.incident_title,
        incident_state=incident_state(case) if case.incident_id else None,
        contact_key=contact_key(case.contact),
        transaction_id=case.payment.transaction_id if case.payment else None,
        order_ref=_order_ref(case.payment),
    )
    # Open cases sort by urgency; final ones by when they ended.
    ordered_by = case.due_at if case.is_open else (case.closed_at or case.updated_at)
    model.due_key = f"{to_rfc3339(ordered_by or case.created_at)}#{case.case_id}"
    if case.is_open:  # a finished case drops out of the staff queue's indexes
        model.queue = OPEN_QUEUE
        model.open_assignee = case.assignee
        model.open_merchant = case.merchant_id
        model.open_category = case.category.value
    if sched.live_at is not None and (case.is_open or case.messages_due_at is not None):
        model.wake_shard = shard(case.case_id, WAKE_SHARDS, "w")
        model.wake_at = sched.live_at
    return model


def case_from_model(model: CaseModel) -> Case:
    c, p, s = model.contact, model.payment, model.schedule
    return Case(
        case_id=model.case_id,
        case_number=model.case_number,
        category=Category(model.category),
        status=Status(model.status),
        description=model.description,
        channel=model.channel,
        contact=Contact(
            phone=c.phone,
            email=c.email,
            language=c.language,
            channels=tuple(str(channel) for channel in c.channels or ()),
            sms_opt_out=bool(c.sms_opt_out),
        ),
        payment=PaymentRef(
            transaction_id=p.transaction_id,
            merchant_id=p.merchant_id,
            order_id=p.order_id,
            amount_fen=int(p.amount_fen) if p.amount_fen is not None else None,
            currency=p.currency or "CNY",
            paid_at=_utc(p.paid_at),
        )
        if p is not None
        else None,
        created_at=model.created_at,
        updated_at=model.updated_at,
        deadlines=Deadlines(
            first_response_due=model.first_response_due,
            resolution_due=model.resolution_due,
            regulatory_due=model.regulatory_due,
            provisional=bool(model.deadlines_provisional),
        ),
        policy_version=int(model.policy_version),
        access_token_hash=model.access_token_hash,
        version=int(model.version or 0),
        assignee=model.assignee,
        sla_fired=frozenset(model.sla_fired or ()),
        schedule=ScheduleState(
            epoch=int(s.epoch),
            gen=int(s.gen),
            gen_epoch=int(s.gen_epoch),
            live_at=s.live_at,
            timer=s.timer,
            due_at=s.due_at,
        ),
        last_public_update_at=model.last_public_update_at,
        resolved_at=model.resolved_at,
        accepted_at=model.accepted_at,
        closed_at=model.closed_at,
        waiting=CustomerWait(
            since=model.waiting.since,
            remind_at=model.waiting.remind_at,
            close_at=model.waiting.close_at,
            request=model.waiting.request or "",
        )
        if model.waiting is not None
        else None,
        round=int(model.round or 1),
        handlers=frozenset(model.handlers or ()),
        proposal=proposal_from_map(plain(model.proposal)) if model.proposal is not None else None,
        second_review=SecondReview(
            opened_at=model.second_review.opened_at,
            reason=model.second_review.reason or "",
            first_response_due=model.second_review.first_response_due,
            resolution_due=model.second_review.resolution_due,
            first_response_at=model.second_review.first_response_at,
        )
        if model.second_review is not None
        else None,
        rating=int(model.rating) if model.rating is not None else None,
        due_at=model.due_at,
        at_risk_at=model.at_risk_at,
        policy=_policy(model.policy),
        resolution_run=_run(model.resolution_run),
        merchant_run=_run(model.merchant_run),
        regulatory_days=int(model.regulatory_days or REGULATORY_DAYS),
        messages_due_at=model.messages_due_at,
        incident_id=model.incident_id,
        incident_title=model.incident_title,
    )


def _run_attr(run: ClockRun | None) -> ClockRunAttr | None:
    if run is None:
        return None
    return ClockRunAttr(budget=run.budget, used=run.used, since=run.since)


def _run(attr: ClockRunAttr | None) -> ClockRun | None:
    if attr is None:
        return None
    return ClockRun(float(attr.budget), float(attr.used or 0), attr.since)


def _target_attr(target: Target) -> TargetAttr:
    return TargetAttr(days=target.days, hours=target.hours)


def _target(attr: TargetAttr) -> Target:
    hours = float(attr.hours or 0)
    return Target(days=int(attr.days or 0), hours=int(hours) if hours.is_integer() else hours)


def _policy_attr(policy: SlaPolicy | None) -> PolicyAttr | None:
    if policy is None:
        return None
    return PolicyAttr(
        category=policy.category.value,
        version=policy.version,
        first_response=_target_attr(policy.first_response),
        resolution=_target_attr(policy.resolution),
    )


def _policy(attr: PolicyAttr | None) -> SlaPolicy | None:
    if attr is None:
        return None
    return SlaPolicy(
        Category(attr.category),
        _target(attr.first_response),
        _target(attr.resolution),
        int(attr.version),
    )


def proposal_to_map(proposal: Proposal | None) -> dict[str, Any] | None:
    if proposal is None:
        return None
    return {
        **proposal.public(),
        "made_by": proposal.made_by,
        "made_at": to_rfc3339(proposal.made_at),
        "answered_at": to_rfc3339(proposal.answered_at) if proposal.answered_at else None,
        "answer_reason": proposal.answer_reason,
    }


def proposal_from_map(data: dict[str, Any]) -> Proposal:
    answered = data.get("answered_at")
    return Proposal(
        proposal_id=data["proposal_id"],
        round=int(data["round"]),
        kind=data["kind"],
        text=data["text"],
        made_by=data["made_by"],
        made_at=parse_rfc3339(data["made_at"]),
        also=tuple(data.get("also") or ()),
        amount_fen=data.get("amount_fen"),
        installments=tuple(
            Installment(date.fromisoformat(i["due_date"]), int(i["amount_fen"]))
            for i in data.get("installments") or ()
        ),
        status=ProposalStatus(data["status"]),
        answered_at=parse_rfc3339(answered) if answered else None,
        answer_reason=data.get("answer_reason"),
    )


def entry_to_model(entry: TimelineEntry) -> TimelineModel:
    return TimelineModel(
        entry.case_id,
        entry.entry_id,
        at=entry.at,
        type=entry.type,
        actor=entry.actor,
        visibility=entry.visibility.value,
        text=entry.text,
        data=dict(entry.data),
    )


def entry_from_model(model: TimelineModel) -> TimelineEntry:
    return TimelineEntry(
        case_id=model.case_id,
        entry_id=model.entry_id,
        at=model.at,
        type=model.type,
        actor=model.actor,
        visibility=Visibility(model.visibility),
        text=model.text,
        data=plain(model.data),
    )


def event_to_model(event: OutboxEvent) -> OutboxModel:
    subject = event.subject.key  # the table's partition key is named case_id
    return OutboxModel(
        subject,
        event.event_id,
        kind=event.kind.value,
        name=event.name,
        payload=payload_to_dict(event),
        created_at=event.created_at,
        due_at=event.created_at,
        pending_shard=shard(f"{subject}:{event.event_id}", OUTBOX_SHARDS, "p"),
        # The change's own request, or the event whose consumer made the change.
        correlation_id=event.correlation_id or observability.correlation_id(),
    )


def event_from_model(model: OutboxModel) -> OutboxEvent:
    kind = EventKind.read(model.kind)
    return OutboxEvent(
        subject=Subject.parse(model.case_id),
        event_id=model.event_id,
        kind=kind,
        name=model.name,
        payload=payload_from_dict(kind, plain(model.payload)),
        created_at=model.created_at,
        attempts=int(model.attempts or 0),
        last_error=model.last_error,
        correlation_id=model.correlation_id,
    )


def plain(value: Any) -> Any:
    """A raw MapAttribute (or nested value) as plain dicts, lists and numbers."""
    if isinstance(value, MapAttribute):
        return {k: plain(v) for k, v in value.as_dict().items()}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _order_ref(payment: PaymentRef | None) -> str | None:
    """How a payment event finds a case that names its order but not its transaction."""
    if payment is None or payment.transaction_id or not (payment.merchant_id and payment.order_id):
        return None
    return order_ref(payment.merchant_id, payment.order_id)
