"""The fake store keeps the CaseStore contract (the same tests run on DynamoDB)."""

from __future__ import annotations

import pytest

from tests.contracts import CaseStoreContract, NotificationLogContract, PaymentStoreContract
from tests.fakes import FakeNotificationLog, FakeStore


class TestFakeCaseStore(CaseStoreContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()


class TestFakeNotificationLog(NotificationLogContract):
    @pytest.fixture
    def log(self) -> FakeNotificationLog:
        return FakeNotificationLog()


class TestFakePaymentStore(PaymentStoreContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()
