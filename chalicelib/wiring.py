"""The composition root: builds every adapter and service once, lazily, from Settings.

Nothing here runs at import. Tests and the local runner build their own Container (with fakes or
an observer) and install it with `use()`.
"""

from __future__ import annotations

import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

from chalicelib.settings import Settings

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.connection import Connection

    from chalicelib.adapters.clock import OffsetFileClock
    from chalicelib.adapters.dynamo.notifications import DynamoNotificationLog
    from chalicelib.domain.calendar import WorkingCalendar
    from chalicelib.domain.clock import Clock
    from chalicelib.services.access import CustomerAccess
    from chalicelib.services.cases import CustomerCases
    from chalicelib.services.complaints import ComplaintService
    from chalicelib.services.config import DeskConfig
    from chalicelib.services.deliveries import DeliveryLog
    from chalicelib.services.desk import Desk
    from chalicelib.services.failed_events import FailedEvents
    from chalicelib.services.failures import FailureRedrive
    from chalicelib.services.holding import HeldMessages
    from chalicelib.services.idempotency import Replays
    from chalicelib.services.inbound import Inbound
    from chalicelib.services.merchant_desk import MerchantDesk
    from chalicelib.services.merchants import MerchantService
    from chalicelib.services.metrics import DeliveryCounts, MetricsRecorder, MetricsReport
    from chalicelib.services.notify import Dispatcher
    from chalicelib.services.outbox import OutboxConsumer
    from chalicelib.services.payments import PaymentEffects, PaymentEvents
    from chalicelib.services.ports import (
        DeskStore,
        EmailSender,
        FailureQueue,
        MerchantDirectory,
        MetricsStore,
        NotificationLog,
        PaymentStore,
        Scheduler,
        SecretBox,
        SmsSender,
        StaffDirectory,
    )
    from chalicelib.services.receipts import Receipts
    from chalicelib.services.recipients import Recipients
    from chalicelib.services.schedules import ScheduleSync
    from chalicelib.services.sending import Sender, SentObserver
    from chalicelib.services.sessions import Sessions
    from chalicelib.services.signatures import MerchantSignatures, WebhookSignatures
    from chalicelib.services.sla_admin import (
        CalendarAdmin,
        DeadlinePreview,
        PolicyAdmin,
        Recompute,
    )
    from chalicelib.services.staff import StaffService
    from chalicelib.services.steps import StepWriter
    from chalicelib.services.timers import TimerService


class Parts(TypedDict, total=False):
    """What a Container may be given instead of building it (tests, benchmarks, the local
    runner): each name is one of its parts, with that part's type."""

    store: DeskStore
    notifications: NotificationLog
    staff_directory: StaffDirectory
    merchant_directory: MerchantDirectory
    metrics_store: MetricsStore
    scheduler: Scheduler
    sms: SmsSender
    email: EmailSender
    dynamodb: Connection
    payments: PaymentStore
    pause: Callable[[float], None]
    failures: FailureRedrive


class Container:
    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        observer: SentObserver | None = None,
        **parts: Unpack[Parts],
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._observer = observer
        self._clients: dict[str, Any] = {}
        # Tests replace single adapters (e.g. `sms=FakeSms()`) by name; a name that is not a
        # part fails here instead of silently building the real adapter.
        for name, value in parts.items():
            if name not in Parts.__annotations__:
                raise TypeError(f"Container has no part named {name!r}")
            self.__dict__[name] = value

    # -- time and calendar -----------------------------------------------------------------------

    @cached_property
    def clock(self) -> Clock:
        if self._clock is not None:
            return self._clock
        if self.settings.clock_file:
            return self.test_clock
        from chalicelib.adapters.clock import SystemClock

        return SystemClock()

    @cached_property
    def wall_clock(self) -> Clock:
        """Real time, even in the local stage: a signature's freshness is about how long ago it
        was made, not about the application clock a tester moved."""
        from chalicelib.adapters.clock import SystemClock

        return SystemClock()

    @cached_property
    def test_clock(self) -> OffsetFileClock:
        """The movable clock of the local stage (GET/POST /v1/dev/clock)."""
        from chalicelib.adapters.clock import OffsetFileClock

        if not self.settings.clock_file:
            raise RuntimeError("the test clock exists only in the local stage")
        return OffsetFileClock(self.settings.clock_file)

    @property
    def calendar(self) -> WorkingCalendar:
        """The current calendar: shipped official years, and years staff loaded."""
        return self.config.calendar()

    @cached_property
    def config(self) -> DeskConfig:
        from chalicelib.domain.calendar import BusinessHours
        from chalicelib.services.config import DeskConfig

        hours = BusinessHours.parse(self.settings.business_hours)
        return DeskConfig(self.store, self.clock, hours)

    # -- AWS -------------------------------------------------------------------------------------

    @cached_property
    def dynamodb(self) -> Connection:
        from pynamodb.connection import Connection

        from chalicelib.adapters.dynamo.models import bind

        # Both libraries log routine set-up at INFO, which `chalice local` would print per request.
        logging.getLogger("pynamodb.settings").setLevel(logging.WARNING)
        logging.getLogger("botocore.credentials").setLevel(logging.WARNING)

        from chalicelib.adapters.deadlines import DYNAMODB

        s = self.settings
        bind(s.table_prefix, s.region, s.dynamodb_endpoint)
        return Connection(
            region=s.region,
            host=s.dynamodb_endpoint,
            connect_timeout_seconds=DYNAMODB.connect_seconds,
            read_timeout_seconds=DYNAMODB.read_seconds,
            max_retry_attempts=DYNAMODB.attempts - 1,  # PynamoDB counts the retries
        )

    def client(self, service: str) -> Any:
        """A boto3 client for `service`, made once per container (clients are thread-safe)."""
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            from chalicelib.adapters.deadlines import budget_for

            config = Config(**budget_for(service).botocore_config())
            self._clients[service] = boto3.session.Session().client(
                service,
                region_name=self.settings.region,
                endpoint_url=self.settings.aws_endpoint,
                config=config,
            )
        return self._clients[service]

    @cached_property
    def store(self) -> DeskStore:
        from chalicelib.adapters.dynamo.store import DynamoDeskStore

        return DynamoDeskStore(self.dynamodb)

    @cached_property
    def notifications(self) -> NotificationLog:
        return self._dynamo_notifications()

    def _dynamo_notifications(self) -> DynamoNotificationLog:
        from chalicelib.adapters.dynamo.notifications import DynamoNotificationLog

        _ = self.dynamodb  # binds the models
        return DynamoNotificationLog()

    @cached_property
    def staff_directory(self) -> StaffDirectory:
        from chalicelib.adapters.dynamo.staff import DynamoStaffDirectory

        _ = self.dynamodb  # binds the models
        return DynamoStaffDirectory()

    @cached_property
    def scheduler(self) -> Scheduler:
        from chalicelib.adapters.scheduler import EventBridgeScheduler

        s = self.settings
        return EventBridgeScheduler(
            self.client("scheduler"),
            group=s.schedule_group,
            target_arn=s.schedule_target_arn,
            role_arn=s.schedule_role_arn,
            dlq_arn=s.schedule_dlq_arn,
        )

    @cached_property
    def sms(self) -> SmsSender:
        from chalicelib.adapters.messaging import SnsSms

        sender = SnsSms(self.client("sns"), self.settings.sms_sender_id)
        return self._local_switch(sms=sender) or sender

    @cached_property
    def email(self) -> EmailSender:
        from chalicelib.adapters.messaging import SesEmail

        s = self.settings
        sender = SesEmail(self.client("sesv2"), s.email_from, s.ses_configuration_set)
        return self._local_switch(email=sender) or sender

    def _local_switch(self, sms: SmsSender | None = None, email: EmailSender | None = None) -> Any:
        """On the local stack (with its test clock), senders obey the fail-next-send switch."""
        if not self.settings.clock_file:
            return None
        from chalicelib.adapters.dev_failures import FailNextSend

        return FailNextSend(sms, email, self.store, self.clock)

    @cached_property
    def secret_box(self) -> SecretBox:
        s = self.settings
        if s.kms_key_id:
            from chalicelib.adapters.secrets import KmsSecretBox

            return KmsSecretBox(self.client("kms"), s.kms_key_id)
        if s.local_secret_key is None:
            raise RuntimeError("set PAYCASE_KMS_KEY_ID (AWS) or PAYCASE_LOCAL_SECRET_KEY (local)")
        from chalicelib.adapters.secrets import LocalSecretBox

        return LocalSecretBox(s.local_secret_key[:32])

    @cached_property
    def merchant_directory(self) -> MerchantDirectory:
        from chalicelib.adapters.dynamo.merchants import DynamoMerchantDirectory

        _ = self.dynamodb  # binds the models
        return DynamoMerchantDirectory()

    # -- use cases -------------------------------------------------------------------------------

    @cached_property
    def complaints(self) -> ComplaintService:
        from chalicelib.services.complaints import ComplaintService

        return ComplaintService(self.store, self.clock, self.config, self.settings.token_key)

    @cached_property
    def cases(self) -> CustomerCases:
        from chalicelib.services.cases import CustomerCases

        return CustomerCases(self.writer, self.store, self.clock, self.settings.token_key)

    @cached_property
    def customer_access(self) -> CustomerAccess:
        from chalicelib.services.access import CustomerAccess

        return CustomerAccess(self.store, self.sessions, self.clock)

    @cached_property
    def desk(self) -> Desk:
        from chalicelib.services.desk import Desk

        return Desk(
            self.writer, self.store, self.staff_directory, self.clock, self.settings.token_key
        )

    @cached_property
    def sessions(self) -> Sessions:
        from chalicelib.services.sessions import Sessions

        return Sessions(self.store, self.clock, self.settings.token_key, self.code_box)

    @cached_property
    def code_box(self) -> SecretBox:
        """Seals one-time codes on their way to the SMS sender, and idempotent answers that hold
        a secret (a key derived from the token key: no KMS call on those paths)."""
        import hashlib
        import hmac

        from chalicelib.adapters.secrets import LocalSecretBox

        derived = hmac.new(self.settings.token_key, b"one-time-codes", hashlib.sha256).digest()
        return LocalSecretBox(derived)

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
    def replays(self) -> Replays:
        from chalicelib.services.idempotency import Replays

        return Replays(self.store, self.clock, self.code_box)

    @cached_property
    def metrics_store(self) -> MetricsStore:
        from chalicelib.adapters.dynamo.metrics import DynamoMetricsStore

        return DynamoMetricsStore(self.dynamodb, self.clock.now)

    @cached_property
    def metrics(self) -> MetricsRecorder:
        from chalicelib.services.metrics import MetricsRecorder

        return MetricsRecorder(self.metrics_store, self.store)

    @cached_property
    def metrics_report(self) -> MetricsReport:
        from chalicelib.services.metrics import MetricsReport

        return MetricsReport(self.metrics_store, self.clock)

    @cached_property
    def writer(self) -> StepWriter:
        from chalicelib.services.steps import StepWriter

        return StepWriter(self.store, self.clock, self.config.calendar)

    @cached_property
    def timers(self) -> TimerService:
        from chalicelib.services.timers import TimerService

        return TimerService(self.store, self.clock, self.writer)

    @cached_property
    def recipients(self) -> Recipients:
        from chalicelib.services.recipients import Recipients

        return Recipients(self.store, self.staff_directory, self.merchant_directory, self.clock)

    @cached_property
    def delivery_counts(self) -> DeliveryCounts:
        from chalicelib.services.metrics import DeliveryCounts

        return DeliveryCounts(self.metrics_store, self.clock)

    @cached_property
    def sender(self) -> Sender:
        from chalicelib.notifications.render import TemplateRenderer
        from chalicelib.services.sending import Sender, ignore_sent

        return Sender(
            self.notifications,
            self.store,
            self.sms,
            self.email,
            TemplateRenderer(),
            self.code_box,
            self.recipients,
            self.delivery_counts,
            self.clock,
            self.pause,
            self._observer or ignore_sent,
        )

    @cached_property
    def held_messages(self) -> HeldMessages:
        from chalicelib.services.holding import HeldMessages

        return HeldMessages(self.notifications, self.writer)

    @cached_property
    def dispatcher(self) -> Dispatcher:
        from chalicelib.services.notify import Dispatcher

        return Dispatcher(
            self.recipients, self.notifications, self.sender, self.held_messages, self.clock
        )

    @cached_property
    def receipts(self) -> Receipts:
        from chalicelib.services.receipts import Receipts

        return Receipts(self.notifications, self.held_messages, self.delivery_counts, self.clock)

    @cached_property
    def pause(self) -> Callable[[float], None]:
        """How the dispatcher waits between quick retries; tests pass their clock's `advance`."""
        import time

        return time.sleep

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
            EventKind.NOTIFY: lambda e: self.dispatcher.handle(e),
            EventKind.SEND_HELD: lambda e: self.dispatcher.send_held(e),
            EventKind.SCHEDULE: finishes(lambda e: self.schedule_sync.handle(e)),
            EventKind.METRICS: finishes(lambda e: self.metrics.handle(e)),
            EventKind.MAINTENANCE: finishes(lambda e: self.recompute.handle(e)),
            EventKind.PAYMENT: finishes(lambda e: self.payment_effects.handle(e)),
        }
        return OutboxConsumer(self.store, self.clock, consumers)

    @cached_property
    def staff(self) -> StaffService:
        from chalicelib.services.staff import StaffService

        return StaffService(self.staff_directory, self.store, self.clock)

    @cached_property
    def merchants(self) -> MerchantService:
        from chalicelib.services.merchants import MerchantService

        return MerchantService(self.store, self.secret_box, self.clock)

    @cached_property
    def payments(self) -> PaymentStore:
        """The payment ledger's reads (one transaction of the desk store writes it, with the
        change it belongs to)."""
        from chalicelib.adapters.dynamo.payments import DynamoPaymentStore

        _ = self.dynamodb  # binds the models
        return DynamoPaymentStore()

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
    def deliveries(self) -> DeliveryLog:
        from chalicelib.services.deliveries import DeliveryLog

        return DeliveryLog(self.notifications, self.settings.token_key, self.store, self.clock)


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
