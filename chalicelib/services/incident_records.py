"""Where incidents are kept: each as one record in the keys table, written at its next version
under a version claim (two writers cannot both write version n), beside two directories: the
open incidents' match rules (checked by every filing, read again only when it changed) and each
year's incident ids (the list)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import NotFound
from chalicelib.domain.incident import Incident, Match
from chalicelib.domain.timefmt import SHANGHAI, to_rfc3339
from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.keys import (
    OPEN_INCIDENTS_KEY,
    incident_key,
    incident_version_key,
    incidents_of_year_key,
    open_incidents_version_key,
)
from chalicelib.services.ports import KeyReads

ID_PREFIX = "inc_"


@dataclass(frozen=True)
class OpenIncident:
    """What a filing needs to know of an open incident."""

    incident_id: str
    title: str
    summary: dict[str, str]
    match: Match


@dataclass(frozen=True)
class OpenDirectory:
    """The open incidents as read at `version` of their directory. A change that relies on
    them adds `unchanged` to its transaction's `absent` keys: the claim the directory's next
    version writes, so the transaction fails (KeyTaken on that key) if it changed since."""

    version: int
    incidents: list[OpenIncident]

    @property
    def unchanged(self) -> str:
        return open_incidents_version_key(self.version + 1)


class IncidentRecords:
    def __init__(self, keys: KeyReads) -> None:
        self._keys = keys

    def get(self, incident_id: str) -> Incident | None:
        if not incident_id.startswith(ID_PREFIX) or len(incident_id) > 64:
            return None
        raw = self._keys.get_key(incident_key(incident_id))
        return Incident.from_dict(raw) if raw else None

    def require(self, incident_id: str) -> Incident:
        incident = self.get(incident_id)
        if incident is None:
            raise NotFound()
        return incident

    def write(self, changes: Changes, before: Incident | None, after: Incident) -> Incident:
        """Add the incident at its next version to `changes`; the commit raises KeyTaken on the
        version claim when someone else wrote that version first."""
        version = before.version + 1 if before else 1
        stored = replace(after, version=version)
        claim = KeyClaim(incident_version_key(stored.incident_id, version), {"at": _at(changes)})
        changes.claims.append(claim)
        changes.key_puts.append(KeyClaim(incident_key(stored.incident_id), stored.to_dict()))
        return stored

    # -- the open incidents, checked by each filing ---------------------------------------------

    def open_directory(self) -> OpenDirectory:
        version, items = self._open()
        incidents = [
            OpenIncident(
                str(i["incident_id"]),
                str(i["title"]),
                dict(i["summary"]),
                Match.from_dict(dict(i["match"])),
            )
            for i in items
        ]
        return OpenDirectory(version, incidents)

    def _open(self) -> tuple[int, list[dict[str, Any]]]:
        raw = self._keys.get_key(OPEN_INCIDENTS_KEY) or {}
        return int(raw.get("version", 0)), list(raw.get("items") or [])

    def set_open(self, changes: Changes, incident: Incident, is_open: bool) -> None:
        """Add the incident to the open directory, or take it out."""
        version, items = self._open()
        items = [i for i in items if i["incident_id"] != incident.incident_id]
        if is_open:
            items.append(
                {
                    "incident_id": incident.incident_id,
                    "title": incident.title,
                    "summary": dict(incident.summary),
                    "match": incident.match.to_dict(),
                }
            )
        changes.claims.append(KeyClaim(open_incidents_version_key(version + 1), {}))
        changes.key_puts.append(
            KeyClaim(OPEN_INCIDENTS_KEY, {"version": version + 1, "items": items})
        )

    # -- each year's incidents, for the list ----------------------------------------------------

    def ids_of_year(self, year: int) -> list[str]:
        raw = self._keys.get_key(incidents_of_year_key(year)) or {}
        return [str(i) for i in raw.get("ids") or []]

    def add_to_year(self, changes: Changes, incident: Incident) -> None:
        year = incident.created_at.astimezone(SHANGHAI).year
        raw = self._keys.get_key(incidents_of_year_key(year)) or {}
        version = int(raw.get("version", 0)) + 1
        ids = [*list(raw.get("ids") or []), incident.incident_id]
        key = incidents_of_year_key(year)
        changes.claims.append(KeyClaim(f"{key}#v{version}", {}))
        changes.key_puts.append(KeyClaim(key, {"version": version, "ids": ids}))

    def many(self, ids: list[str]) -> list[Incident]:
        found = self._keys.get_keys([incident_key(i) for i in ids])
        return [Incident.from_dict(found[incident_key(i)]) for i in ids if incident_key(i) in found]


def _at(changes: Changes) -> str:
    now: datetime = changes.now
    return to_rfc3339(now)
