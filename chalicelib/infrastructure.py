"""The composition root's first half: time, the calendar, and every AWS adapter, built once and
lazily from Settings (chalicelib/wiring.py builds the use cases on them).

Nothing here runs at import: every import of an adapter or of botocore is inside the property
that builds it.
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
    from chalicelib.services.config import DeskConfig
    from chalicelib.services.desk_ports import AuditLog, EvidenceReads, EvidenceStorage, SearchIndex
    from chalicelib.services.failures import FailureRedrive
    from chalicelib.services.ports import (
        DeskStore,
        EmailSender,
        MerchantDirectory,
        MetricsStore,
        NotificationLog,
        PaymentStore,
        Scheduler,
        SecretBox,
        SmsSender,
        StaffDirectory,
    )
    from chalicelib.services.sending import SentObserver


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
    audit_log: AuditLog
    search_index: SearchIndex
    pause: Callable[[float], None]
    failures: FailureRedrive
    evidence_files: EvidenceReads
    evidence_storage: EvidenceStorage


class Infrastructure:
    """Time and the AWS adapters (the `Parts` a test may give instead)."""

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

        from chalicelib.adapters.deadlines import DYNAMODB, install

        install()  # before PynamoDB makes any client

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

            from chalicelib.adapters.deadlines import budget_for, install

            install()

            options = budget_for(service).botocore_config()
            if service == "s3":
                # SigV4 for presigned URLs (KMS-encrypted objects need it); path-style on a
                # local endpoint (moto's server on 127.0.0.1), virtual-hosted in AWS.
                options["signature_version"] = "s3v4"
                style = "path" if self.settings.aws_endpoint else "virtual"
                options["s3"] = {"addressing_style": style}
            config = Config(**options)
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

    @cached_property
    def payments(self) -> PaymentStore:
        """The payment ledger's reads (one transaction of the desk store writes it, with the
        change it belongs to)."""
        from chalicelib.adapters.dynamo.payments import DynamoPaymentStore

        _ = self.dynamodb  # binds the models
        return DynamoPaymentStore()

    @cached_property
    def evidence_files(self) -> EvidenceReads:
        from chalicelib.adapters.dynamo.evidence import DynamoEvidenceReads

        _ = self.dynamodb  # binds the models
        return DynamoEvidenceReads()

    @cached_property
    def evidence_storage(self) -> EvidenceStorage:
        from chalicelib.adapters.evidence_storage import S3EvidenceStorage

        s = self.settings
        return S3EvidenceStorage(self.client("s3"), s.evidence_bucket, s.evidence_kms_key_id)

    @cached_property
    def audit_log(self) -> AuditLog:
        """The audit trail's reads (entries are written by the desk store's transactions)."""
        from chalicelib.adapters.dynamo.audit import DynamoAuditLog

        _ = self.dynamodb  # binds the models
        return DynamoAuditLog()

    @cached_property
    def search_index(self) -> SearchIndex:
        """The staff search's reads (its index is written by the desk store's transactions)."""
        from chalicelib.adapters.dynamo.search import DynamoSearchIndex

        _ = self.dynamodb  # binds the models
        return DynamoSearchIndex()
