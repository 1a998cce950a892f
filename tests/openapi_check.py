"""Every answer the API gives in a test is checked against the served OpenAPI document.

`ContractClient` is `chalice.test.Client` whose HTTP client checks each response against the
operation the request reached: the status code must be one the operation declares, and the body
must match that status's JSON schema (JSON Schema 2020-12 with the OpenAPI 3.1 vocabulary,
through openapi-schema-validator), as must every header the answer declares. The API fixture and
the integration tier use it, so no test has to remember to.

The document is read once, through the app itself (`GET /v1/openapi.json`), as a client would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

from chalice.test import Client, HTTPResponse, TestHTTPClient
from jsonschema import FormatChecker
from openapi_schema_validator import OAS31Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

DOCUMENT_URI = "urn:paycase:openapi"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


class ContractBroken(AssertionError):
    """An answer that the OpenAPI document does not allow."""


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class OpenApiContract:
    """The served document, and how to hold one answer against it."""

    document: Mapping[str, Any]
    _validators: dict[str, OAS31Validator] = field(default_factory=dict, repr=False)

    @cached_property
    def _registry(self) -> Registry:
        resource = DRAFT202012.create_resource(closed(self.document))
        return Registry().with_resource(DOCUMENT_URI, resource)

    @cached_property
    def _routes(self) -> list[tuple[re.Pattern[str], str]]:
        """Path templates as patterns; literal paths before templated ones, so that
        /v1/admin/staff/me never reads as /v1/admin/staff/{staff_id}."""

        def pattern(template: str) -> re.Pattern[str]:
            parts = re.split(r"(\{[^}]+\})", template)
            regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            return re.compile(f"^{regex}$")

        templates = sorted(self.document["paths"], key=lambda t: (t.count("{"), t))
        return [(pattern(t), t) for t in templates]

    def template_of(self, path: str) -> str | None:
        bare = urlsplit(path).path
        return next((t for regex, t in self._routes if regex.match(bare)), None)

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        template = self.template_of(path)
        if template is None:
            raise ContractBroken(f"{method} {path}: no such path in the OpenAPI document")
        item = self.document["paths"][template]
        op = item.get(method.lower())
        if op is None:
            raise ContractBroken(f"{method} {template}: the document has no such operation")
        return template, op

    def _validator(self, *pointer: str) -> OAS31Validator:
        key = _pointer(*pointer)
        if key not in self._validators:
            schema = {"$ref": f"{DOCUMENT_URI}#{key}"}
            self._validators[key] = OAS31Validator(
                schema, registry=self._registry, format_checker=FormatChecker()
            )
        return self._validators[key]

    def check(
        self, method: str, path: str, status: int, headers: Mapping[str, str], body: bytes
    ) -> None:
        """Raise ContractBroken unless this answer is one the document allows."""
        template, op = self.operation(method, path)
        where = f"{method.upper()} {template} -> {status}"
        answers = op.get("responses", {})
        code = str(status)
        if code not in answers:
            code = f"{code[0]}XX" if f"{code[0]}XX" in answers else "default"
        if code not in answers:
            declared = ", ".join(sorted(answers))
            raise ContractBroken(f"{where}: status not declared (declared: {declared}); {body!r}")
        answer = answers[code]
        base = ("paths", template, method.lower(), "responses", code)
        lowered = {k.lower(): v for k, v in headers.items()}
        for name, spec in answer.get("headers", {}).items():
            value = lowered.get(name.lower())
            if value is None:
                if spec.get("required"):
                    raise ContractBroken(f"{where}: header {name} is required and missing")
                continue
            self._holds(where, f"header {name}", (*base, "headers", name, "schema"), value, spec)
        media = answer.get("content")
        if not media:
            if body:
                raise ContractBroken(f"{where}: the document declares no body; got {body!r}")
            return
        content_type = lowered.get("content-type", "").split(";", 1)[0].strip()
        if content_type not in media:
            raise ContractBroken(f"{where}: Content-Type {content_type!r} not in {sorted(media)}")
        try:
            value = json.loads(body)
        except ValueError as exc:
            raise ContractBroken(f"{where}: the body is not JSON ({exc}): {body!r}") from None
        self._holds(where, "body", (*base, "content", content_type, "schema"), value, None)

    def _holds(
        self, where: str, what: str, pointer: tuple[str, ...], value: Any, spec: Any
    ) -> None:
        if spec is not None and spec.get("schema", {}).get("type") == "integer":
            # Headers are strings on the wire; a declared integer must read as one.
            if not re.fullmatch(r"-?[0-9]+", value):
                raise ContractBroken(f"{where}: {what} {value!r} is not an integer")
            value = int(value)
        errors = sorted(self._validator(*pointer).iter_errors(value), key=lambda e: e.path)
        if errors:
            lines = [
                f"  at {'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in errors[:10]
            ]
            raise ContractBroken(f"{where}: the {what} breaks the document:\n" + "\n".join(lines))


def closed(node: Any) -> Any:
    """A copy of the document in which every object type that names its properties allows no
    others (`unevaluatedProperties: false`, which sees through allOf/anyOf/oneOf). The served
    document leaves answers open, so clients tolerate fields added later; the tests hold the
    code to it closed, so every field an answer carries is one the document describes."""
    if isinstance(node, list):
        return [closed(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: closed(v) for k, v in node.items()}
    kind = out.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    if is_object and "properties" in out and "additionalProperties" not in out:
        out.setdefault("unevaluatedProperties", False)
    return out


_CONTRACT: OpenApiContract | None = None


class CheckedHTTPClient(TestHTTPClient):
    """chalice's test HTTP client, holding every answer against the OpenAPI document."""

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
    ) -> HTTPResponse:
        response = super().request(method, path, headers=headers, body=body)
        contract().check(method, path, response.status_code, response.headers, response.body)
        return response


def contract() -> OpenApiContract:
    """The served document, read once per test session."""
    global _CONTRACT
    if _CONTRACT is None:
        import app

        with Client(app.app, stage_name="local") as plain:
            served = plain.http.get("/v1/openapi.json")
        assert served.status_code == 200, served.body
        _CONTRACT = OpenApiContract(json.loads(served.body))
    return _CONTRACT


class ContractClient(Client):
    """`chalice.test.Client` whose every HTTP answer is checked against the document."""

    @property
    def http(self) -> TestHTTPClient:
        if self._http_client is None:
            self._http_client = CheckedHTTPClient(self._app, self._chalice_config)
        return self._http_client
