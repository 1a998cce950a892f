"""Small builders for JSON Schema pieces: every schema in the document is made of these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.domain import limits as L
from chalicelib.domain.validation import FIRST_YEAR, LAST_YEAR

Schema = dict[str, Any]


def _years_pattern(first: int, last: int) -> str:
    """A regex for a date or time whose year is first..last (whole centuries, then `last`)."""
    if first % 100 or last % 100:
        raise ValueError(f"years {first}-{last}: whole centuries only")
    centuries = [f"{c}[0-9]{{2}}" for c in range(first // 100, last // 100)]
    return f"^(?:{'|'.join([*centuries, str(last)])})-"


# Every time a request carries is read between these years (chalicelib.domain.validation).
YEARS = _years_pattern(FIRST_YEAR, LAST_YEAR)

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
TIME: Schema = {
    "type": "string",
    "format": "date-time",
    "pattern": YEARS,
    "examples": ["2026-11-23T10:00:00Z"],
}
DATE: Schema = {"type": "string", "format": "date", "examples": ["2026-12-15"]}
FEN: Schema = {"type": "integer", "minimum": L.AMOUNT_FEN.low, "maximum": L.AMOUNT_FEN.high}
VERSION: Schema = {"type": "integer", "minimum": 1}


def ref(name: str) -> dict[str, str]:
    """A reference to the component schema `name`."""
    return {"$ref": f"#/components/schemas/{name}"}


def content(schema: Schema, description: str) -> Schema:
    """A response (or body) whose JSON content is `schema`."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def enum(values: Iterable[str], description: str | None = None) -> Schema:
    out: Schema = {"enum": list(values)}
    if description:
        out["description"] = description
    return out


def int_range(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


def span(limit: L.Span) -> Schema:
    """A whole number within one of chalicelib.domain.limits' spans."""
    return int_range(limit.low, limit.high)


def text(max_len: int, description: str | None = None) -> Schema:
    """A string the service strips of surrounding whitespace and requires to be non-empty."""
    out: Schema = {"type": "string", "minLength": 1, "maxLength": max_len}
    if description:
        out["description"] = description
    return out


def nullable(schema: Schema) -> Schema:
    if isinstance(schema.get("type"), str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema, **limits: Any) -> Schema:
    return {"type": "array", "items": items, **limits}


def obj(
    properties: Mapping[str, Schema],
    required: Iterable[str] = (),
    *,
    closed: bool = False,
    description: str | None = None,
) -> Schema:
    """An object; `closed` when the service answers `unknown field` to anything else."""
    out: Schema = {"type": "object", "properties": dict(properties)}
    if required:
        out["required"] = list(required)
    if closed:
        out["additionalProperties"] = False
    if description:
        out["description"] = description
    return out


def answer(
    properties: Mapping[str, Schema], optional: Iterable[str] = (), description: str | None = None
) -> Schema:
    """An object the service answers with: every property is always there (null when it has no
    value) except the `optional` ones, which only some answers carry."""
    skip = set(optional)
    return obj(properties, [k for k in properties if k not in skip], description=description)


def page(item: str) -> Schema:
    """A list answer: {"items", "next_cursor"}."""
    cursor = nullable({"type": "string", "description": "Pass as ?cursor= for the next page."})
    return obj({"items": array(ref(item)), "next_cursor": cursor}, ["items", "next_cursor"])


def anchored(pattern: str) -> str:
    return f"^{pattern}$"
