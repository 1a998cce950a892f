"""`python -m devstack create-admin --stage prod --name "..."`: the first admin of a deployed
stage. It writes to that stage's tables with the operator's own AWS credentials (the usual
AWS_PROFILE / AWS_REGION), and prints the token once."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping

from chalicelib.services.entities import StaffMember
from chalicelib.settings import Settings
from chalicelib.wiring import Container
from devstack.env import REGION, ROOT


def stage_settings(stage: str, env: Mapping[str, str] | None = None) -> Settings:
    """The settings a stage's functions run with, from .chalice/config.json."""
    env = os.environ if env is None else env
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    if stage not in config["stages"] or stage == "local":
        raise SystemExit(f"unknown deployed stage {stage!r}")
    variables = {
        **config.get("environment_variables", {}),
        **config["stages"][stage].get("environment_variables", {}),
    }
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or REGION,
        table_prefix=variables["PAYCASE_TABLE_PREFIX"],
        # Creating staff signs nothing with the server key; a throwaway key satisfies Settings.
        token_key=secrets.token_bytes(32),
    )


def create_admin(
    stage: str, name: str, team: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[StaffMember, str]:
    container = Container(stage_settings(stage, env))
    body = {"name": name, "role": "admin", **({"team": team} if team else {})}
    return container.staff.create(body)
