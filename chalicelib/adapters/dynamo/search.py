"""The staff search's reads on DynamoDB: the lookups table, the cases table's transaction
index and batched reads of cases. Queries only, except `every_case`, which the backfill of the
index uses."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters.dynamo.mapping import case_from_model
from chalicelib.adapters.dynamo.models import CaseModel, LookupModel
from chalicelib.adapters.errors import aws_call
from chalicelib.domain.case import Case


class DynamoSearchIndex:
    def case_ids(self, lookup: str, limit: int) -> list[str]:
        with aws_call("dynamodb"):
            query = LookupModel.query(lookup, scan_index_forward=False, limit=limit)
            return [m.case_id for m in query]

    def case_ids_of_transaction(self, transaction_id: str, limit: int) -> list[str]:
        with aws_call("dynamodb"):
            query = CaseModel.transaction_index.query(
                transaction_id, scan_index_forward=False, limit=limit
            )
            return [m.case_id for m in query]

    def cases(self, case_ids: list[str]) -> list[Case]:
        if not case_ids:
            return []
        with aws_call("dynamodb"):
            found = {m.case_id: m for m in CaseModel.batch_get(sorted(set(case_ids)))}
        return [case_from_model(found[i]) for i in case_ids if i in found]

    def every_case(
        self, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            result = CaseModel.scan(limit=limit, page_size=limit, last_evaluated_key=start)
            cases = [case_from_model(m) for m in result]
            return cases, result.last_evaluated_key
