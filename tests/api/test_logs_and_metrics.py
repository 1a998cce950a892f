"""What operations can see: structured JSON log lines that name the case and its correlation
id but never a person's details, and the metrics the alarms watch."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.stub import Stubber

from tests.api.conftest import Api
from tests.api.desk import Desk
from tests.api.merchants import Merchants
from tests.builders import complaint

PHONE = "13912345678"
EMAIL = "wang.xiaoli.private@example.com"
DESCRIPTION = "扫码付款后银行卡已扣款但商户显示未收到 订单尾号7781 WANGXIAOLI-SECRET-STORY"
MESSAGE = "我补充一下：付款截图在相册里 CUSTOMER-OWN-WORDS-4471"


def _lines(captured: str) -> list[dict[str, Any]]:
    """Every JSON object a function printed (log lines and metric lines)."""
    out = []
    for line in captured.splitlines():
        if line.startswith("{"):
            out.append(json.loads(line))
    return out


def _run_everything(api: Api, desk: Desk, merchants: Merchants) -> dict[str, str]:
    """Every handler once, on a complaint full of personal data; returns the secrets seen."""
    filed = desk.file(
        description=DESCRIPTION,
        contact={"phone": PHONE, "email": EMAIL},
        payment={"transaction_id": "TXN-LOG-1", "merchant_id": "M100001", "amount_fen": 5200},
    )
    case_id, token = filed["case_id"], filed["access_token"]
    agent = desk.staff("agent")
    desk.move(case_id, "accepted")
    said = api.post(f"/v1/cases/{case_id}/messages", {"text": MESSAGE}, desk.auth(token))
    assert said.status_code == 201
    # a one-time code and a session
    assert api.post("/v1/otp", {"phone": PHONE}).status_code == 202
    # the SMS provider refusing a number, with the number in its error text
    sns = api.container.client("sns")
    with Stubber(sns) as stub:
        for _ in range(3):
            stub.add_client_error(
                "publish",
                "InvalidParameter",
                f"Invalid parameter: PhoneNumber Reason: +86{PHONE} is not valid to publish",
                http_status_code=400,
            )
        api.drain()
    api.drain()
    # a payment event, a signed merchant query, a TD reply, an SES bounce, timers, the sweeper
    paid = merchants.event("payment.succeeded", transaction_id="TXN-LOG-1", amount_fen=5200)
    assert paid.status_code == 200
    query = merchants.ask("M100001", transaction_id="TXN-NONE", amount_fen=1)
    assert query.status_code == 200
    reply = json.dumps({"originationNumber": f"+86{PHONE}", "messageBody": "TD"})
    api.client.lambda_.invoke("inbound_sms", api.client.events.generate_sns_event(message=reply))
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": EMAIL}]},
        "mail": {"messageId": "m-1", "destination": [EMAIL]},
    }
    event = api.client.events.generate_sns_event(message=json.dumps(bounce))
    api.client.lambda_.invoke("ses_events", event)
    desk.advance(days=3)
    tick = api.client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    api.client.lambda_.invoke("sweeper", tick)
    return {
        "access token": token,
        "staff token": agent,
        "merchant secret": merchants.secrets["M100001"],
        "webhook secret": str(api.container.settings.webhook_secret, "utf-8"),
    }


def test_no_log_line_carries_a_persons_details_or_a_credential(
    api: Api, desk: Desk, merchants: Merchants, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN every handler run on a complaint full of personal data (and a provider error that
    # quotes the phone number)
    secrets = _run_everything(api, desk, merchants)
    captured = capfd.readouterr()
    text = captured.out + captured.err
    # WHEN every line the functions printed is searched
    forbidden = {
        "phone": PHONE,
        "phone, international": f"+86{PHONE}",
        "email": EMAIL,
        "description": "WANGXIAOLI-SECRET-STORY",
        "customer's message": "CUSTOMER-OWN-WORDS-4471",
        **secrets,
    }
    # THEN none of them is there
    found = [what for what, value in forbidden.items() if value in text]
    assert found == []
    # AND the log lines are JSON that name the function's case and correlation id
    logs = [line for line in _lines(captured.out) if "level" in line]
    assert logs, "the run logged nothing: the test would prove nothing"
    about_cases = [line for line in logs if line.get("case_id")]
    assert about_cases and all(line.get("correlation_id") for line in about_cases)
    assert {line["service"] for line in logs} == {"paycase"}


def test_metrics_count_what_the_alarms_watch(
    api: Api, desk: Desk, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a complaint whose first response is not made in time
    desk.file(contact={"phone": PHONE, "email": EMAIL})
    api.drain()
    desk.advance(days=2)
    # WHEN the metric lines are read
    metrics = [line for line in _lines(capfd.readouterr().out) if "_aws" in line]
    names = [(m["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"], m) for m in metrics]
    # THEN they are in the PayCase namespace, by low-cardinality dimensions, and count the
    # filing, the messages and the breach
    assert {m["_aws"]["CloudWatchMetrics"][0]["Namespace"] for _, m in names} == {"PayCase"}
    filed = [m for n, m in names if n == "ComplaintsFiled"]
    assert [m["category"] for m in filed] == ["payment_anomaly"]
    sent = {m["channel"] for n, m in names if n == "MessagesSent"}
    assert sent == {"sms", "email"}
    breaches = [m.get("clock") for n, m in names if n == "SlaBreaches"]
    assert "first_response" in breaches
    # AND the alarmed ones are also counted by service alone, which their alarm watches
    assert breaches.count(None) == len(breaches) - breaches.count(None) > 0
    for _, m in names:
        dimensions = set(m["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0])
        assert dimensions <= {"service", "category", "channel", "clock", "verdict", "type"}


def test_an_unavailable_answer_is_counted(api: Api, capfd: pytest.CaptureFixture[str]) -> None:
    # GIVEN DynamoDB throttling every write (botocore's own Stubber)
    client = api.container.dynamodb.client  # the transaction connection's botocore client
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_client_error(
                "transact_write_items",
                "ProvisionedThroughputExceededException",
                http_status_code=400,
            )
        stub.add_response("batch_get_item", {"Responses": {}})
        # WHEN a complaint is filed / THEN it is a 503, and counted
        answer = api.file(complaint())
    assert answer.status_code == 503
    names = [
        line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
        for line in _lines(capfd.readouterr().out)
        if "_aws" in line
    ]
    assert "Unavailable503" in names
