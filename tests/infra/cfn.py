"""Reading CloudFormation (SAM) templates and IAM policies in tests.

Enough of each language for our own templates and hand-written policies: stage-only `Fn::Sub`
values, references between resources, SAM Globals, and Allow/Deny statements with wildcards and
string conditions. Anything beyond that raises, so a test cannot pass by not understanding it.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")

Template = Mapping[str, Any]


def with_stage(value: Any, stage: str) -> str:
    """A literal, or an `Fn::Sub` whose only variable is `${Stage}`, as the string it becomes."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        text = value["Fn::Sub"]
        others = set(_SUB_VARIABLE.findall(text)) - {"Stage"}
        if not others:
            return text.replace("${Stage}", stage)
    raise ValueError(f"not a literal or a ${{Stage}}-only Fn::Sub: {value!r}")


def resources_of_type(template: Template, resource_type: str) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource.get("Type") == resource_type
    }


def function_by_handler(template: Template, handler: str) -> str:
    """The logical id chalice gave the function whose handler is `handler` (e.g. `app.app`)."""
    matches = [
        logical_id
        for logical_id, resource in resources_of_type(template, "AWS::Serverless::Function").items()
        if resource["Properties"]["Handler"] == handler
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {matches}"
    return matches[0]


def function_environment(template: Template, logical_id: str) -> dict[str, Any]:
    """A SAM function's environment variables once SAM has merged `Globals` into it (maps merge;
    the function's own value wins)."""
    shared = template.get("Globals", {}).get("Function", {}).get("Environment", {})
    own = template["Resources"][logical_id]["Properties"].get("Environment", {})
    return {**shared.get("Variables", {}), **own.get("Variables", {})}


def references(node: Any) -> set[str]:
    """Every name `node` refers to through `Ref`, `Fn::GetAtt` and `Fn::Sub` (resources,
    parameters and pseudo parameters alike)."""
    found: set[str] = set()
    if isinstance(node, list):
        for item in node:
            found |= references(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else value
                local = set(variables)
                found |= {
                    name.split(".")[0]
                    for name in _SUB_VARIABLE.findall(text)
                    if name.split(".")[0] not in local
                }
                found |= references(variables)
            else:
                found |= references(value)
    return found


def dependency_graph(template: Template) -> dict[str, set[str]]:
    """Which resource waits for which, as CloudFormation sees it after the SAM transform: Globals
    are merged into every function, and a function's event sources become resources of their own
    (an event source mapping waits for the function, not the other way round)."""
    resources = template["Resources"]
    graph: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        body = dict(resource)
        depends_on = body.pop("DependsOn", [])
        waits_for = {depends_on} if isinstance(depends_on, str) else set(depends_on)
        if resource.get("Type") == "AWS::Serverless::Function":
            properties = dict(body["Properties"])
            for name, event in properties.pop("Events", {}).items():
                graph[f"{logical_id}/{name}"] = (references(event) & set(resources)) | {logical_id}
            properties["Environment"] = {"Variables": function_environment(template, logical_id)}
            body["Properties"] = properties
        graph[logical_id] = (references(body) | waits_for) & set(resources)
    return graph


def allows(
    policy: Mapping[str, Any],
    action: str,
    resource: str,
    context: Mapping[str, str | list[str]] | None = None,
) -> bool:
    """Whether an identity-based policy allows `action` on `resource` in a request with these
    condition keys (an explicit Deny wins, as in IAM). A multivalued key (a list) is tested with
    `ForAnyValue:` operators."""
    context = context or {}
    allowed = False
    for statement in policy["Statement"]:
        unsupported = {"NotAction", "NotResource", "NotPrincipal"} & set(statement)
        if unsupported:
            raise ValueError(f"the evaluator does not understand {sorted(unsupported)}")
        applies = (
            _matches(statement["Action"], action.lower(), lower=True)
            and _matches(statement["Resource"], resource)
            and _conditions_hold(statement.get("Condition", {}), context)
        )
        if applies and statement["Effect"] == "Deny":
            return False
        allowed = allowed or applies
    return allowed


def _listed(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _matches(patterns: str | Iterable[str], value: str, lower: bool = False) -> bool:
    return any(
        fnmatch.fnmatchcase(value, pattern.lower() if lower else pattern)
        for pattern in _listed(patterns)
    )


_OPERATORS = {"StringEquals", "StringLike", "ArnEquals", "ArnLike"}


def _conditions_hold(
    conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, str | list[str]]
) -> bool:
    for qualified, tests in conditions.items():
        any_value = qualified.startswith("ForAnyValue:")
        operator = qualified.removeprefix("ForAnyValue:")
        if operator not in _OPERATORS:
            raise ValueError(f"the evaluator does not understand the condition {qualified}")
        for key, expected in tests.items():
            if key not in context:
                return False
            given = context[key]
            if isinstance(given, list) != any_value:
                raise ValueError(f"{key}: a multivalued key needs ForAnyValue, and only it")
            exact = operator.endswith("Equals")
            values = _listed(expected)
            if not any(
                (value in values) if exact else _matches(values, value) for value in _listed(given)
            ):
                return False
    return True
