"""Settings, read once from the environment (`.chalice/config.json` stages set it in AWS)."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.domain.intake import IntakeLimits

LOCAL_STAGE = "local"
# Used only where no stream exists (local stage, tests); deployed stages get the real ARN from
# the CloudFormation template (infra/resources.json).
PLACEHOLDER_STREAM_ARN = (
    "arn:aws:dynamodb:ap-southeast-1:000000000000:table/paycase-outbox"
    "/stream/1970-01-01T00:00:00.000"
)


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    token_key: bytes
    dynamodb_endpoint: str | None = None
    aws_endpoint: str | None = None
    schedule_group: str = "default"
    schedule_target_arn: str = "arn:aws:lambda:ap-southeast-1:000000000000:function:sla_timer"
    schedule_role_arn: str = "arn:aws:iam::000000000000:role/paycase-scheduler"
    schedule_dlq_arn: str | None = None
    email_from: str = "PayCase <no-reply@paycase.example>"
    ses_configuration_set: str | None = None
    sms_sender_id: str | None = None
    clock_file: str | None = None
    business_hours: str = "09:00-18:00"
    kms_key_id: str | None = None
    local_secret_key: bytes | None = None
    # Shared with the payment platform: signs its webhook calls (none: every call is refused).
    webhook_secret: bytes | None = None
    # Where failed asynchronous invocations end up, for the sweeper to run again (none locally:
    # the local runner calls the handlers itself).
    failure_queue_urls: tuple[str, ...] = ()
    # Evidence files: their bucket, the key S3 encrypts them with (the stack's data key; none
    # locally), and whether GuardDuty scans them for malware (a file is available only once
    # its scan found nothing).
    evidence_bucket: str = "paycase-local-evidence"
    evidence_kms_key_id: str | None = None
    evidence_scanning: bool = False
    # Which phones get SMS, and what unverified intake may send one phone (README, Limits).
    intake: IntakeLimits = field(default_factory=IntakeLimits)

    @property
    def is_local(self) -> bool:
        return self.stage == LOCAL_STAGE

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = env.get("PAYCASE_STAGE", LOCAL_STAGE)
        prefix = env.get("PAYCASE_TABLE_PREFIX", f"paycase-{stage}-")
        return cls(
            stage=stage,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
            table_prefix=prefix,
            token_key=_key(env.get("PAYCASE_TOKEN_KEY"), "PAYCASE_TOKEN_KEY"),
            dynamodb_endpoint=env.get("PAYCASE_DYNAMODB_ENDPOINT") or None,
            aws_endpoint=env.get("PAYCASE_AWS_ENDPOINT") or None,
            schedule_group=env.get("PAYCASE_SCHEDULE_GROUP", f"paycase-{stage}"),
            schedule_target_arn=env.get("PAYCASE_SCHEDULE_TARGET_ARN", cls.schedule_target_arn),
            schedule_role_arn=env.get("PAYCASE_SCHEDULE_ROLE_ARN", cls.schedule_role_arn),
            schedule_dlq_arn=env.get("PAYCASE_SCHEDULE_DLQ_ARN") or None,
            email_from=env.get("PAYCASE_EMAIL_FROM", cls.email_from),
            ses_configuration_set=env.get("PAYCASE_SES_CONFIGURATION_SET") or None,
            sms_sender_id=env.get("PAYCASE_SMS_SENDER_ID") or None,
            clock_file=env.get("PAYCASE_CLOCK_FILE") if stage == LOCAL_STAGE else None,
            business_hours=env.get("PAYCASE_BUSINESS_HOURS", cls.business_hours),
            kms_key_id=env.get("PAYCASE_KMS_KEY_ID") or None,
            local_secret_key=(
                _key(env["PAYCASE_LOCAL_SECRET_KEY"], "PAYCASE_LOCAL_SECRET_KEY")
                if env.get("PAYCASE_LOCAL_SECRET_KEY")
                else None
            ),
            webhook_secret=(env.get("PAYCASE_WEBHOOK_SECRET") or "").encode() or None,
            evidence_bucket=env.get("PAYCASE_EVIDENCE_BUCKET") or _bucket_name(prefix, "evidence"),
            evidence_kms_key_id=env.get("PAYCASE_EVIDENCE_KMS_KEY_ID") or None,
            evidence_scanning=env.get("PAYCASE_EVIDENCE_SCANNING", "").lower() == "true",
            failure_queue_urls=tuple(
                url for url in (env.get("PAYCASE_FAILURE_QUEUE_URLS") or "").split(",") if url
            ),
            intake=intake_limits(env),
        )


def _bucket_name(prefix: str, name: str) -> str:
    """A bucket named like the tables (two local stacks on one moto keep apart by their table
    prefix), in the characters a bucket name may hold."""
    raw = f"{prefix}{name}".lower()
    return re.sub(r"[^a-z0-9.-]+", "-", raw).strip("-.")[:63]


def intake_limits(env: Mapping[str, str]) -> IntakeLimits:
    """PAYCASE_SMS_COUNTRIES (calling codes, comma-separated: `86,852`),
    PAYCASE_INTAKE_SMS_PER_PHONE, PAYCASE_INTAKE_COMPLAINTS_PER_PHONE,
    PAYCASE_INTAKE_WINDOW_HOURS and PAYCASE_MERCHANT_DIGEST_AFTER; unset, the defaults."""
    default = IntakeLimits()
    countries = tuple(
        c.strip().lstrip("+") for c in (env.get("PAYCASE_SMS_COUNTRIES") or "").split(",")
    )
    try:
        return IntakeLimits(
            sms_countries=tuple(c for c in countries if c) or default.sms_countries,
            sms_per_phone=_int(env, "PAYCASE_INTAKE_SMS_PER_PHONE", default.sms_per_phone),
            complaints_per_phone=_int(
                env, "PAYCASE_INTAKE_COMPLAINTS_PER_PHONE", default.complaints_per_phone
            ),
            window=timedelta(
                hours=_int(
                    env, "PAYCASE_INTAKE_WINDOW_HOURS", int(default.window / timedelta(hours=1))
                )
            ),
            merchant_digest_after=_int(
                env, "PAYCASE_MERCHANT_DIGEST_AFTER", default.merchant_digest_after
            ),
        )
    except ValueError as exc:
        raise SettingsError(f"intake limits: {exc}") from exc


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, not {raw!r}") from None


def _key(raw: str | None, name: str) -> bytes:
    """A server key given as base64 of at least 32 bytes."""
    if not raw:
        raise SettingsError(f"{name} is not set (see README, Configuration)")
    try:
        key = base64.b64decode(raw, validate=True)
    except ValueError as exc:
        raise SettingsError(f"{name} must be base64") from exc
    if len(key) < 32:
        raise SettingsError(f"{name} must hold at least 32 bytes")
    return key
