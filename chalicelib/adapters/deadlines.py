"""How long any AWS call may take, and how often botocore tries it: chosen so that an API
request always answers within API Gateway's 29 seconds, and a consumer's batch within its
function's timeout.

A DynamoDB call that keeps failing costs at most 3 attempts x (1 s to connect + 2 s to read)
plus botocore's back-off between them (at most 1 s, then 2 s): 12 s. A request stops at its
first failed call (it answers 503), so even a request whose earlier calls each took nearly
their whole read timeout answers well inside 29 s; the API function's own timeout is 28 s.

SMS and email sends are tried once by botocore: a send that timed out may have been delivered,
and only the dispatcher, which records each attempt first, may decide to try again.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CallBudget:
    connect_seconds: int
    read_seconds: int
    attempts: int  # in all, the first one included

    def botocore_config(self) -> dict[str, object]:
        """Keyword arguments for botocore.config.Config."""
        return {
            "connect_timeout": self.connect_seconds,
            "read_timeout": self.read_seconds,
            "retries": {"mode": "standard", "total_max_attempts": self.attempts},
        }


DYNAMODB = CallBudget(connect_seconds=1, read_seconds=2, attempts=3)
# EventBridge Scheduler, KMS, SQS: small control-plane calls.
CONTROL = CallBudget(connect_seconds=1, read_seconds=3, attempts=3)
# SNS Publish and SES SendEmail: never repeated by botocore.
SEND = CallBudget(connect_seconds=1, read_seconds=5, attempts=1)
SEND_SERVICES = frozenset({"sns", "sesv2"})


def budget_for(service: str) -> CallBudget:
    if service == "dynamodb":
        return DYNAMODB
    return SEND if service in SEND_SERVICES else CONTROL
