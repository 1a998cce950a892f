"""The store contracts on the real engine."""

from __future__ import annotations

import pytest

from chalicelib import wiring
from chalicelib.services.desk_ports import EvidenceReads
from chalicelib.services.ports import (
    DeskStore,
    MerchantDirectory,
    MetricsStore,
    NotificationLog,
    StaffDirectory,
)
from tests.contracts import CaseStoreContract, NotificationLogContract, PaymentStoreContract
from tests.contracts_desk import (
    AuditLogContract,
    MerchantSecretContract,
    SearchIndexContract,
    StaffCredentialsContract,
)
from tests.contracts_directories import (
    MerchantDirectoryContract,
    MetricsStoreContract,
    StaffDirectoryContract,
)
from tests.contracts_evidence import EvidenceStoreContract
from tests.contracts_keys import KeyStoreContract
from tests.contracts_outbox import OutboxStoreContract

pytestmark = pytest.mark.integration


class TestDynamoDBLocalCaseStore(CaseStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store


class TestDynamoDBLocalKeyStore(KeyStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store


class TestDynamoDBLocalNotificationLog(NotificationLogContract):
    @pytest.fixture
    def log(self, container: wiring.Container) -> NotificationLog:
        return container.notifications


class TestDynamoDBLocalPaymentStore(PaymentStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> object:
        return container.store

    @pytest.fixture
    def payments(self, container: wiring.Container) -> object:
        return container.payments


class TestDynamoDBLocalOutboxStore(OutboxStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store


class TestDynamoDBLocalStaffDirectory(StaffDirectoryContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def staff_directory(self, container: wiring.Container) -> StaffDirectory:
        return container.staff_directory


class TestDynamoDBLocalMerchantDirectory(MerchantDirectoryContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def merchant_directory(self, container: wiring.Container) -> MerchantDirectory:
        return container.merchant_directory


class TestDynamoDBLocalMetricsStore(MetricsStoreContract):
    @pytest.fixture
    def metrics_store(self, container: wiring.Container) -> MetricsStore:
        return container.metrics_store


class TestDynamoDBLocalEvidenceStore(EvidenceStoreContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def files(self, container: wiring.Container) -> EvidenceReads:
        return container.evidence_files


class TestDynamoDBLocalStaffCredentials(StaffCredentialsContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def staff_directory(self, container: wiring.Container) -> StaffDirectory:
        return container.staff_directory


class TestDynamoDBLocalMerchantSecrets(MerchantSecretContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def merchant_directory(self, container: wiring.Container) -> MerchantDirectory:
        return container.merchant_directory


class TestDynamoDBLocalAuditLog(AuditLogContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def audit_log(self, container: wiring.Container) -> object:
        return container.audit_log


class TestDynamoDBLocalSearchIndex(SearchIndexContract):
    @pytest.fixture
    def store(self, container: wiring.Container) -> DeskStore:
        return container.store

    @pytest.fixture
    def search_index(self, container: wiring.Container) -> object:
        return container.search_index
