"""The DynamoDB store keeps the CaseStore contract under moto."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.services.ports import CaseStore
from tests.contracts import CaseStoreContract, NotificationLogContract, PaymentStoreContract


class TestDynamoCaseStore(CaseStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> CaseStore:
        return container.store


class TestDynamoNotificationLog(NotificationLogContract):
    @pytest.fixture
    def log(self, container: wiring.Container) -> object:
        return container.notifications


class TestDynamoPaymentStore(PaymentStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> object:
        return container.store
