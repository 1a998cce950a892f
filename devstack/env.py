"""Where the local stack keeps its data and which ports and secrets it uses."""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "ap-southeast-1"
EMAIL_FROM = "PayCase <no-reply@paycase.local>"


@dataclass(frozen=True)
class LocalEnv:
    """One local stack: its data directory and ports. `make run` uses `.local/` and the default
    ports; tests start their own in a temporary directory on free ports."""

    data_dir: Path
    api_port: int = 8000
    dynamodb_port: int = 8001
    moto_port: int = 5001
    table_prefix: str = "paycase-local-"

    @classmethod
    def from_environ(cls) -> LocalEnv:
        return cls(
            data_dir=Path(os.environ.get("PAYCASE_LOCAL_DIR", ROOT / ".local")),
            api_port=int(os.environ.get("PORT", "8000")),
            dynamodb_port=int(os.environ.get("DYNAMODB_PORT", "8001")),
            moto_port=int(os.environ.get("MOTO_PORT", "5001")),
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def dynamodb_url(self) -> str:
        return f"http://127.0.0.1:{self.dynamodb_port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

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
        """The environment the API, the runner and the seeding run with."""
        keys = self.secrets()
        return {
            "PAYCASE_STAGE": "local",
            "PAYCASE_TABLE_PREFIX": self.table_prefix,
            "PAYCASE_DYNAMODB_ENDPOINT": self.dynamodb_url,
            "PAYCASE_AWS_ENDPOINT": self.moto_url,
            "PAYCASE_CLOCK_FILE": str(self.data_dir / "clock.json"),
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
