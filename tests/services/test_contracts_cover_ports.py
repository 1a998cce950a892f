"""Every method of every storage port, and every part of a change, is exercised by the
contracts that run on the fakes, moto and DynamoDB Local: a new method without a contract test
fails here."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from chalicelib.services import desk_ports, ports
from chalicelib.services.changes import Changes
from tests import (
    contracts,
    contracts_desk,
    contracts_directories,
    contracts_evidence,
    contracts_keys,
    contracts_outbox,
)

CONTRACTS = {
    ports.Transactions: (contracts.CaseStoreContract,),
    ports.CaseReads: (contracts.CaseStoreContract,),
    ports.KeyReads: (contracts_keys.KeyStoreContract,),
    ports.OutboxStore: (contracts_outbox.OutboxStoreContract,),
    ports.NotificationLog: (contracts.NotificationLogContract,),
    ports.PaymentStore: (contracts.PaymentStoreContract,),
    ports.StaffDirectory: (
        contracts_directories.StaffDirectoryContract,
        contracts_desk.StaffCredentialsContract,
    ),
    ports.MerchantDirectory: (contracts_directories.MerchantDirectoryContract,),
    ports.MetricsStore: (contracts_directories.MetricsStoreContract,),
    desk_ports.EvidenceReads: (contracts_evidence.EvidenceStoreContract,),
    desk_ports.AuditLog: (contracts_desk.AuditLogContract,),
    desk_ports.SearchIndex: (contracts_desk.SearchIndexContract,),
}


def test_the_desk_store_is_its_parts() -> None:
    # the desk's store is exactly the ports above: a method added to it alone has no contract
    assert set(ports.DeskStore.__mro__[1:5]) == {
        ports.Transactions,
        ports.CaseReads,
        ports.KeyReads,
        ports.OutboxStore,
    }
    assert _methods(ports.DeskStore) == []


def _methods(port: type) -> list[str]:
    return [
        name
        for name, value in vars(port).items()
        if inspect.isfunction(value) and not name.startswith("_")
    ]


@pytest.mark.parametrize("port", list(CONTRACTS), ids=lambda p: p.__name__)
def test_every_port_method_is_called_by_its_contract(port: type) -> None:
    source = "".join(inspect.getsource(c) for c in CONTRACTS[port])
    missing = [name for name in _methods(port) if f".{name}(" not in source]
    assert _methods(port), port
    assert missing == [], f"{port.__name__}: no contract test calls {missing}"


def test_every_part_of_a_change_is_committed_by_a_contract() -> None:
    store_parts = (ports.Transactions, ports.CaseReads, ports.KeyReads, ports.OutboxStore)
    source = "".join(inspect.getsource(c) for part in store_parts for c in CONTRACTS[part])
    source += inspect.getsource(contracts.PaymentStoreContract)
    source += inspect.getsource(contracts_directories)  # accounts are written by commits too
    source += inspect.getsource(contracts_evidence)  # files are written with their case
    source += inspect.getsource(contracts_desk)
    parts = [f.name for f in dataclasses.fields(Changes) if f.name != "now"]
    assert [p for p in parts if f"{p}=" not in source] == []
