"""The fakes keep the store contracts (the same tests run on moto and DynamoDB Local)."""

from __future__ import annotations

import pytest

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
from tests.fakes import (
    FakeAuditLog,
    FakeMerchantDirectory,
    FakeMetricsStore,
    FakeNotificationLog,
    FakePaymentStore,
    FakeSearchIndex,
    FakeStaffDirectory,
    FakeStore,
)


class TestFakeCaseStore(CaseStoreContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()


class TestFakeKeyStore(KeyStoreContract):
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

    @pytest.fixture
    def payments(self, store: FakeStore) -> FakePaymentStore:
        return FakePaymentStore(store)


class TestFakeOutboxStore(OutboxStoreContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()


class TestFakeStaffDirectory(StaffDirectoryContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def staff_directory(self, store: FakeStore) -> FakeStaffDirectory:
        return FakeStaffDirectory(store)


class TestFakeMerchantDirectory(MerchantDirectoryContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def merchant_directory(self, store: FakeStore) -> FakeMerchantDirectory:
        return FakeMerchantDirectory(store)


class TestFakeMetricsStore(MetricsStoreContract):
    @pytest.fixture
    def metrics_store(self) -> FakeMetricsStore:
        return FakeMetricsStore()


class TestFakeEvidenceStore(EvidenceStoreContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def files(self, store: FakeStore) -> FakeStore:
        return store


class TestFakeStaffCredentials(StaffCredentialsContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def staff_directory(self, store: FakeStore) -> FakeStaffDirectory:
        return FakeStaffDirectory(store)


class TestFakeMerchantSecrets(MerchantSecretContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def merchant_directory(self, store: FakeStore) -> FakeMerchantDirectory:
        return FakeMerchantDirectory(store)


class TestFakeAuditLog(AuditLogContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def audit_log(self, store: FakeStore) -> FakeAuditLog:
        return FakeAuditLog(store)


class TestFakeSearchIndex(SearchIndexContract):
    @pytest.fixture
    def store(self) -> FakeStore:
        return FakeStore()

    @pytest.fixture
    def search_index(self, store: FakeStore) -> FakeSearchIndex:
        return FakeSearchIndex(store)
