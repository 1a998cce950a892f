"""Paths of incidents: declare one, list and read them, link cases, post updates, resolve."""

from __future__ import annotations

from chalicelib.api.openapi.auth import AGENT, STAFF, SUPERVISOR
from chalicelib.api.openapi.builders import Schema, ref
from chalicelib.api.openapi.operations import (
    CURSOR,
    LIMIT,
    WRITE_ERRORS,
    op,
    path_param,
    query,
)
from chalicelib.api.openapi.schemas_incidents import PACING
from chalicelib.domain import limits as L
from chalicelib.domain.incident import CHUNK

_ID = path_param(
    "incident_id", "The incident's id (`inc_...`); any other is 404.", {"type": "string"}
)
_NOT_FOUND = ("404", "No such incident.")
_OPEN = query(
    "open",
    "`true`: only the cases still waiting for an outcome.",
    {"type": "string", "enum": ["true", "false"]},
)
_NOT_OPEN = ("409", "`invalid_transition`: the incident is resolving or resolved.")


def incident_paths() -> dict[str, Schema]:
    base = "/v1/admin/incidents/{incident_id}"
    return {
        "/v1/admin/incidents": {
            "get": op(
                "Incidents, newest first",
                ("200", ref("IncidentPage"), "A page of incidents"),
                ("400", "503"),
                auth=STAFF,
                params=[LIMIT, CURSOR],
            ),
            "post": op(
                "Declare an incident",
                ("201", ref("Incident"), "The incident, open, with the cases linked so far"),
                WRITE_ERRORS,
                body="IncidentRequest",
                auth=SUPERVISOR,
                idempotent=True,
                description="Open cases the match rule covers are linked (the first "
                f"{CHUNK} at once, the rest in the background), and so is every matching case "
                "filed while the incident is open: its customer's acknowledgement and case "
                "show the summary. The cases' own SLA clocks keep running.",
            ),
        },
        base: {
            "parameters": [_ID],
            "get": op(
                "An incident with its counts, updates and the cases a resolution left",
                ("200", ref("Incident"), "The incident"),
                (_NOT_FOUND, "503"),
                auth=STAFF,
            ),
        },
        f"{base}/cases": {
            "parameters": [_ID],
            "get": op(
                "The incident's linked cases, as the queue shows them",
                ("200", ref("QueuePage"), "A page of cases"),
                ("400", _NOT_FOUND, "503"),
                auth=STAFF,
                params=[_OPEN, LIMIT, CURSOR],
                description="Cases with their outcome first, then those still waiting for "
                "one, each in filing order.",
            ),
            "post": op(
                "Link or unlink cases",
                ("200", ref("IncidentLinked"), "The incident, and the cases refused"),
                (*WRITE_ERRORS, _NOT_FOUND, _NOT_OPEN),
                body="IncidentLinksRequest",
                auth=AGENT,
                idempotent=True,
                description=f"At most {L.INCIDENT_CASES} of each, before the incident is "
                "resolved. A case already linked elsewhere, or with its outcome, is refused.",
            ),
        },
        f"{base}/updates": {
            "parameters": [_ID],
            "post": op(
                "Post an update to every linked customer",
                ("201", ref("IncidentUpdate"), "The update"),
                (*WRITE_ERRORS, _NOT_FOUND, _NOT_OPEN),
                body="IncidentUpdateRequest",
                auth=SUPERVISOR,
                idempotent=True,
                description="Every linked case still waiting for an outcome gets one public "
                "timeline entry and its customer one message per channel, exactly once (a "
                f"repeat with the same key posts nothing). {PACING}",
            ),
        },
        f"{base}/resolve": {
            "parameters": [_ID],
            "post": op(
                "Resolve the incident and its cases",
                ("202", ref("IncidentResolving"), "The resolution has started"),
                (*WRITE_ERRORS, _NOT_FOUND, _NOT_OPEN),
                body="IncidentResolveRequest",
                auth=SUPERVISOR,
                idempotent=True,
                description="Each linked case still waiting for an outcome is resolved in the "
                f"background, {CHUNK} at a time, each as its own move (timeline entry, clocks "
                "and notice) by the supervisor; GET shows `open_linked` fall to 0 and lists "
                "the cases that could not move (a second review, a case waiting for the "
                "customer) with why. With a `proposal`, each case is offered it instead "
                "(accepted first if it was not) and resolved when its customer accepts.",
            ),
        },
    }
