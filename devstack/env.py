"""Where the local stack keeps its data and which ports and secrets it uses."""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


class EndpointError(ValueError):
    """An endpoint variable that is not an http(s) URL with a host."""


def _endpoint(env: Mapping[str, str], name: str) -> str | None:
    value = (env.get(name) or "").strip().rstrip("/")
    if not value:
        return None
    parts = urlsplit(value)
    try:
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        valid = False
    if not valid:
        raise EndpointError(f"{name}={value!r} is not a URL such as http://127.0.0.1:8001")
    return value


def host_port(url: str) -> tuple[str, int]:
    """The host and port an endpoint URL names (80 or 443 when it names none)."""
    parts = urlsplit(url)
    return str(parts.hostname), parts.port or (443 if parts.scheme == "https" else 80)


REGION = "ap-southeast-1"
EMAIL_FROM = "PayCase <no-reply@paycase.local>"


# Settings a developer may give `make run` from the shell (README, Limits on unverified intake).
LIMIT_VARIABLES = (
    "PAYCASE_SMS_COUNTRIES",
    "PAYCASE_INTAKE_SMS_PER_PHONE",
    "PAYCASE_INTAKE_COMPLAINTS_PER_PHONE",
    "PAYCASE_INTAKE_WINDOW_HOURS",
    "PAYCASE_MERCHANT_DIGEST_AFTER",
)


@dataclass(frozen=True)
class LocalEnv:
    """One local stack: its data directory and ports. `make run` uses `.local/` and the default
    ports; tests start their own in a temporary directory on free ports.

    With `dynamodb_endpoint` (PAYCASE_DYNAMODB_ENDPOINT) the stack uses that DynamoDB, a shared
    DynamoDB Local or a fault proxy in front of one, and starts none of its own; likewise
    `aws_endpoint` (PAYCASE_AWS_ENDPOINT) for moto's server."""

    data_dir: Path
    api_port: int = 8000
    dynamodb_port: int = 8001
    moto_port: int = 5001
    table_prefix: str = "paycase-local-"
    dynamodb_endpoint: str | None = None
    aws_endpoint: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> LocalEnv:
        env = os.environ if environ is None else environ
        return cls(
            data_dir=Path(env.get("PAYCASE_LOCAL_DIR", ROOT / ".local")),
            api_port=int(env.get("PORT", "8000")),
            dynamodb_port=int(env.get("DYNAMODB_PORT", "8001")),
            moto_port=int(env.get("MOTO_PORT", "5001")),
            table_prefix=env.get("PAYCASE_TABLE_PREFIX") or "paycase-local-",
            dynamodb_endpoint=_endpoint(env, "PAYCASE_DYNAMODB_ENDPOINT"),
            aws_endpoint=_endpoint(env, "PAYCASE_AWS_ENDPOINT"),
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def dynamodb_url(self) -> str:
        return self.dynamodb_endpoint or f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def moto_url(self) -> str:
        return self.aws_endpoint or f"http://127.0.0.1:{self.moto_port}"

    @property
    def clock_file(self) -> Path:
        """The test clock's offset, shared by the API, the runner and moto's delivery log."""
        return self.data_dir / "clock.json"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def logs(self) -> Path:
        return self.data_dir / "logs"

    def secrets(self) -> dict[str, str]:
        """Keys generated on first start and kept with the data (a reset makes new ones)."""
        path = self.data_dir / "secrets.json"
        if path.exists():
            stored: dict[str, str] = json.loads(path.read_text())
            return stored
        self.data_dir.mkdir(parents=True, exist_ok=True)
        values = {
            "token_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "local_secret_key": base64.b64encode(secrets.token_bytes(32)).decode(),
            "webhook_secret": "whsec_" + secrets.token_urlsafe(32),
        }
        path.write_text(json.dumps(values, indent=2))
        path.chmod(0o600)
        return values

    def app_environment(self) -> dict[str, str]:
        """The environment the API, the runner and the seeding run with: the stack's own, and
        the limits a developer (or a load test) set in the shell."""
        keys = self.secrets()
        limits = {name: value for name, value in os.environ.items() if name in LIMIT_VARIABLES}
        return {
            **limits,
            "PAYCASE_STAGE": "local",
            "PAYCASE_TABLE_PREFIX": self.table_prefix,
            "PAYCASE_DYNAMODB_ENDPOINT": self.dynamodb_url,
            "PAYCASE_AWS_ENDPOINT": self.moto_url,
            "PAYCASE_CLOCK_FILE": str(self.clock_file),
            "PAYCASE_TOKEN_KEY": keys["token_key"],
            "PAYCASE_LOCAL_SECRET_KEY": keys["local_secret_key"],
            "PAYCASE_WEBHOOK_SECRET": keys["webhook_secret"],
            "PAYCASE_EMAIL_FROM": EMAIL_FROM,
            "PAYCASE_SCHEDULE_GROUP": "paycase-local",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "PYTHONUNBUFFERED": "1",
        }
