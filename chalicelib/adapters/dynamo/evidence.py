"""The evidence table: one item per file of a case (its bytes are in S3), written in the
transaction of the case's own change (store.py), read here."""

from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import (
    BooleanAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import DoesNotExist
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.adapters.errors import aws_call
from chalicelib.domain.evidence import Evidence, EvidenceStatus, Reason, Scan

# Files waiting for the sweeper are few (uploads of the last hour, scans in progress): one
# partition of the sparse index holds them.
SWEEP_SHARD = "due"


class SweepIndex(GlobalSecondaryIndex["EvidenceModel"]):
    """Sparse: only files the sweeper must look at again carry `sweep_shard`, ordered by when."""

    class Meta:
        index_name = "sweep"
        projection = AllProjection()

    sweep_shard = UnicodeAttribute(hash_key=True)
    sweep_at = UTCDateTimeAttribute(range_key=True)


class EvidenceModel(Model):
    class Meta:
        table_name = "evidence"

    case_id = UnicodeAttribute(hash_key=True)
    evidence_id = UnicodeAttribute(range_key=True)
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size_bytes = NumberAttribute()
    uploaded_by = UnicodeAttribute()
    actor = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    upload_expires_at = UTCDateTimeAttribute()
    sha256 = UnicodeAttribute(null=True)
    note = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    scan_status = UnicodeAttribute(default=Scan.NOT_SCANNED.value)
    completed_at = UTCDateTimeAttribute(null=True)
    checked_at = UTCDateTimeAttribute(null=True)
    removed_at = UTCDateTimeAttribute(null=True)
    share_with_customer = BooleanAttribute(default=False)
    share_with_merchant = BooleanAttribute(default=False)
    sweep_shard = UnicodeAttribute(null=True)
    sweep_at = UTCDateTimeAttribute(null=True)

    sweep_index = SweepIndex()


def evidence_to_model(e: Evidence) -> EvidenceModel:
    sweep_at = e.sweep_at
    return EvidenceModel(
        e.case_id,
        e.evidence_id,
        filename=e.filename,
        content_type=e.content_type,
        size_bytes=e.size_bytes,
        uploaded_by=e.uploaded_by,
        actor=e.actor,
        status=e.status.value,
        created_at=e.created_at,
        upload_expires_at=e.upload_expires_at,
        sha256=e.sha256,
        note=e.note,
        reason=e.reason.value if e.reason else None,
        scan_status=e.scan.value,
        completed_at=e.completed_at,
        checked_at=e.checked_at,
        removed_at=e.removed_at,
        share_with_customer=e.share_with_customer,
        share_with_merchant=e.share_with_merchant,
        sweep_shard=SWEEP_SHARD if sweep_at else None,
        sweep_at=sweep_at,
    )


def evidence_from_model(m: EvidenceModel) -> Evidence:
    return Evidence(
        case_id=m.case_id,
        evidence_id=m.evidence_id,
        filename=m.filename,
        content_type=m.content_type,
        size_bytes=int(m.size_bytes),
        uploaded_by=m.uploaded_by,
        actor=m.actor,
        status=EvidenceStatus(m.status),
        created_at=m.created_at,
        upload_expires_at=m.upload_expires_at,
        sha256=m.sha256,
        note=m.note,
        reason=Reason(m.reason) if m.reason else None,
        scan=Scan(m.scan_status),
        completed_at=m.completed_at,
        checked_at=m.checked_at,
        removed_at=m.removed_at,
        share_with_customer=bool(m.share_with_customer),
        share_with_merchant=bool(m.share_with_merchant),
    )


class DynamoEvidenceReads:
    def evidence_of(self, case_id: str) -> list[Evidence]:
        with aws_call("dynamodb"):
            return [
                evidence_from_model(m) for m in EvidenceModel.query(case_id, consistent_read=True)
            ]

    def get_evidence(self, case_id: str, evidence_id: str) -> Evidence | None:
        try:
            with aws_call("dynamodb"):
                return evidence_from_model(
                    EvidenceModel.get(case_id, evidence_id, consistent_read=True)
                )
        except DoesNotExist:
            return None

    def evidence_due(self, before: datetime, limit: int) -> list[Evidence]:
        with aws_call("dynamodb"):
            found = EvidenceModel.sweep_index.query(
                SWEEP_SHARD, EvidenceModel.sweep_at <= before, limit=limit, page_size=limit
            )
            return [evidence_from_model(m) for m in found]
