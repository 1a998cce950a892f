"""SQS queues that hold failed asynchronous invocations (Lambda on-failure destinations and
EventBridge Scheduler's dead-letter queue)."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.errors import aws_call
from chalicelib.services.entities import QueuedFailure

# Long enough for the sweeper to run the failure again before SQS shows it to another reader.
VISIBILITY_SECONDS = 300


class SqsFailureQueue:
    def __init__(self, client: Any, url: str) -> None:
        self._client = client
        self._url = url

    def receive(self, limit: int) -> list[QueuedFailure]:
        with aws_call("sqs"):
            answer = self._client.receive_message(
                QueueUrl=self._url,
                MaxNumberOfMessages=min(limit, 10),
                VisibilityTimeout=VISIBILITY_SECONDS,
                WaitTimeSeconds=0,
            )
        return [QueuedFailure(m["ReceiptHandle"], m["Body"]) for m in answer.get("Messages", [])]

    def delete(self, failure: QueuedFailure) -> None:
        with aws_call("sqs"):
            self._client.delete_message(QueueUrl=self._url, ReceiptHandle=failure.receipt)
