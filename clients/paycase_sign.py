#!/usr/bin/env python3
"""Sign requests to the PayCase merchant API. Standard library only: copy this file into your
project, or run it to print a ready curl command.

    from paycase_sign import sign_request

    body = json.dumps({"transaction_id": "TX1", "amount_fen": 2500}).encode()
    headers = sign_request("M100001", secret, "POST", "/v1/merchant/payment-queries", body)
    requests.post(base_url + "/v1/merchant/payment-queries", data=body,
                  headers={**headers, "Content-Type": "application/json"})

Sign the exact bytes you send, and the path without the host or query string. Each signature
is good for one request within 300 seconds of its timestamp.

Command line (the secret is read from PAYCASE_MERCHANT_SECRET, never from an argument):

    export PAYCASE_MERCHANT_SECRET=msk_...
    python paycase_sign.py --merchant M100001 --url http://127.0.0.1:8000 \\
        POST /v1/merchant/payment-queries '{"transaction_id": "TX1", "amount_fen": 2500}'
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import secrets
import shlex
import sys
import time

__all__ = ["canonical_string", "sign_request", "sign_webhook"]


def canonical_string(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    """METHOD, PATH, TIMESTAMP, NONCE and hex(SHA-256(body)), one per line."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{digest}".encode()


def sign_request(
    merchant_id: str,
    secret: str | bytes,
    method: str,
    path: str,
    body: bytes = b"",
    *,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The four X-PayCase-* headers for one merchant request."""
    key = secret.encode() if isinstance(secret, str) else secret
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    once = nonce or secrets.token_urlsafe(16)
    message = canonical_string(method, path, stamp, once, body)
    return {
        "X-PayCase-Merchant": merchant_id,
        "X-PayCase-Timestamp": stamp,
        "X-PayCase-Nonce": once,
        "X-PayCase-Signature": hmac.new(key, message, hashlib.sha256).hexdigest(),
    }


def sign_webhook(secret: str | bytes, body: bytes, *, timestamp: int | None = None) -> str:
    """The X-PayCase-Signature header of a payment-platform webhook call."""
    key = secret.encode() if isinstance(secret, str) else secret
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print a signed curl command for PayCase.")
    parser.add_argument("--merchant", required=True, help="your merchant id")
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API's base URL")
    parser.add_argument("method", choices=["GET", "POST"])
    parser.add_argument("path", help="e.g. /v1/merchant/payment-queries")
    parser.add_argument("body", nargs="?", default="", help="the JSON body (POST)")
    args = parser.parse_args(argv)
    secret = os.environ.get("PAYCASE_MERCHANT_SECRET")
    if not secret:
        print("set PAYCASE_MERCHANT_SECRET to your merchant secret", file=sys.stderr)
        return 2
    body = args.body.encode()
    headers = sign_request(args.merchant, secret, args.method, args.path, body)
    parts = ["curl", "-sS", "-X", args.method, args.url.rstrip("/") + args.path]
    for name, value in headers.items():
        parts += ["-H", f"{name}: {value}"]
    if body:
        parts += ["-H", "Content-Type: application/json", "--data-binary", args.body]
    print(shlex.join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
