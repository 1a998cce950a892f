"""The case store on DynamoDB: one TransactWriteItems per state change."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import DoesNotExist, TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.dynamo.audit import audit_to_model
from chalicelib.adapters.dynamo.cases import DynamoCaseReads
from chalicelib.adapters.dynamo.evidence import evidence_to_model
from chalicelib.adapters.dynamo.mapping import (
    case_to_model,
    entry_to_model,
    event_to_model,
    plain,
)
from chalicelib.adapters.dynamo.merchants import merchant_to_model, rotation_update
from chalicelib.adapters.dynamo.models import (
    AuditModel,
    CaseModel,
    KeyModel,
    LookupModel,
    MerchantModel,
    StaffModel,
)
from chalicelib.adapters.dynamo.outbox import DynamoOutboxStore
from chalicelib.adapters.dynamo.payments import payment_to_model, query_to_model
from chalicelib.adapters.dynamo.staff import staff_models, staff_update_items
from chalicelib.adapters.errors import aws_call, error_code, is_transient, unavailable
from chalicelib.domain.errors import VersionConflict
from chalicelib.services.changes import Changes, KeyClaim
from chalicelib.services.keys import merchant_key
from chalicelib.services.ports import KeyTaken, LimitReached

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Item:
    """What one transaction item was, to read its cancellation reason."""

    kind: str  # "absent" | "claim" | "case" | "counter" | "merchant" | "account" | "other"
    claim: KeyClaim | None = None
    key: str | None = None


class _TokenedWrite(TransactWrite):
    """A transaction whose ClientRequestToken is derived from its own content: the same change
    sent again (botocore's retry of a call whose answer was lost, or the same change committed
    again within 10 minutes) carries the same token, and DynamoDB applies it once, answering the
    repeat with success instead of a failed condition; other content gets another token, so a
    token never refuses a different change.

    Not for a transaction that counts (ADD to a counter): two tries of a one-time code in the
    same second are two tries even when their items are byte for byte the same, so a counting
    transaction keeps botocore's own token, made once per call (its retries reuse it)."""

    def __init__(self, *, counts: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._counts = counts

    def _commit(self) -> Any:
        if self._client_request_token is None and not self._counts:
            content = [
                self._condition_check_items,
                self._delete_items,
                self._put_items,
                self._update_items,
            ]
            raw = json.dumps(content, sort_keys=True, default=str).encode()
            self._client_request_token = hashlib.sha256(raw).hexdigest()[:36]
        return super()._commit()


class DynamoKeyReads:
    def get_key(self, key: str) -> dict[str, Any] | None:
        try:
            with aws_call("dynamodb"):
                model = KeyModel.get(key, consistent_read=True)
        except DoesNotExist:
            return None
        value: dict[str, Any] = plain(model.value)
        return _with_entries(value, model)

    def get_keys(self, keys: list[str]) -> dict[str, dict[str, Any]]:
        with aws_call("dynamodb"):
            found = KeyModel.batch_get(keys, consistent_read=True)
            return {model.key: _with_entries(plain(model.value), model) for model in found}


class DynamoDeskStore(DynamoCaseReads, DynamoKeyReads, DynamoOutboxStore):
    """The desk store: its reads are the parts it is made of (cases, keys, the outbox), and
    everything one change writes (cases, timelines, outbox events, keys, counters, the payment
    ledger, queries, accounts) goes through `commit`, in one transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    # -- writes ------------------------------------------------------------------------------

    def commit(self, changes: Changes) -> None:
        # PynamoDB sends deletes before puts; cancellation reasons come back in that order.
        deletes = [(KeyModel(key), _Item("other")) for key in changes.releases]
        puts: list[tuple[Any, Any, _Item]] = []
        # Claims go first among the puts so the first held key in claim order is reported.
        for claim in changes.claims:
            puts.append(
                (_claim_model(claim, changes.now), _claimable(changes.now), _Item("claim", claim))
            )
        for case in changes.new_cases:
            puts.append((case_to_model(case), CaseModel.case_id.does_not_exist(), _Item("case")))
        for case, read_version in changes.updated_cases:
            model = case_to_model(case)
            model.version = read_version  # PynamoDB checks it and writes read_version + 1
            puts.append((model, None, _Item("case")))
        puts += [(entry_to_model(e), None, _Item("other")) for e in changes.timeline]
        puts += [(event_to_model(e), None, _Item("other")) for e in changes.events]
        puts += [(_claim_model(k, changes.now), None, _Item("other")) for k in changes.key_puts]
        puts += [(payment_to_model(p), None, _Item("case")) for p in changes.payments]
        puts += [(query_to_model(q), None, _Item("other")) for q in changes.queries]
        # A file changes only with its case (whose version condition orders them).
        puts += [(evidence_to_model(e), None, _Item("other")) for e in changes.evidence]
        updates = self._accounts(changes, deletes, puts)
        # Append-only: an entry is put once and never replaced.
        for audited in changes.audit:
            condition = AuditModel.entry_id.does_not_exist()
            puts.append((audit_to_model(audited), condition, _Item("other")))
        puts += [
            (LookupModel(x.key, x.case_id, created_at=x.created_at), None, _Item("other"))
            for x in changes.lookups
        ]
        try:
            with _TokenedWrite(connection=self._connection, counts=bool(changes.counters)) as tx:
                for key in changes.absent:
                    tx.condition_check(KeyModel, key, condition=KeyModel.key.does_not_exist())
                for key_model, _ in deletes:
                    tx.delete(key_model)
                for put_model, condition, item in puts:
                    tx.save(
                        put_model,
                        condition=condition,
                        return_values="ALL_OLD" if item.kind == "claim" else None,
                    )
                for model, actions, condition in updates:
                    tx.update(model, actions=actions, condition=condition)
                _updates(tx, changes)
        except TransactWriteError as exc:
            appends = [_Item("other", key=a.key) for a in changes.appends]
            counters = [_Item("counter", key=c.key) for c in changes.counters]
            accounts = [_Item("account") for _ in updates]
            # In the transaction's order: condition checks, deletes, puts, updates.
            items = [_Item("absent", key=key) for key in changes.absent]
            items += [item for _, item in deletes] + [item for *_, item in puts]
            items += accounts + appends + counters
            self._raise_for(exc, items)

    @staticmethod
    def _accounts(
        changes: Changes,
        deletes: list[tuple[Any, _Item]],
        puts: list[tuple[Any, Any, _Item]],
    ) -> list[tuple[Any, list[Any], Any]]:
        """Add the account items of `changes` to `deletes` and `puts`; returns the account
        updates (model, actions, condition), each conditional on the credential it read."""
        for new in changes.staff:
            staff, token = staff_models(new, changes.now)
            puts.append((staff, StaffModel.staff_id.does_not_exist(), _Item("other")))
            puts.append((token, KeyModel.key.does_not_exist(), _Item("other")))
        for merchant in changes.merchants:
            puts.append(
                (
                    merchant_to_model(merchant),
                    MerchantModel.merchant_id.does_not_exist(),
                    _Item("merchant", key=merchant_key(merchant.merchant_id)),
                )
            )
        updates: list[tuple[Any, list[Any], Any]] = []
        for staff_update in changes.staff_updates:
            old_key, new_keys, actions, condition = staff_update_items(staff_update, changes.now)
            deletes.append((old_key, _Item("other")))
            puts += [(k, KeyModel.key.does_not_exist(), _Item("other")) for k in new_keys]
            member = StaffModel(staff_update.member.staff_id)
            updates.append((member, actions, condition))
        for rotation in changes.merchant_secrets:
            updates.append(rotation_update(rotation.merchant, rotation.replaced_sealed_secret))
        return updates

    def _raise_for(self, exc: TransactWriteError, items: list[_Item]) -> None:
        code = error_code(exc)
        if code != "TransactionCanceledException":
            if is_transient(exc):
                raise unavailable(exc, "dynamodb") from exc
            raise exc
        reasons = exc.cancellation_reasons
        failed = [(item, r) for item, r in zip(items, reasons, strict=False) if r is not None]
        self._raise_for_held(exc, [(i, r) for i, r in failed if r.code == "ConditionalCheckFailed"])
        for item, reason in failed:
            if item.kind in ("case", "account") and reason.code in (
                "ConditionalCheckFailed",
                "TransactionConflict",
            ):
                raise VersionConflict() from exc
        log.warning("transaction cancelled: %s", [r.code for _, r in failed])
        raise unavailable(exc, "dynamodb") from exc

    def _raise_for_held(self, exc: TransactWriteError, checks: list[tuple[_Item, Any]]) -> None:
        """KeyTaken for a claimed key held (with what it holds), a key that had to be absent
        or a merchant id taken; LimitReached for a full counter."""
        for item, reason in checks:
            if item.kind == "claim":
                assert item.claim is not None  # noqa: S101
                held = KeyModel.from_raw_data(reason.raw_item) if reason.raw_item else None
                value = plain(held.value) if held else self.get_key(item.claim.key)
                raise KeyTaken(item.claim.key, value) from exc
        for item, _ in checks:
            if item.kind in ("absent", "merchant"):
                raise KeyTaken(str(item.key), {}) from exc
        for item, _ in checks:
            if item.kind == "counter":
                raise LimitReached(str(item.key)) from exc


def _updates(tx: TransactWrite, changes: Changes) -> None:
    """A change's updates, after its deletes and puts (the order its cancellation reasons come
    back in): appends to lists, then counters."""
    for append in changes.appends:
        entry = json.dumps(append.entry, sort_keys=True)
        actions: list[Any] = [KeyModel.entries.set((KeyModel.entries | []).append([entry]))]
        if append.expires_at:
            actions.append(KeyModel.expires_at.set(append.expires_at))
        tx.update(KeyModel(append.key), actions=actions)
    for counter in changes.counters:
        actions = [KeyModel.counter.add(1)]
        if counter.expires_at:
            actions.append(KeyModel.expires_at.set(counter.expires_at))
        tx.update(
            KeyModel(counter.key),
            actions=actions,
            condition=KeyModel.counter.does_not_exist() | (KeyModel.counter < counter.limit),
        )


def _with_entries(value: dict[str, Any], model: KeyModel) -> dict[str, Any]:
    """A key's value, with the list appended to it (`entries`) when it has one."""
    entries = model.entries
    if not entries:
        return value
    return {**value, "entries": [json.loads(str(entry)) for entry in entries]}


def _claim_model(claim: KeyClaim, now: datetime) -> KeyModel:
    return KeyModel(claim.key, value=dict(claim.value), created_at=now, expires_at=claim.expires_at)


def _claimable(now: datetime) -> Any:
    # A key nobody holds, or one whose holder's time ran out (TTL deletion lags by hours).
    return KeyModel.key.does_not_exist() | (KeyModel.expires_at < now)
