"""The composition root: builds every service once, lazily, on the adapters of
chalicelib/infrastructure.py and chalicelib/wiring_core.py, from Settings.

Nothing here runs at import. Tests and the local runner build their own Container (with fakes or
an observer) and install it with `use()`.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from chalicelib.settings import Settings
from chalicelib.wiring_core import CoreParts

if TYPE_CHECKING:
    from chalicelib.services.access import CustomerAccess
    from chalicelib.services.audit import AuditTrail
    from chalicelib.services.cases import CustomerCases
    from chalicelib.services.complaints import ComplaintService
    from chalicelib.services.desk import Desk
    from chalicelib.services.digests import MerchantDigests
    from chalicelib.services.evidence import EvidenceService
    from chalicelib.services.evidence_audit import DownloadAudit
    from chalicelib.services.failed_events import FailedEvents
    from chalicelib.services.failures import FailureRedrive
    from chalicelib.services.inbound import Inbound
    from chalicelib.services.incident_records import IncidentRecords
    from chalicelib.services.incident_work import IncidentWork
    from chalicelib.services.incidents import Incidents
    from chalicelib.services.merchant_desk import MerchantDesk
    from chalicelib.services.merchants import MerchantService
    from chalicelib.services.outbox import OutboxConsumer
    from chalicelib.services.payments import PaymentEffects, PaymentEvents
    from chalicelib.services.ports import (
        FailureQueue,
    )
    from chalicelib.services.schedules import ScheduleSync
    from chalicelib.services.search import CaseSearch
    from chalicelib.services.sessions import Sessions
    from chalicelib.services.signatures import MerchantSignatures, WebhookSignatures
    from chalicelib.services.sla_admin import (
        CalendarAdmin,
        DeadlinePreview,
        PolicyAdmin,
        Recompute,
    )
    from chalicelib.services.staff import StaffService


class Container(CoreParts):
    """Everything the handlers call: the use cases, on the infrastructure's adapters."""

    # -- use cases -------------------------------------------------------------------------------

    @cached_property
    def complaints(self) -> ComplaintService:
        from chalicelib.services.complaints import ComplaintService

        return ComplaintService(
            self.store,
            self.clock,
            self.config,
            self.settings.token_key,
            incidents=self.incident_records.open_directory,
            limits=self.settings.intake,
            pause=self.pause,
        )

    @cached_property
    def cases(self) -> CustomerCases:
        from chalicelib.services.cases import CustomerCases

        return CustomerCases(
            self.writer,
            self.store,
            self.clock,
            self.settings.token_key,
            self.settings.intake.sms_countries,
        )

    @cached_property
    def customer_access(self) -> CustomerAccess:
        from chalicelib.services.access import CustomerAccess

        return CustomerAccess(self.store, self.sessions, self.clock)

    @cached_property
    def desk(self) -> Desk:
        from chalicelib.services.desk import Desk

        return Desk(
            self.writer,
            self.store,
            self.staff_directory,
            self.clock,
            self.settings.token_key,
            self.audit,
        )

    @cached_property
    def audit(self) -> AuditTrail:
        from chalicelib.services.audit import AuditTrail

        return AuditTrail(self.store, self.audit_log, self.clock, self.settings.token_key)

    @cached_property
    def search(self) -> CaseSearch:
        from chalicelib.services.search import CaseSearch, SearchKeys, search_key

        keys = SearchKeys(search_key(self.settings.token_key))
        return CaseSearch(
            self.store, self.store, self.search_index, self.clock, keys, self.desk.summaries
        )

    @cached_property
    def sessions(self) -> Sessions:
        from chalicelib.services.sessions import Sessions

        return Sessions(
            self.store,
            self.clock,
            self.settings.token_key,
            self.code_box,
            self.settings.intake.sms_countries,
        )

    @cached_property
    def policy_admin(self) -> PolicyAdmin:
        from chalicelib.services.sla_admin import PolicyAdmin

        return PolicyAdmin(self.config, self.store, self.clock)

    @cached_property
    def calendar_admin(self) -> CalendarAdmin:
        from chalicelib.services.sla_admin import CalendarAdmin

        return CalendarAdmin(self.config, self.store, self.clock)

    @cached_property
    def deadline_preview(self) -> DeadlinePreview:
        from chalicelib.services.sla_admin import DeadlinePreview

        return DeadlinePreview(self.config, self.clock)

    @cached_property
    def recompute(self) -> Recompute:
        from chalicelib.services.sla_admin import Recompute

        return Recompute(self.writer, self.store, self.clock, self.config)

    @cached_property
    def inbound(self) -> Inbound:
        from chalicelib.services.inbound import Inbound

        return Inbound(self.store, self.writer, self.clock)

    @cached_property
    def failed_events(self) -> FailedEvents:
        from chalicelib.services.failed_events import FailedEvents

        return FailedEvents(self.outbox, self.settings.token_key)

    @cached_property
    def failures(self) -> FailureRedrive:
        """The failure queues of the asynchronous functions, and what runs each again."""
        from chalicelib import handlers
        from chalicelib.adapters.queues import SqsFailureQueue
        from chalicelib.services.failures import FailureRedrive

        queues: list[FailureQueue] = [
            SqsFailureQueue(self.client("sqs"), url) for url in self.settings.failure_queue_urls
        ]
        return FailureRedrive(
            queues,
            {
                "sla_timer": handlers.sla_timer,
                "inbound_sms": handlers.inbound_sms,
                "ses_events": handlers.ses_events,
                "sms_receipts": handlers.sms_receipts,
            },
        )

    @cached_property
    def digests(self) -> MerchantDigests:
        from chalicelib.services.digests import MerchantDigests

        after = self.settings.intake.merchant_digest_after
        return MerchantDigests(self.store, self.dispatcher.handle, self.clock, after)

    @cached_property
    def schedule_sync(self) -> ScheduleSync:
        from chalicelib.services.schedules import ScheduleSync

        return ScheduleSync(self.store, self.scheduler, self.clock, self.timers.fire)

    @cached_property
    def outbox(self) -> OutboxConsumer:
        from chalicelib.domain.outbox import EventKind
        from chalicelib.services.outbox import OutboxConsumer, finishes

        # One consumer per kind of event. The ones behind a lambda are built on their first
        # event (the payment ledger and the recompute load nothing at cold start).
        consumers = {
            EventKind.NOTIFY: lambda e: self.digests.handle(e),
            EventKind.SEND_HELD: lambda e: self.dispatcher.send_held(e),
            EventKind.SCHEDULE: finishes(lambda e: self.schedule_sync.handle(e)),
            EventKind.METRICS: finishes(lambda e: self.metrics.handle(e)),
            EventKind.MAINTENANCE: finishes(lambda e: self.recompute.handle(e)),
            EventKind.PAYMENT: finishes(lambda e: self.payment_effects.handle(e)),
            EventKind.INCIDENT: finishes(lambda e: self.incident_work.handle(e)),
        }
        return OutboxConsumer(self.store, self.clock, consumers)

    @cached_property
    def incident_records(self) -> IncidentRecords:
        from chalicelib.services.incident_records import IncidentRecords

        return IncidentRecords(self.store)

    @cached_property
    def incident_work(self) -> IncidentWork:
        from chalicelib.services.incident_work import IncidentWork

        return IncidentWork(self.store, self.incident_records, self.writer, self.clock)

    @cached_property
    def incidents(self) -> Incidents:
        from chalicelib.services.incidents import Incidents

        return Incidents(
            self.store,
            self.incident_records,
            self.incident_work,
            self.writer,
            self.replays,
            self.clock,
            self.settings.token_key,
            read_cases=self.search_index.cases,
            summaries=self.desk.summaries,
        )

    @cached_property
    def staff(self) -> StaffService:
        from chalicelib.services.staff import StaffService

        return StaffService(self.staff_directory, self.store, self.clock, self.settings.token_key)

    @cached_property
    def merchants(self) -> MerchantService:
        from chalicelib.services.merchants import MerchantService

        return MerchantService(
            self.store, self.secret_box, self.clock, self.merchant_directory, self.wall_clock
        )

    @cached_property
    def merchant_signatures(self) -> MerchantSignatures:
        from chalicelib.services.signatures import MerchantSignatures

        return MerchantSignatures(
            self.merchant_directory, self.merchants, self.store, self.wall_clock
        )

    @cached_property
    def webhook_signatures(self) -> WebhookSignatures:
        from chalicelib.services.signatures import WebhookSignatures

        return WebhookSignatures(self.settings.webhook_secret, self.wall_clock)

    @cached_property
    def payment_events(self) -> PaymentEvents:
        from chalicelib.services.payments import PaymentEvents

        return PaymentEvents(self.store, self.payments, self.webhook_signatures, self.clock)

    @cached_property
    def payment_effects(self) -> PaymentEffects:
        from chalicelib.services.payments import PaymentEffects

        def merchant_name(merchant_id: str) -> str | None:
            merchant = self.merchant_directory.get(merchant_id)
            return merchant.name if merchant else None

        return PaymentEffects(self.store, self.payments, self.writer, self.clock, merchant_name)

    @cached_property
    def merchant_desk(self) -> MerchantDesk:
        from chalicelib.services.merchant_desk import MerchantDesk

        return MerchantDesk(
            self.store,
            self.payments,
            self.complaints,
            self.writer,
            self.clock,
            self.settings.token_key,
        )

    @cached_property
    def evidence(self) -> EvidenceService:
        from chalicelib.services.evidence import EvidenceService

        return EvidenceService(
            self.writer,
            self.evidence_files,
            self.evidence_storage,
            self.download_audit,
            self.clock,
            self.settings.token_key,
            scanning=self.settings.evidence_scanning,
        )

    @cached_property
    def download_audit(self) -> DownloadAudit:
        """Where staff downloads of evidence are recorded: the case's internal timeline and
        the audit trail."""
        from chalicelib.services.evidence_audit import AuditedDownloads

        return AuditedDownloads(self.store, self.clock)


_container: Container | None = None


def container() -> Container:
    """The process's container, built from the environment on first use."""
    global _container
    if _container is None:
        _container = Container(Settings.from_env())
    return _container


def use(replacement: Container | None) -> None:
    """Install a container (tests, the local runner); None rebuilds from the environment."""
    global _container
    _container = replacement
