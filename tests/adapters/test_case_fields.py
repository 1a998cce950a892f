"""A case's fields are declared once, in `Case`: this test fails when a new field is not yet
carried by the store's mapping (both ways) or set by the builder that proves the store keeps
every field, so adding a field is one edit plus what this test names."""

from __future__ import annotations

import inspect
from dataclasses import MISSING, fields

from chalicelib.adapters.dynamo import mapping
from chalicelib.adapters.dynamo.models import CaseModel
from chalicelib.domain.case import Case
from tests.builders import full_case

# Set by the store itself, not carried as a field: the version is PynamoDB's VersionAttribute.
STORE_OWNED = {"version"}


def _case_fields() -> list[str]:
    return [f.name for f in fields(Case)]


def test_every_case_field_is_read_back_from_the_model() -> None:
    source = inspect.getsource(mapping.case_from_model)
    missing = [name for name in _case_fields() if f"{name}=" not in source]
    assert missing == []


def test_every_model_attribute_is_written_from_the_case() -> None:
    source = inspect.getsource(mapping.case_to_model)
    attributes = set(CaseModel.get_attributes()) - STORE_OWNED
    hash_key = {"case_id"}  # passed positionally
    unwritten = sorted(
        a for a in attributes - hash_key if f"{a}=" not in source and f".{a} =" not in source
    )
    assert unwritten == []
    carried = set(_case_fields()) - STORE_OWNED - {"deadlines"}
    assert carried <= attributes, sorted(carried - attributes)


def test_the_full_case_builder_sets_every_field() -> None:
    # a field left at its default would not prove that the store keeps it
    case = full_case()
    defaults = {}
    for f in fields(Case):
        if f.default is not MISSING:
            defaults[f.name] = f.default
        elif f.default_factory is not MISSING:
            defaults[f.name] = f.default_factory()
    at_default = sorted(
        name
        for name, default in defaults.items()
        if getattr(case, name) == default and name not in STORE_OWNED
    )
    assert at_default == []
