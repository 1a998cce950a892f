"""Cases and their timelines on DynamoDB, read through the table and its indexes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib.adapters.dynamo.mapping import OPEN_QUEUE, case_from_model, entry_from_model
from chalicelib.adapters.dynamo.models import WAKE_SHARDS, CaseModel, TimelineModel
from chalicelib.adapters.errors import aws_call
from chalicelib.domain.case import FINAL_STATUSES, Case, Status, TimelineEntry, Visibility
from chalicelib.domain.timefmt import to_rfc3339
from chalicelib.services.changes import CaseQuery


class DynamoCaseReads:
    def get_case(self, case_id: str) -> Case | None:
        try:
            with aws_call("dynamodb"):
                return case_from_model(CaseModel.get(case_id, consistent_read=True))
        except DoesNotExist:
            return None

    def timeline(self, case_id: str, *, include_internal: bool) -> list[TimelineEntry]:
        condition = None if include_internal else TimelineModel.visibility == Visibility.PUBLIC
        with aws_call("dynamodb"):
            return [
                entry_from_model(m)
                for m in TimelineModel.query(
                    case_id, filter_condition=condition, consistent_read=True
                )
            ]

    def list_cases(self, query: CaseQuery) -> tuple[list[Case], dict[str, Any] | None]:
        plan = CaseIndexes.query(query)
        if plan is None:
            return [], None
        index, partition, range_condition, condition = plan
        with aws_call("dynamodb"):
            result = index.query(
                partition,
                range_condition,
                filter_condition=condition,
                page_size=query.limit,
                last_evaluated_key=query.start,
            )
            return _bounded_page(result.page_iter, query.limit)

    def cases_of_contact(
        self, contact_key: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            result = CaseModel.contact_index.query(
                contact_key,
                scan_index_forward=False,
                limit=limit,
                page_size=limit,
                last_evaluated_key=start,
            )
            cases = [case_from_model(m) for m in result]
            return cases, result.last_evaluated_key if len(cases) == limit else None

    def cases_of_merchant(
        self, merchant_id: str, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[Case], dict[str, Any] | None]:
        with aws_call("dynamodb"):
            result = CaseModel.merchant_index.query(
                merchant_id, limit=limit, page_size=limit, last_evaluated_key=start
            )
            cases = [case_from_model(m) for m in result]
            return cases, result.last_evaluated_key if len(cases) == limit else None

    def cases_of_incident(
        self, incident_id: str, *, open_only: bool, limit: int, start: dict[str, Any] | None
    ) -> tuple[list[str], dict[str, Any] | None]:
        condition = CaseModel.incident_state.startswith("open#") if open_only else None
        with aws_call("dynamodb"):
            result = CaseModel.incident_index.query(
                incident_id, condition, limit=limit, page_size=limit, last_evaluated_key=start
            )
            ids = [m.case_id for m in result]
            return ids, result.last_evaluated_key if len(ids) == limit else None

    def count_incident_cases(self, incident_id: str) -> tuple[int, int]:
        with aws_call("dynamodb"):
            linked = CaseModel.incident_index.count(incident_id)
            waiting = CaseModel.incident_index.count(
                incident_id, CaseModel.incident_state.startswith("open#")
            )
        return int(linked), int(waiting)

    def due_wakeups(self, before: datetime, limit: int) -> list[tuple[str, datetime]]:
        out: list[tuple[str, datetime]] = []
        with aws_call("dynamodb"):
            for n in range(WAKE_SHARDS):
                query = CaseModel.wake_index.query(
                    f"w{n}", CaseModel.wake_at <= before, limit=limit
                )
                out += [(m.case_id, m.wake_at) for m in query if m.wake_at is not None]
        return sorted(out, key=lambda item: item[1])[:limit]


# A filtered listing reads at most this many index pages per request and then hands the client
# a cursor, so a rare filter over a long queue costs the page, not the table.
MAX_PAGES_PER_LIST = 5


def _bounded_page(pages: Any, limit: int) -> tuple[list[Case], dict[str, Any] | None]:
    cases: list[Case] = []
    for read, page in enumerate(pages, start=1):
        for raw in page.get("Items", []):
            cases.append(case_from_model(CaseModel.from_raw_data(raw)))
            if len(cases) == limit:
                return cases, {name: raw[name] for name in pages.key_names}
        if pages.last_evaluated_key is None:
            return cases, None
        if read >= MAX_PAGES_PER_LIST:
            break
    return cases, pages.last_evaluated_key


class CaseIndexes:
    """Chooses the index that serves a case query and turns the rest into filters.

    Without a status the query reads an index that holds open cases only; with one, the
    status index, which is where closed and withdrawn cases are found."""

    @staticmethod
    def query(q: CaseQuery) -> tuple[Any, str, Any, Any] | None:
        """(index, partition value, range condition, filter condition), or None when nothing
        can match: an SLA filter judges open cases, so it finds nothing in a final status."""
        m = CaseModel
        narrowing = [
            (q.assignee, m.assignee, m.open_assignee_index),
            (q.merchant_id, m.merchant_id, m.open_merchant_index),
            (q.category, m.category, m.open_category_index),
        ]
        given = [(value, attribute, index) for value, attribute, index in narrowing if value]
        if q.status:
            if q.sla and Status(q.status) in FINAL_STATUSES:
                return None
            index, partition, rest = m.status_index, q.status, given
        elif given:
            (partition, _, index), rest = given[0], given[1:]
        else:
            index, partition, rest = m.open_queue_index, OPEN_QUEUE, []
        filters = [attribute == value for value, attribute, _ in rest]
        range_condition = None
        if q.sla and q.now is not None:
            now_key = to_rfc3339(q.now)
            if q.sla == "breached":
                range_condition = m.due_key < now_key
            else:  # at_risk: not yet due, but 80% of the working time is used
                range_condition = m.due_key >= now_key
                filters.append(m.at_risk_at <= q.now)
        condition = None
        for f in filters:
            condition = f if condition is None else condition & f
        return index, partition, range_condition, condition
