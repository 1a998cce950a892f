"""The CaseStore and delivery-log contracts on the real engine."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.services.ports import CaseStore, NotificationLog
from tests.contracts import CaseStoreContract, NotificationLogContract, PaymentStoreContract

pytestmark = pytest.mark.integration


class TestDynamoDBLocalCaseStore(CaseStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> CaseStore:
        return container.store


class TestDynamoDBLocalNotificationLog(NotificationLogContract):
    @pytest.fixture
    def log(self, container: wiring.Container) -> NotificationLog:
        return container.notifications


class TestDynamoDBLocalPaymentStore(PaymentStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> object:
        return container.store
