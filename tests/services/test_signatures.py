"""The published signing helper against the server's verification: what one signs, the other
accepts; and the helper's command line prints a curl command that carries a valid signature."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

import pytest

from chalicelib.adapters.secrets import LocalSecretBox
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import Unauthorized
from chalicelib.services.merchants import MerchantService
from chalicelib.services.signatures import MerchantSignatures, WebhookSignatures
from clients import paycase_sign
from tests.fakes import FakeMerchantDirectory, FakeStore

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PATH = "/v1/merchant/payment-queries"


@pytest.fixture
def verifier() -> tuple[MerchantSignatures, str]:
    clock = FixedClock(NOW)
    store = FakeStore()
    directory = FakeMerchantDirectory(store)
    service = MerchantService(store, LocalSecretBox(b"k" * 32), clock)
    _, secret = service.register(
        {"merchant_id": "M100001", "name": "演示商户", "email": "pay@m.example.com"}
    )
    return MerchantSignatures(directory, service, store, clock), secret


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def test_what_the_helper_signs_the_server_accepts(
    verifier: tuple[MerchantSignatures, str],
) -> None:
    signatures, secret = verifier
    body = b'{"transaction_id":"T-1","amount_fen":100}'
    headers = paycase_sign.sign_request(
        "M100001", secret, "POST", PATH, body, timestamp=int(NOW.timestamp())
    )
    assert signatures.verify("POST", PATH, _lower(headers), body).merchant.merchant_id == "M100001"


def test_the_method_is_part_of_the_signature(verifier: tuple[MerchantSignatures, str]) -> None:
    signatures, secret = verifier
    headers = paycase_sign.sign_request(
        "M100001", secret, "GET", PATH, b"", timestamp=int(NOW.timestamp())
    )
    with pytest.raises(Unauthorized):
        signatures.verify("POST", PATH, _lower(headers), b"")


def test_the_command_line_prints_a_signed_curl(
    verifier: tuple[MerchantSignatures, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    signatures, secret = verifier
    monkeypatch.setenv("PAYCASE_MERCHANT_SECRET", secret)
    monkeypatch.setattr(paycase_sign.time, "time", lambda: NOW.timestamp())
    body = '{"order_id":"ORD-1","amount_fen":100}'
    code = paycase_sign.main(
        ["--merchant", "M100001", "--url", "https://api.example.com/", "POST", PATH, body]
    )
    assert code == 0
    words = shlex.split(capsys.readouterr().out)
    assert words[:5] == ["curl", "-sS", "-X", "POST", "https://api.example.com" + PATH]
    headers = dict(words[i + 1].split(": ", 1) for i, word in enumerate(words) if word == "-H")
    assert words[-2:] == ["--data-binary", body]
    merchant = signatures.verify("POST", PATH, _lower(headers), body.encode()).merchant
    assert merchant.merchant_id == "M100001"


def test_the_command_line_needs_the_secret_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PAYCASE_MERCHANT_SECRET", raising=False)
    assert paycase_sign.main(["--merchant", "M100001", "GET", "/v1/merchant/cases"]) == 2
    assert "PAYCASE_MERCHANT_SECRET" in capsys.readouterr().err


def test_webhook_helper_and_server_agree() -> None:
    server = WebhookSignatures(b"whsec_x", FixedClock(NOW))
    body = b'{"id":"evt_1"}'
    server.verify(paycase_sign.sign_webhook("whsec_x", body, timestamp=int(NOW.timestamp())), body)
    with pytest.raises(Unauthorized):
        server.verify(
            paycase_sign.sign_webhook("whsec_y", body, timestamp=int(NOW.timestamp())), body
        )


def test_without_a_webhook_secret_every_call_is_refused() -> None:
    server = WebhookSignatures(None, FixedClock(NOW))
    body = b"{}"
    with pytest.raises(Unauthorized):
        server.verify(paycase_sign.sign_webhook("", body, timestamp=int(NOW.timestamp())), body)
