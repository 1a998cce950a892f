"""PayCase on AWS Chalice: wiring only. Views live in chalicelib.api, use cases in
chalicelib.services; nothing here touches AWS at import."""

from __future__ import annotations

import os
from typing import Any

from chalice import Chalice

from chalicelib import handlers
from chalicelib.api import customer, incidents, merchant, ops, routing, staff, system
from chalicelib.api.middleware import observe
from chalicelib.settings import LOCAL_STAGE, PLACEHOLDER_STREAM_ARN

STAGE = os.environ.get("PAYCASE_STAGE", LOCAL_STAGE)
app = Chalice(app_name="paycase")
app.register_middleware(observe, "all")
app.register_blueprint(system.bp)
app.register_blueprint(customer.bp)
app.register_blueprint(staff.bp)
app.register_blueprint(incidents.bp)
app.register_blueprint(merchant.bp)
app.register_blueprint(ops.bp)
routing.install(app)  # a method a path does not take: 405 in the API's error format

if STAGE == LOCAL_STAGE:
    from chalicelib.api import dev

    app.register_blueprint(dev.bp)


@app.lambda_function(name="sla_timer")
def sla_timer(event: Any, context: Any) -> dict[str, str]:
    return handlers.sla_timer(event)


@app.on_dynamodb_record(
    stream_arn=os.environ.get("PAYCASE_OUTBOX_STREAM_ARN", PLACEHOLDER_STREAM_ARN),
    batch_size=25,
    starting_position="TRIM_HORIZON",
    name="outbox_consumer",
)
def outbox_consumer(event: Any) -> dict[str, list[dict[str, str]]]:
    return handlers.outbox_records(event)


@app.on_sns_message(topic=f"paycase-{STAGE}-inbound-sms", name="inbound_sms")
def inbound_sms(event: Any) -> dict[str, str]:
    return handlers.inbound_sms(event.message)


@app.on_sns_message(topic=f"paycase-{STAGE}-ses-events", name="ses_events")
def ses_events(event: Any) -> dict[str, int]:
    return handlers.ses_events(event.message)


@app.lambda_function(name="sms_receipts")
def sms_receipts(event: Any, context: Any) -> dict[str, int]:
    """Invoked by the CloudWatch Logs subscription filters on SNS's SMS delivery-status logs
    (infra/resources.json)."""
    return handlers.sms_receipts(event)


@app.schedule("rate(5 minutes)", name="sweeper")
def sweeper(event: Any) -> dict[str, int]:
    context = getattr(event, "context", None)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return handlers.sweeper(remaining)
