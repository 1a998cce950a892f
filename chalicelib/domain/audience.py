"""Who reads a case's customer messages. A merchant-settlement case (opened by a merchant's
payment query) has the merchant as its contact: it gets texts written for merchants, in its own
language, and none of what is meant for a complaining customer (the acknowledgement with its
access token, the satisfaction survey)."""

from __future__ import annotations

from collections.abc import Iterable

from .case import Case
from .policy import Category
from .step import Notice

MERCHANT_UPDATE = "merchant_case_update"
# Customer messages a merchant contact does not get: the query's answer already told it the
# case number, and it rates nothing.
NOT_FOR_MERCHANTS = frozenset({"case_received", "survey"})


def contact_is_merchant(case: Case) -> bool:
    return case.category is Category.MERCHANT_SETTLEMENT


def addressed(case: Case, notices: Iterable[Notice]) -> tuple[Notice, ...]:
    """`notices` as the case's contact should get them: a merchant contact's customer messages
    become `merchant_case_update` (the original event in `update`), or nothing."""
    if not contact_is_merchant(case):
        return tuple(notices)
    out = []
    for notice in notices:
        if notice.audience != "customer":
            out.append(notice)
        elif notice.event not in NOT_FOR_MERCHANTS:
            params = {**notice.params, "update": notice.event, "case_id": case.case_id}
            out.append(Notice(MERCHANT_UPDATE, params, "customer", notice.to))
    return tuple(out)
