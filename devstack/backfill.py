"""`python -m devstack backfill-search --stage prod`: give the cases filed before the search
index existed their lookups (README, "Deployment"). It runs with the operator's own AWS
credentials (the usual AWS_PROFILE / AWS_REGION), reads the stage's token key from Secrets
Manager (the search key is derived from it, as the functions derive it), and is safe to stop and
run again: it resumes from the last page it finished; once done it does nothing (`--restart`
reads every case again)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import replace

from chalicelib.adapters.errors import aws_call
from chalicelib.services.search import SearchKeys, search_key
from chalicelib.services.search_backfill import BackfillReport, SearchBackfill
from chalicelib.wiring import Container
from devstack.admin import stage_settings


def token_key_of(container: Container, stage: str) -> bytes:
    """The stage's PAYCASE_TOKEN_KEY, as the template's secret holds it."""
    with aws_call("secretsmanager"):
        secret = container.client("secretsmanager").get_secret_value(
            SecretId=f"paycase-{stage}-token-key"
        )
    return base64.b64decode(secret["SecretString"], validate=True)


def backfill_search(
    stage: str, *, restart: bool = False, env: Mapping[str, str] | None = None
) -> BackfillReport:
    settings = stage_settings(stage, env)
    container = Container(settings)
    container = Container(replace(settings, token_key=token_key_of(container, stage)))
    keys = SearchKeys(search_key(container.settings.token_key))
    backfill = SearchBackfill(
        container.store, container.store, container.search_index, keys, container.clock
    )

    def report(cases: int, lookups: int) -> None:
        print(f"  {cases} cases read, {lookups} lookups written", flush=True)

    return backfill.run(restart=restart, progress=report)
