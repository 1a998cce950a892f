"""Schemas of the supervisors' SLA settings: policies per category, working-day calendars,
and deadline previews."""

from __future__ import annotations

from chalicelib.api.openapi.builders import (
    BOOL,
    DATE,
    TIME,
    VERSION,
    Schema,
    array,
    enum,
    nullable,
    obj,
    ref,
    span,
)
from chalicelib.api.openapi.schemas_case import deadline_properties
from chalicelib.domain import limits as L
from chalicelib.domain.policy import Category

_EXACTLY_ONE = [{"required": ["days"]}, {"required": ["hours"]}]


def _target_request() -> Schema:
    target = obj(
        {
            "days": {
                **span(L.TARGET_DAYS),
                "description": "Whole working days (due at the close of business).",
            },
            "hours": {**span(L.TARGET_HOURS), "description": "Business hours."},
        },
        closed=True,
        description="Exactly one of `days` or `hours`.",
    )
    return {**target, "oneOf": _EXACTLY_ONE}


def _target() -> Schema:
    target = obj(
        {
            "days": {"type": "integer", "minimum": 1, "description": "Working days."},
            "hours": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Business hours (may read 6.0).",
            },
        },
        description="Either `days` or `hours`.",
    )
    return {**target, "oneOf": _EXACTLY_ONE}


def policy_schemas() -> dict[str, Schema]:
    policy = {
        "category": enum(c.value for c in Category),
        "version": {**VERSION, "description": "Send as expected_version to change it."},
        "first_response": ref("SlaTarget"),
        "resolution": ref("SlaTarget"),
    }
    record = {
        **policy,
        "updated_by": {"type": "string", "description": "The staff_id who made this version."},
        "updated_at": TIME,
    }
    version = {**VERSION, "description": "The version you saw; a newer one is 409."}
    return {
        "SlaTarget": _target(),
        "SlaPolicy": obj(policy, list(policy)),
        "SlaPolicyList": obj({"items": array(ref("SlaPolicy"))}, ["items"]),
        "SlaPolicyRecord": obj(record, list(record), description="The new version, as stored."),
        "SlaTargetRequest": _target_request(),
        "SlaPolicyRequest": obj(
            {
                "first_response": ref("SlaTargetRequest"),
                "resolution": ref("SlaTargetRequest"),
                "expected_version": version,
            },
            ["first_response", "resolution"],
            closed=True,
        ),
    }


def calendar_schemas() -> dict[str, Schema]:
    calendar = {
        "year": {"type": "integer", "examples": [2027]},
        "official": {**BOOL, "description": "False until the official notice is in."},
        "source": enum(
            ["shipped", "loaded", "provisional"],
            "Shipped with the code, loaded by staff, or provisional: weekends and the "
            "fixed-date holidays only.",
        ),
        "holidays": array(DATE, description="Days off that would be working days."),
        "workdays": array(DATE, description="Make-up working days on weekends."),
        "loaded_by": nullable({"type": "string", "description": "The staff_id; when loaded."}),
        "loaded_at": nullable(TIME),
    }
    loaded = {**calendar, "recompute": {"const": "scheduled"}}
    dates = {"uniqueItems": True, "maxItems": L.CALENDAR_DATES}
    return {
        "Calendar": obj(calendar, list(calendar)),
        "CalendarLoaded": obj(
            loaded,
            list(loaded),
            description="Open cases' deadlines and schedules are recomputed in the background.",
        ),
        "CalendarRequest": obj(
            {
                "holidays": array(DATE, **dates, description="Days off, in the path's year."),
                "workdays": array(
                    DATE, **dates, description="Make-up working days: weekend days of the year."
                ),
                "official": {**BOOL, "default": True},
            },
            closed=True,
            description="Replaces the year: a list left out is empty. A day cannot be both.",
        ),
    }


def preview_schemas() -> dict[str, Schema]:
    preview = {
        "category": enum(c.value for c in Category),
        "from": TIME,
        "from_local": {
            "type": "string",
            "format": "date-time",
            "description": "`from` in Asia/Shanghai time.",
            "examples": ["2026-11-23T18:00:00+08:00"],
        },
        "policy": ref("SlaPolicy"),
        **deadline_properties(),
        "resolution_target_due": {
            **TIME,
            "description": "What the policy's resolution target alone gives.",
        },
        "resolution_capped": {
            **BOOL,
            "description": "The target would fall after the outer limit (regulatory_due), so "
            "resolution_due is the end of the working time left before the limit instead.",
        },
    }
    return {"DeadlinePreview": obj(preview, list(preview))}


def sla_schemas() -> dict[str, Schema]:
    return {**policy_schemas(), **calendar_schemas(), **preview_schemas()}
