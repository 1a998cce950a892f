"""Operations: an operation's answers and errors, its parameters, and who may call it."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.api.openapi.auth import Auth
from chalicelib.api.openapi.builders import Schema, content, ref, span
from chalicelib.domain import limits as L

ERROR_STATUS = {
    "400": ("validation_failed", "The request is not valid; `fields` says why, per field."),
    "401": ("unauthorized", "Missing or invalid credentials."),
    "403": ("forbidden", "Your role does not allow this."),
    "404": ("not_found", "No such resource (also for resources you may not see)."),
    "409": (
        "conflict",
        "invalid_transition, version_conflict, duplicate_open_case or already_rated.",
    ),
    "413": ("payload_too_large", f"The body is larger than {L.BODY_BYTES // 1024} KiB."),
    "415": ("unsupported_media_type", "The body is not application/json."),
    "422": ("idempotency_key_reused", "The Idempotency-Key was used with another body."),
    "429": ("rate_limited", "Too many requests; try again later."),
    "503": ("unavailable", "Busy; retry after the Retry-After header's seconds."),
}
BODY_ERRORS = ("400", "413", "415")  # every call that reads a JSON body
WRITE_ERRORS = (*BODY_ERRORS, "503")

Ok = tuple[str, Schema, str]  # the success status, its schema and its description
ErrorSpec = str | tuple[str, str]  # a status, or a status with this operation's meaning of it


def error(status: str, description: str) -> Schema:
    code = ERROR_STATUS[status][0]
    answer = content(ref("Error"), f"`{code}`: {description}")
    if status in ("503", "429"):
        answer["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait."
                if status == "503"
                else "Seconds until the limit lets the request through, where it is known.",
                "required": status == "503",
                "schema": {"type": "integer", "minimum": 0},
            }
        }
    return answer


def responses(ok: Ok, errors: Iterable[ErrorSpec], auth: Auth | None, idem: bool) -> Schema:
    meanings: dict[str, str] = {}
    for spec in errors:
        status, meaning = spec if isinstance(spec, tuple) else (spec, ERROR_STATUS[spec][1])
        meanings[status] = meaning
    if idem:
        meanings["422"] = ERROR_STATUS["422"][1]
    meanings.update(auth.errors if auth else {})
    status, schema, description = ok
    answers: Schema = {status: content(schema, description)}
    answers.update({code: error(code, meanings[code]) for code in sorted(meanings)})
    return answers


def op(
    summary: str,
    ok: Ok,
    errors: Iterable[ErrorSpec] = (),
    *,
    body: str | None = None,
    optional_body: bool = False,
    auth: Auth | None = None,
    params: Iterable[Schema] = (),
    idempotent: bool = False,
    description: str | None = None,
) -> Schema:
    """One operation. `idempotent` adds the Idempotency-Key header and its 422."""
    out: Schema = {"summary": summary, "responses": responses(ok, errors, auth, idempotent)}
    notes = " ".join(n for n in (description, auth.note if auth else None) if n)
    if notes:
        out["description"] = notes
    if body:
        schema = {"application/json": {"schema": ref(body)}}
        out["requestBody"] = {"required": not optional_body, "content": schema}
    if auth:
        out["security"] = auth.security()
    parameters = [*params, *([IDEMPOTENCY] if idempotent else [])]
    if parameters:
        out["parameters"] = parameters
    return out


def query(
    name: str, description: str, schema: Schema | None = None, *, required: bool = False
) -> Schema:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def path_param(name: str, description: str, schema: Schema) -> Schema:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema,
    }


CASE_ID = path_param(
    "case_id",
    "The case's id (a ULID); an id that is not one is 404.",
    {"type": "string", "pattern": "^[0-7][0-9A-HJKMNP-TV-Z]{25}$"},
)
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "{}-{} visible ASCII characters. ".format(*L.IDEMPOTENCY_KEY)
    + "A repeat with the same key and body within 24 hours returns the first answer and does "
    "nothing again; another body is 422.",
    "schema": {
        "type": "string",
        "minLength": L.IDEMPOTENCY_KEY.low,
        "maxLength": L.IDEMPOTENCY_KEY.high,
        "pattern": "^[!-~]+$",
    },
}
LIMIT = query(
    "limit",
    "{}-{}, default {}".format(*L.PAGE, L.PAGE_DEFAULT),
    {**span(L.PAGE), "default": L.PAGE_DEFAULT},
)
CURSOR = query("cursor", "The previous page's next_cursor (opaque, tamper-evident)")


def on_case(**operations: Schema) -> Schema:
    """A path item under /cases/{case_id}: the path parameter, then its operations."""
    return {"parameters": [CASE_ID], **operations}
