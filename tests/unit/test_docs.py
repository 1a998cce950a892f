"""The repository's own documents stay true to the code: docs/api.md lists every operation the
OpenAPI document describes and every error code the API answers, and nothing cites documents
the repository does not carry."""

from __future__ import annotations

import re
from pathlib import Path

from chalicelib.api.http import STATUS
from chalicelib.api.openapi import document

ROOT = Path(__file__).resolve().parents[2]
API_MD = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")


def test_api_md_lists_every_documented_operation() -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, item in document()["paths"].items()
        for method in item
        if method != "parameters" and f"`{method.upper()} {path}`" not in API_MD
    ]
    assert missing == []


def test_api_md_lists_every_error_code_with_its_status() -> None:
    missing = [f"{s} {code}" for code, s in STATUS.items() if f"| {s} | `{code}` |" not in API_MD]
    assert missing == []


def test_no_file_cites_a_document_outside_the_repository() -> None:
    # GIVEN every source, test and document file
    files = [
        p
        for pattern in ("chalicelib/**/*.py", "tests/**/*.py", "devstack/**/*.py", "docs/*.md")
        for p in ROOT.glob(pattern)
    ] + [ROOT / "README.md", ROOT / "app.py"]
    # THEN none cites DOMAIN.md or API.md (the shared briefs), and every docs/ file cited exists
    outside = re.compile(r"\b(DOMAIN|API)\.md\b")
    cited = re.compile(r"docs/([a-z-]+\.md)")
    this = Path(__file__).resolve()
    for path in files:
        if path.resolve() == this:
            continue
        text = path.read_text(encoding="utf-8")
        assert not outside.search(text), path
        for name in cited.findall(text):
            assert (ROOT / "docs" / name).is_file(), f"{path} cites docs/{name}"


def test_architecture_md_names_only_files_and_functions_that_exist() -> None:
    # GIVEN every `file::name` reference of docs/architecture.md
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    references = re.findall(r"`([\w/.-]+\.py)::([\w.]+)`", text)
    assert len(references) > 20
    for path, name in references:
        # THEN the file exists and defines each part of the dotted name
        source = (ROOT / path).read_text(encoding="utf-8")
        for part in name.split("."):
            assert re.search(rf"^\s*(def|class) {part}\b|^\s*{part}\b[^=\n]*= ", source, re.M), (
                f"{path}::{name}"
            )
    # AND every plain file path it names exists
    for path in re.findall(r"`((?:chalicelib|tests)/[\w/.-]+\.py)`", text):
        assert (ROOT / path).is_file(), path
