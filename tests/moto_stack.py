"""moto's in-process AWS for the adapter and API tiers.

One moto for the test session, provisioned once; before each test its state is put back to the
just-provisioned snapshot in memory (tables, schedules, sent SMS and email). Nothing is scanned
or deleted through the API, and no table carries another test's items or stream records: moto
copies each table a transaction touches, so a table that kept growing across tests made every
transaction slower and the process larger.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from chalicelib import wiring
from chalicelib.adapters.dynamo.models import MODELS
from chalicelib.domain.clock import Clock
from chalicelib.settings import Settings
from devstack import moto_speed
from devstack.bootstrap import provision

moto_speed.apply()


def _one_request_at_a_time() -> None:
    """moto's in-process backends are not thread-safe: a transaction copies each table it
    touches (to roll back), and another thread writing meanwhile breaks the copy ("dictionary
    changed size during iteration"). The outbox consumer sends a batch's cases on 8 threads,
    as in AWS, where DynamoDB serializes conflicting writes itself; here one lock does."""
    import threading

    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.process_request
    if getattr(original, "one_at_a_time", False):
        return
    lock = threading.RLock()

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with lock:
            return original(self, request)

    process_request.one_at_a_time = True  # type: ignore[attr-defined]
    BotocoreStubber.process_request = process_request  # type: ignore[method-assign]


_one_request_at_a_time()

# Adapters hold only a client; tests share them and get a fresh clock and services each time.
SHARED = (
    "dynamodb",
    "store",
    "notifications",
    "staff_directory",
    "merchant_directory",
    "metrics_store",
    "scheduler",
    "sms",
    "email",
    "evidence_files",
    "evidence_storage",
)


class MotoState:
    """The provisioned state of moto's backends, and how to return to it."""

    def __init__(self, region: str) -> None:
        from moto.dynamodb.models import dynamodb_backends

        self._region = region
        self._dynamodb = dynamodb_backends[DEFAULT_ACCOUNT_ID][region]
        self._tables = copy.deepcopy(self._dynamodb.tables)

    def restore(self) -> None:
        from moto.scheduler.models import scheduler_backends
        from moto.ses.models import ses_backends
        from moto.sns.models import sns_backends
        from moto.sqs.models import sqs_backends

        self._dynamodb.tables = copy.deepcopy(self._tables)
        sns = sns_backends[DEFAULT_ACCOUNT_ID][self._region]
        sns.sms_messages.clear()
        sns.sms_message_objects.clear()
        ses = ses_backends[DEFAULT_ACCOUNT_ID][self._region]
        ses.sent_messages.clear()
        ses.sent_message_count = 0
        for group in scheduler_backends[DEFAULT_ACCOUNT_ID][self._region].schedule_groups.values():
            group.schedules.clear()
        sqs_backends[DEFAULT_ACCOUNT_ID][self._region].queues.clear()
        from moto.s3.models import _VersionedKeyStore, s3_backends

        for bucket in s3_backends[DEFAULT_ACCOUNT_ID]["aws"].buckets.values():
            bucket.keys = _VersionedKeyStore()


@contextmanager
def moto_stack() -> Iterator[tuple[wiring.Container, MotoState]]:
    with mock_aws():
        base = wiring.Container(Settings.from_env())
        provision(base)
        yield base, MotoState(base.settings.region)


def container_on(base: wiring.Container, clock: Clock, **overrides: Any) -> wiring.Container:
    """A container with a fresh clock and services on `base`'s adapters (and their clients)."""
    shared = {name: getattr(base, name) for name in SHARED if name not in overrides}
    return wiring.Container(base.settings, clock=clock, **shared, **overrides)


def emptied_container(base: wiring.Container, clock: Clock, **overrides: Any) -> wiring.Container:
    """For a real engine (DynamoDB Local, moto's server): empty every table and schedule
    through the API, then build a container on the shared adapters."""
    for model in MODELS:
        for item in model.scan():
            item.delete(add_version_condition=False)
    scheduler = base.client("scheduler")
    group = base.settings.schedule_group
    for schedule in scheduler.list_schedules(GroupName=group)["Schedules"]:
        scheduler.delete_schedule(Name=schedule["Name"], GroupName=group)
    s3, bucket = base.client("s3"), base.settings.evidence_bucket
    for stored in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=stored["Key"])
    return container_on(base, clock, **overrides)
