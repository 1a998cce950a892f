"""The failure-queue adapter on moto's SQS."""

from __future__ import annotations

from chalicelib import wiring
from chalicelib.adapters.queues import SqsFailureQueue


def test_a_received_failure_is_gone_once_deleted(container: wiring.Container) -> None:
    # GIVEN a queue holding one failed invocation
    sqs = container.client("sqs")
    url = sqs.create_queue(QueueName="paycase-test-async-failures")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody='{"case_id": "c1", "clock_epoch": 2}')
    queue = SqsFailureQueue(sqs, url)
    # WHEN it is received / THEN its body is what was queued, hidden from a second reader
    [failure] = queue.receive(10)
    assert failure.body == '{"case_id": "c1", "clock_epoch": 2}'
    assert queue.receive(10) == []
    # WHEN it is deleted / THEN nothing is left in the queue
    queue.delete(failure)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert attributes == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
