"""Creating the local tables and AWS resources, and seeding the demo staff and merchant."""

from __future__ import annotations

import contextlib
import json
import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from chalicelib.adapters.dynamo.models import MODELS, TTL_MODELS
from chalicelib.adapters.errors import error_code, is_transient
from chalicelib.domain.errors import DuplicateOpenCase
from chalicelib.domain.ids import hash_token
from chalicelib.services.complaints import case_access_token
from chalicelib.wiring import Container
from devstack.env import LocalEnv

STAFF = {
    "admin": "演示管理员 Demo Admin",
    "supervisor": "演示主管 Demo Supervisor",
    "agent": "演示客服 Demo Agent",
    "reviewer": "演示复核员 Demo Reviewer",
}
DEMO_MERCHANT = {
    "merchant_id": "M100001",
    "name": "演示咖啡店 Demo Coffee",
    "email": "finance@demo-coffee.example",
    "phone": "13900139000",
}
DEMO_COMPLAINT = {
    "category": "payment_anomaly",
    "description": "扣款成功但订单仍显示待支付，请帮忙核实。"
    "Charged but the order still shows unpaid.",
    "contact": {"phone": "13800138000", "email": "zhang.san@example.com", "language": "zh-CN"},
    "payment": {"transaction_id": "DEMO-TXN-0001", "merchant_id": "M100001", "amount_fen": 3880},
    "channel": "app",
}


def provision(container: Container) -> None:
    """Tables (with streams, indexes and TTL), the schedule group, the SES sender and the
    evidence bucket.
    Safe to repeat: what exists is left alone."""
    _ = container.dynamodb  # binds the models to the local tables
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
            if model in TTL_MODELS:
                with contextlib.suppress(Exception):  # TTL is an optimisation locally
                    model.update_ttl(ignore_update_ttl_errors=True)
    scheduler = container.client("scheduler")
    _ignore(
        scheduler.create_schedule_group, "ConflictException", Name=container.settings.schedule_group
    )
    ses = container.client("sesv2")
    sender = parseaddr(container.settings.email_from)[1]
    _ignore(ses.create_email_identity, "AlreadyExistsException", EmailIdentity=sender)
    s3 = container.client("s3")
    _ignore(
        s3.create_bucket,
        "BucketAlreadyOwnedByYou",
        Bucket=container.settings.evidence_bucket,
        CreateBucketConfiguration={"LocationConstraint": container.settings.region},
    )


# The app's clients give moto one short attempt per send; setting up is done once and may wait
# out a busy machine instead.
SETUP_TRIES = 5


def _ignore(call: Any, code: str, **kwargs: Any) -> None:
    """One idempotent setup call: `code` means it was already done; a transient error (a
    timeout on a loaded machine) is tried again."""
    for attempt in range(1, SETUP_TRIES + 1):
        try:
            call(**kwargs)
            return
        except Exception as exc:
            if error_code(exc) == code:
                return
            if attempt == SETUP_TRIES or not is_transient(exc):
                raise
            time.sleep(attempt)


def seed(container: Container, env: LocalEnv) -> dict[str, Any]:
    """Demo staff (one per role) and a demo merchant. Tokens from an earlier run are kept when
    they still work, so a restart prints the same credentials."""
    previous: dict[str, Any] = {}
    if env.credentials_file.exists():
        previous = json.loads(env.credentials_file.read_text())
    tokens: dict[str, str] = {}
    staff_ids: dict[str, str] = {}
    for role, name in STAFF.items():
        token = previous.get("staff_tokens", {}).get(role)
        member = container.staff_directory.by_token_hash(hash_token(token)) if token else None
        if token and member:
            tokens[role], staff_ids[role] = token, member.staff_id
        else:
            body = {"name": name, "role": role, "team": "demo", "email": f"{role}@desk.example.com"}
            member, tokens[role] = container.staff.create(body)
            staff_ids[role] = member.staff_id
    merchant = container.merchant_directory.get(DEMO_MERCHANT["merchant_id"])
    if merchant is None:
        merchant, secret = container.merchants.register(DEMO_MERCHANT)
    else:
        secret = container.merchants.secret(merchant).decode()
    credentials = {
        "api": env.api_url,
        "staff_tokens": tokens,
        "staff_ids": staff_ids,
        "merchants": [{"merchant_id": merchant.merchant_id, "secret": secret}],
        "webhook_secret": env.secrets()["webhook_secret"],
    }
    env.credentials_file.write_text(json.dumps(credentials, indent=2, ensure_ascii=False))
    env.credentials_file.chmod(0o600)
    return credentials


def demo_complaint(container: Container) -> dict[str, Any] | None:
    """File the demo complaint once; a restart replays it, or, once its idempotency window has
    passed on the test clock, finds it still open. Either way the answer names the case and its
    access token; None once the demo case has closed."""
    try:
        filed = container.complaints.file(DEMO_COMPLAINT, idempotency_key="demo-complaint-1")
    except DuplicateOpenCase as open_case:
        if open_case.case_id is None:
            return None
        token = case_access_token(container.settings.token_key, open_case.case_id)
        return {
            "case_id": open_case.case_id,
            "case_number": open_case.case_number,
            "access_token": token,
        }
    return filed.body


def save_demo_case(env: LocalEnv, credentials: dict[str, Any], demo: dict[str, Any] | None) -> None:
    """Add the demo complaint (its case id, number and access token) to the credentials file."""
    if demo is None:
        credentials.pop("demo_case", None)
    else:
        credentials["demo_case"] = {k: demo[k] for k in ("case_id", "case_number", "access_token")}
    env.credentials_file.write_text(json.dumps(credentials, indent=2, ensure_ascii=False))
    env.credentials_file.chmod(0o600)


DEMO_SCREENSHOT = Path(__file__).resolve().parent / "demo" / "payment-screenshot.png"
DEMO_FILENAME = "支付成功截图.png"


def demo_evidence(container: Container, demo: dict[str, Any] | None) -> None:
    """The demo customer's screenshot of the "payment success" screen on the demo case, uploaded
    the way a client would (ask, store under the presigned key, complete); once only."""
    from chalicelib.services.evidence import Caller

    if demo is None:
        return
    case_id = demo["case_id"]
    data = DEMO_SCREENSHOT.read_bytes()
    s3, bucket = container.client("s3"), container.settings.evidence_bucket
    files = container.evidence_files.evidence_of(case_id)
    if files:
        # moto's server keeps objects in memory: after a restart, put the screenshot back
        for kept in files:
            if kept.filename == DEMO_FILENAME and kept.status.value == "available":
                s3.put_object(Bucket=bucket, Key=kept.file_key, Body=data, ContentType="image/png")
        return
    body = {
        "filename": DEMO_FILENAME,
        "content_type": "image/png",
        "size_bytes": len(data),
        "note": "付款页面显示支付成功 The wallet showed payment success",
    }
    customer = Caller.customer()
    asked = container.evidence.request(customer, case_id, body, None)
    fields = asked["upload"]["fields"]
    s3.put_object(
        Bucket=bucket,
        Key=fields["key"],
        Body=data,
        ContentType=fields["Content-Type"],
    )
    container.evidence.complete(customer, case_id, asked["evidence_id"])


def demo_payment(container: Container) -> None:
    """The demo complaint's payment, paid and not yet settled, as the payment platform would
    have reported it (a merchant asking about it hears `pending_settlement`)."""
    from datetime import timedelta

    from chalicelib.domain.ledger import PaymentEvent

    payment = DEMO_COMPLAINT["payment"]
    assert isinstance(payment, dict)  # noqa: S101 - the constant above
    container.payment_events.record(
        PaymentEvent(
            event_id="demo-evt-paid-0001",
            type="payment.succeeded",
            occurred_at=container.clock.now() - timedelta(minutes=30),
            transaction_id=payment["transaction_id"],
            merchant_id=payment["merchant_id"],
            order_id="DEMO-ORDER-0001",
            amount_fen=payment["amount_fen"],
        )
    )


def banner(credentials: dict[str, Any], demo: dict[str, Any] | None) -> str:
    api = credentials["api"]
    admin = credentials["staff_tokens"]["admin"]
    lines = [
        "",
        "PayCase local stack is up.",
        f"  API:              {api}   (OpenAPI: {api}/v1/openapi.json)",
        "  Staff (staff_id, then the token for Authorization: Bearer <token>):",
        *(
            f"    {role:<11} {credentials['staff_ids'][role]}  {token}"
            for role, token in credentials["staff_tokens"].items()
        ),
        "  Merchants (HMAC signing secrets):",
        *(f"    {m['merchant_id']:<11} {m['secret']}" for m in credentials["merchants"]),
        f"  Webhook secret:   {credentials['webhook_secret']}",
        "  Saved to .local/credentials.json.",
    ]
    if demo:
        lines += [
            f"  Demo complaint:   {demo['case_number']}",
            f"    curl -s {api}/v1/cases/{demo['case_id']} -H 'Authorization: Bearer "
            f"{demo['access_token']}'",
            "    its files (the customer's payment-success screenshot; README shows an upload):",
            f"    curl -s {api}/v1/cases/{demo['case_id']}/evidence -H 'Authorization: Bearer "
            f"{demo['access_token']}'",
        ]
    merchant = credentials["merchants"][0]
    payment = DEMO_COMPLAINT["payment"]
    assert isinstance(payment, dict)  # noqa: S101 - the constant above
    query = json.dumps(
        {"transaction_id": payment["transaction_id"], "amount_fen": payment["amount_fen"]}
    )
    lines += [
        "  Ask, as the demo merchant, whether the demo payment arrived (signed by the helper):",
        f"    PAYCASE_MERCHANT_SECRET={merchant['secret']} python3 clients/paycase_sign.py "
        f"--merchant {merchant['merchant_id']} --url {api} "
        f"POST /v1/merchant/payment-queries '{query}' | sh",
    ]
    lines += [
        "  Read the test clock (any staff token):",
        f"    curl -s {api}/v1/dev/clock -H 'Authorization: Bearer "
        f"{credentials['staff_tokens']['agent']}'",
        "  Move it a day ahead (admin token; at most 400 days past real time) and watch the "
        "deadlines fire:",
        f"    curl -s -X POST {api}/v1/dev/clock -H 'Authorization: Bearer {admin}' "
        "-H 'Content-Type: application/json' -d '{\"advance_seconds\": 86400}'",
        "Messages the stack sends are printed below. Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)
