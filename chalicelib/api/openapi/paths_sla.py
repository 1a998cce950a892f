"""Paths of the supervisors' SLA settings: policies per category, working-day calendars, and
deadline previews."""

from __future__ import annotations

from chalicelib.api.openapi.auth import STAFF, SUPERVISOR
from chalicelib.api.openapi.builders import TIME, Schema, enum, ref, span
from chalicelib.api.openapi.operations import WRITE_ERRORS, op, path_param, query
from chalicelib.domain import limits as L
from chalicelib.domain.policy import Category

_CATEGORIES = enum(c.value for c in Category)
_CATEGORY = path_param("category", "A complaint category; any other is 404.", _CATEGORIES)
_YEAR = path_param(
    "year",
    "Four digits; a year outside {}-{} is 404.".format(*L.CALENDAR_YEARS),
    {**span(L.CALENDAR_YEARS), "examples": [2027]},
)
_EVERYWHERE = "Every server applies the change within a minute."
_NO_YEAR = ("404", "The year is not four digits, or outside {}-{}.".format(*L.CALENDAR_YEARS))


def sla_paths() -> dict[str, Schema]:
    return {
        "/v1/admin/sla-policies": {
            "get": op(
                "Every category's SLA policy now in force",
                ("200", ref("SlaPolicyList"), "One policy per category (not paged)"),
                ("503",),
                auth=STAFF,
            )
        },
        "/v1/admin/sla-policies/{category}": {"parameters": [_CATEGORY], "put": _policy()},
        "/v1/admin/calendar/{year}": {
            "parameters": [_YEAR],
            "get": op(
                "A year's working-day calendar",
                ("200", ref("Calendar"), "The year as deadlines are computed on it"),
                (_NO_YEAR, "503"),
                auth=STAFF,
            ),
            "put": _calendar(),
        },
        "/v1/admin/deadlines": {"get": _preview()},
    }


def _policy() -> Schema:
    return op(
        "Change a category's SLA targets (a new policy version)",
        ("200", ref("SlaPolicyRecord"), "The new version"),
        (
            *WRITE_ERRORS,
            ("404", "No such category."),
            (
                "409",
                "`version_conflict`: expected_version is not the policy's version, or "
                "another change made the same version first.",
            ),
        ),
        body="SlaPolicyRequest",
        auth=SUPERVISOR,
        description="Cases filed from now on get the new targets; a case keeps the policy "
        f"version it was filed under. {_EVERYWHERE}",
    )


def _calendar() -> Schema:
    return op(
        "Load a year's holidays and make-up workdays",
        ("200", ref("CalendarLoaded"), "The year now in force"),
        (*WRITE_ERRORS, _NO_YEAR),
        body="CalendarRequest",
        auth=SUPERVISOR,
        description="Replaces the year's lists. Every open case's deadlines and schedules "
        f"are then recomputed in the background. {_EVERYWHERE}",
    )


def _preview() -> Schema:
    return op(
        "The deadlines a case filed at a moment would get",
        ("200", ref("DeadlinePreview"), "The policy in force and the deadlines"),
        (("400", "No category or an unknown one, or `from` is not an RFC 3339 time."), "503"),
        auth=STAFF,
        params=[
            query("category", "The complaint category", _CATEGORIES, required=True),
            query(
                "from",
                "When the case would be filed (default now); URL-encode a `+` offset as %2B",
                TIME,
            ),
        ],
        description="With the policy now in force and the calendar as loaded; `provisional` "
        "when a deadline falls in a year without official data.",
    )
