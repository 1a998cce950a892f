"""Where staff downloads of evidence are recorded: one port, with the case's internal timeline
and the desk's audit trail (chalicelib/services/audit.py) behind it, both written in one
transaction. `chalicelib/wiring.py::Container.download_audit` builds it."""

from __future__ import annotations

from typing import Protocol

from chalicelib.domain import evidence_steps as steps
from chalicelib.domain.case import Case, Visibility
from chalicelib.domain.clock import Clock
from chalicelib.domain.evidence import Evidence
from chalicelib.services import audit, events
from chalicelib.services.changes import Changes
from chalicelib.services.ports import DeskStore


class DownloadAudit(Protocol):
    """Where staff downloads are recorded."""

    def staff_downloaded(self, staff_id: str, case: Case, evidence: Evidence) -> None: ...


class TimelineDownloadAudit:
    """Records each staff download as an internal entry of the case's timeline (written alone:
    the case's version does not move, so nobody's next change conflicts with a download)."""

    def __init__(self, store: DeskStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def staff_downloaded(self, staff_id: str, case: Case, evidence: Evidence) -> None:
        now = self._clock.now()
        e = steps.downloaded_by_staff(evidence, staff_id)
        entry = events.entry(
            case, e.type, now, actor=e.actor, visibility=Visibility.INTERNAL, data=e.data
        )
        self._store.commit(Changes(now=now, timeline=[entry]))


class AuditedDownloads(TimelineDownloadAudit):
    """The timeline's internal entry, and an `evidence_downloaded` entry of the audit trail
    (who, which case, which file), in the same transaction: the trail an admin reads
    (GET /v1/admin/audit?case_id=) lists every staff download beside every staff read."""

    def staff_downloaded(self, staff_id: str, case: Case, evidence: Evidence) -> None:
        now = self._clock.now()
        e = steps.downloaded_by_staff(evidence, staff_id)
        entry = events.entry(
            case, e.type, now, actor=e.actor, visibility=Visibility.INTERNAL, data=e.data
        )
        changes = Changes(now=now, timeline=[entry])
        detail = {"evidence_id": evidence.evidence_id}
        audit.record(changes, staff_id, "evidence_downloaded", case_id=case.case_id, detail=detail)
        self._store.commit(changes)
