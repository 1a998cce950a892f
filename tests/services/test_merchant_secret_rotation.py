"""A rotated merchant secret over time: the replaced one signs for exactly 24 hours, judged on
the signature verifier's clock, and a warm verifier takes the new secret at once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.errors import Unauthorized
from chalicelib.services.entities import StaffMember
from chalicelib.services.merchants import PREVIOUS_SECRET_GRACE, MerchantService
from chalicelib.services.signatures import MerchantSignatures
from clients.paycase_sign import sign_request
from tests.services.conftest import Desk

ADMIN = StaffMember("stf_admin", "欧阳晓雯", "admin")
_nonces = iter(range(10_000))


def _services(desk: Desk) -> tuple[MerchantService, MerchantSignatures]:
    c = desk.container
    merchants = MerchantService(c.store, c.secret_box, desk.clock, c.merchant_directory, desk.clock)
    signatures = MerchantSignatures(c.merchant_directory, merchants, c.store, desk.clock)
    return merchants, signatures


def _signs(signatures: MerchantSignatures, desk: Desk, secret: str) -> bool:
    stamp = int(desk.clock.now().timestamp())
    headers = sign_request(
        "M100001",
        secret,
        "GET",
        "/v1/merchant/cases",
        timestamp=stamp,
        nonce=f"n{next(_nonces):07d}",
    )
    lowered = {k.lower(): v for k, v in headers.items()}
    try:
        signatures.verify("GET", "/v1/merchant/cases", lowered, b"")
    except Unauthorized:
        return False
    return True


@pytest.fixture
def rotated(desk: Desk) -> tuple[MerchantSignatures, str, str]:
    merchants, signatures = _services(desk)
    _, old = merchants.register(
        {"merchant_id": "M100001", "name": "杭州小店", "email": "shop@example.com"}
    )
    assert _signs(signatures, desk, old)  # the verifier now holds the old secret, warm
    new = merchants.rotate_secret(ADMIN, "M100001")["secret"]
    return signatures, old, new


def test_rotation_new_secret_works_at_once_even_on_a_warm_verifier(
    desk: Desk, rotated: tuple[MerchantSignatures, str, str]
) -> None:
    signatures, old, new = rotated
    assert _signs(signatures, desk, new)
    assert _signs(signatures, desk, old)


def test_rotation_old_secret_works_until_24_hours_then_401(
    desk: Desk, rotated: tuple[MerchantSignatures, str, str]
) -> None:
    signatures, old, new = rotated
    # GIVEN one second before the replaced secret's time is up, it still signs
    desk.clock.advance(PREVIOUS_SECRET_GRACE.total_seconds() - 1)
    assert _signs(signatures, desk, old)
    # WHEN its 24 hours are up THEN it is refused, and the new one still signs
    desk.clock.advance(1)
    assert not _signs(signatures, desk, old)
    assert _signs(signatures, desk, new)


def test_rotation_old_secret_is_refused_later_too(
    desk: Desk, rotated: tuple[MerchantSignatures, str, str]
) -> None:
    signatures, old, new = rotated
    desk.clock.advance(timedelta(days=30).total_seconds())
    assert not _signs(signatures, desk, old)
    assert _signs(signatures, desk, new)
