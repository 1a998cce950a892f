"""Settlement proposals staff make (POST /v1/admin/cases/{id}/proposals in the OpenAPI document;
docs/domain.md, "Case lifecycle"): parse_proposal."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.errors import ValidationFailed
from chalicelib.domain.proposal import Installment, ProposalTerms, parse_proposal

CAL = WorkingCalendar.shipped()
TODAY = date(2026, 11, 23)  # Monday
AUTUMN = date(2026, 9, 1)  # a "today" before National Day and its make-up workdays
PAID = 10_000
# Working and non-working days from the day after AUTUMN to the end of the official 2026 year.
_DAYS = [AUTUMN + timedelta(days=n) for n in range(1, (date(2026, 12, 31) - AUTUMN).days + 1)]
WORKING = [d for d in _DAYS if CAL.is_working_day(d)]
OFF = [d for d in _DAYS if not CAL.is_working_day(d)]
TWO_PAYMENTS = [
    {"due_date": "2026-12-15", "amount_fen": 6_000},
    {"due_date": "2026-12-30", "amount_fen": 4_000},
]


def body(**changes: Any) -> dict[str, Any]:
    """A valid proposal body; keyword arguments replace fields (None removes one)."""
    base: dict[str, Any] = {"kind": "explanation", "text": "经核实，款项已原路退回。"}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not None}


def plan(**changes: Any) -> dict[str, Any]:
    return body(
        **{"kind": "installment_plan", "amount_fen": PAID, "installments": TWO_PAYMENTS, **changes}
    )


def problems(raw: Any, today: date = TODAY, paid: int | None = PAID) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as failed:
        parse_proposal(raw, CAL, today, paid)
    return failed.value.fields


def short(value: object) -> str:
    """A test id that is the same in every process (a set's order depends on the hash seed,
    and pytest-xdist's workers must collect the same ids)."""
    if isinstance(value, set):
        return "{" + ", ".join(sorted(map(repr, value))) + "}"
    return str(value)[:48]


def due(*days: str) -> list[dict[str, Any]]:
    """An instalment per date, 100 fen each."""
    return [{"due_date": d, "amount_fen": 100} for d in days]


# -- accepted offers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "paid", "kinds", "amount"),
    [
        (body(), PAID, ("explanation",), None),
        (body(kind="reship"), PAID, ("reship",), None),
        (body(kind="deferral", also=["fee_waiver"]), PAID, ("deferral", "fee_waiver"), None),
        (body(kind="full_refund", amount_fen=PAID), PAID, ("full_refund",), PAID),
        (body(kind="full_refund", amount_fen=123), None, ("full_refund",), 123),  # nothing on file
        (body(kind="partial_refund", amount_fen=PAID - 1), PAID, ("partial_refund",), PAID - 1),
        (
            body(kind="partial_refund", amount_fen=2_000, also=["reship"]),
            PAID,
            ("partial_refund", "reship"),
            2_000,
        ),
        (body(kind="reship", also=[]), PAID, ("reship",), None),
    ],
    ids=["explanation", "reship", "deferral", "full", "unpaid", "partial", "mixed", "no-also"],
)
def test_parse_proposal_accepts_each_kind(
    raw: dict[str, Any], paid: int | None, kinds: tuple[str, ...], amount: int | None
) -> None:
    # GIVEN a well-formed offer / WHEN parsing it
    terms = parse_proposal(raw, CAL, TODAY, paid)
    # THEN its kinds, text and amount come through unchanged, with no instalments
    assert ((terms.kind, *terms.also), terms.text, terms.amount_fen) == (kinds, raw["text"], amount)
    assert terms.installments == ()


def test_parse_proposal_accepts_instalment_plan_on_working_days() -> None:
    # GIVEN a two-payment plan on Tuesday 12-15 and Wednesday 12-30 adding up to the amount
    terms = parse_proposal(plan(text="分两期还款\n第一期 60 元"), CAL, TODAY, PAID)
    # THEN the plan is parsed into dated instalments
    assert terms == ProposalTerms(
        "installment_plan",
        "分两期还款\n第一期 60 元",
        (),
        PAID,
        (Installment(date(2026, 12, 15), 6_000), Installment(date(2026, 12, 30), 4_000)),
    )


def test_parse_proposal_accepts_make_up_workdays() -> None:
    # GIVEN a plan made on 09-01 falling on the make-up workdays Sun 09-20 and Sat 10-10
    raw = plan(amount_fen=200, installments=due("2026-09-20", "2026-10-10"))
    # WHEN parsing it THEN both weekend make-up workdays are working days
    terms = parse_proposal(raw, CAL, AUTUMN, PAID)
    assert [i.due_date for i in terms.installments] == [date(2026, 9, 20), date(2026, 10, 10)]


def test_parse_proposal_accepts_sixty_instalments_and_plan_as_further_remedy() -> None:
    # GIVEN the longest plan (60 working days), and a fee waiver that also offers a plan
    longest = [{"due_date": d.isoformat(), "amount_fen": 100} for d in WORKING[:60]]
    mixed = plan(kind="fee_waiver", also=["installment_plan"])
    # WHEN parsing them THEN both are accepted with all their instalments
    assert (
        len(
            parse_proposal(
                plan(amount_fen=6_000, installments=longest), CAL, AUTUMN, None
            ).installments
        )
        == 60
    )
    assert parse_proposal(mixed, CAL, TODAY, PAID).installments[1].amount_fen == 4_000


# -- refused offers: every problem under its dotted field name ----------------------------------


@pytest.mark.parametrize(
    ("raw", "fields"),
    [
        ([], {"body", "kind", "text"}),
        ("kind=full_refund", {"body", "kind", "text"}),
        (body(kind=None), {"kind"}),
        (body(kind="voucher"), {"kind"}),
        (body(text=None), {"text"}),
        (body(text="   "), {"text"}),
        (body(text=42), {"text"}),
        (body(text="x" * 2001), {"text"}),
        (body(currency="CNY"), {"currency"}),
        (body(kind="full_refund"), {"amount_fen"}),
        (body(kind="partial_refund"), {"amount_fen"}),
        (body(kind="reship", also=["full_refund"]), {"amount_fen"}),
        (body(kind="full_refund", amount_fen=PAID + 1), {"amount_fen"}),
        (body(kind="full_refund", amount_fen=PAID - 1), {"amount_fen"}),
        (body(kind="partial_refund", amount_fen=PAID), {"amount_fen"}),
        (body(kind="partial_refund", amount_fen=PAID * 2), {"amount_fen"}),
        (body(kind="partial_refund", amount_fen=0), {"amount_fen"}),
        (body(kind="partial_refund", amount_fen="100"), {"amount_fen"}),
        (body(kind="partial_refund", amount_fen=99.5), {"amount_fen"}),
        (body(kind="partial_refund", amount_fen=True), {"amount_fen"}),
        (body(also="reship"), {"also"}),
        (body(also=["voucher"]), {"also"}),
        (body(also=["explanation"]), {"also"}),  # repeats the main kind
        (body(also=["reship", "reship"]), {"also"}),
        (body(also=[{"kind": "reship"}]), {"also"}),
        (plan(amount_fen=None), {"amount_fen"}),
        (plan(installments=None), {"installments"}),
        (
            body(kind="partial_refund", amount_fen=100, installments=due("2026-12-15")),
            {"installments"},
        ),
        (plan(installments=TWO_PAYMENTS[:1]), {"installments"}),
        (plan(installments={"due_date": "2026-12-15"}), {"installments"}),
        (plan(installments=due(*["2026-12-15"] * 61)), {"installments"}),
    ],
    ids=short,
)
def test_parse_proposal_refuses_with_field_name(raw: Any, fields: set[str]) -> None:
    # GIVEN a malformed offer / WHEN parsing it / THEN exactly the faulty fields are named
    assert set(problems(raw)) == fields


@pytest.mark.parametrize(
    ("item", "field", "why"),
    [
        ({"due_date": "2026-12-19", "amount_fen": 4_000}, "due_date", "working day"),  # Saturday
        ({"due_date": "2027-01-01", "amount_fen": 4_000}, "due_date", "working day"),  # New Year
        ({"due_date": "2026-11-23", "amount_fen": 4_000}, "due_date", "after today"),
        ({"due_date": "2026-11-20", "amount_fen": 4_000}, "due_date", "after today"),
        ({"due_date": "2026/12/31", "amount_fen": 4_000}, "due_date", "such as"),
        ({"due_date": "2026-02-30", "amount_fen": 4_000}, "due_date", "real date"),
        ({"due_date": 20261231, "amount_fen": 4_000}, "due_date", "such as"),
        ({"amount_fen": 4_000}, "due_date", "such as"),
        ({"due_date": "2026-12-31"}, "amount_fen", "required"),
        ({"due_date": "2026-12-31", "amount_fen": 0}, "amount_fen", "at least 1"),
        ({"due_date": "2026-12-31", "amount_fen": "4000"}, "amount_fen", "integer"),
    ],
    ids=short,
)
def test_parse_proposal_names_the_faulty_instalment(item: dict, field: str, why: str) -> None:
    # GIVEN a plan whose second instalment is faulty / WHEN parsing it
    fields = problems(plan(installments=[TWO_PAYMENTS[0], item]))
    # THEN only that problem is reported, under installments[1].<field>, with a reason
    assert set(fields) == {f"installments[1].{field}"}
    assert why in fields[f"installments[1].{field}"]


def test_parse_proposal_refuses_national_day_holiday() -> None:
    # GIVEN a plan made on 09-01 with a payment on 2026-10-01 (National Day), later 10-10 is fine
    raw = plan(amount_fen=200, installments=due("2026-10-01", "2026-10-10"))
    # WHEN parsing it THEN only the holiday is refused
    assert problems(raw, today=AUTUMN) == {"installments[0].due_date": "must be a working day"}


def test_parse_proposal_refuses_instalment_that_is_not_an_object() -> None:
    # GIVEN a plan whose first instalment is a string / WHEN / THEN that instalment is named
    fields = problems(plan(installments=["2026-12-15", TWO_PAYMENTS[1]]))
    assert "installments[0]" in fields


@pytest.mark.parametrize(
    "dates",
    [("2026-12-30", "2026-12-15"), ("2026-12-15", "2026-12-15")],
    ids=["descending", "same-day"],
)
def test_parse_proposal_refuses_dates_not_strictly_ascending(dates: tuple[str, str]) -> None:
    # GIVEN a plan whose dates do not strictly ascend / WHEN / THEN the plan is refused
    fields = problems(plan(amount_fen=200, installments=due(*dates)))
    assert set(fields) == {"installments"}
    assert "ascending" in fields["installments"]


@pytest.mark.parametrize("amount", [PAID - 1, PAID + 1])
def test_parse_proposal_refuses_instalments_that_do_not_add_up(amount: int) -> None:
    # GIVEN instalments of 60 + 40 yuan against another amount / WHEN / THEN the sum is refused
    fields = problems(plan(amount_fen=amount))
    assert fields == {"installments": f"must add up to amount_fen ({amount})"}


def test_parse_proposal_reports_every_problem_at_once() -> None:
    # GIVEN an offer wrong in three places
    raw = plan(text="", note="x", installments=[TWO_PAYMENTS[0], due("2026-12-26")[0]])
    # WHEN / THEN each is named, so staff can fix them in one go
    assert set(problems(raw)) == {"text", "note", "installments[1].due_date"}


def test_parse_proposal_refuses_unknown_field_in_instalment() -> None:
    # GIVEN an instalment with a field the API does not define
    item = {**TWO_PAYMENTS[1], "currency": "USD"}
    # WHEN / THEN it is refused like any unknown field, under its dotted name
    assert set(problems(plan(installments=[TWO_PAYMENTS[0], item]))) == {"installments[1].currency"}


# -- properties ----------------------------------------------------------------------------------


@st.composite
def valid_plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    days = sorted(draw(st.lists(st.sampled_from(WORKING), min_size=2, max_size=60, unique=True)))
    amounts = draw(st.lists(st.integers(1, 10**7), min_size=len(days), max_size=len(days)))
    return [
        {"due_date": d.isoformat(), "amount_fen": a} for d, a in zip(days, amounts, strict=True)
    ]


@given(installments=valid_plans())
def test_parse_proposal_accepts_any_ascending_plan_of_working_days(installments: list) -> None:
    # GIVEN any ascending plan on working days, with positive amounts, adding up to amount_fen
    total = sum(i["amount_fen"] for i in installments)
    # WHEN parsing it
    terms = parse_proposal(plan(amount_fen=total, installments=installments), CAL, AUTUMN, None)
    # THEN every instalment comes through, in order
    assert [(i.due_date.isoformat(), i.amount_fen) for i in terms.installments] == [
        (i["due_date"], i["amount_fen"]) for i in installments
    ]
    assert terms.amount_fen == total


@given(data=st.data(), installments=valid_plans())
def test_parse_proposal_refuses_any_shuffled_plan_with_a_repeated_date(
    data: st.DataObject, installments: list
) -> None:
    # GIVEN a valid plan in which one instalment takes another's date, then shuffled
    src, dst = data.draw(st.permutations(range(len(installments))))[:2]
    installments[dst] = {**installments[dst], "due_date": installments[src]["due_date"]}
    shuffled = data.draw(st.permutations(installments))
    total = sum(i["amount_fen"] for i in installments)
    # WHEN / THEN the plan is refused for its order
    fields = problems(plan(amount_fen=total, installments=shuffled), today=AUTUMN)
    assert set(fields) == {"installments"}


@given(data=st.data(), installments=valid_plans(), off=st.sampled_from(OFF))
def test_parse_proposal_refuses_any_non_working_day_by_index(
    data: st.DataObject, installments: list, off: date
) -> None:
    # GIVEN a valid plan with one instalment moved to a weekend or holiday
    n = data.draw(st.integers(0, len(installments) - 1))
    installments[n] = {**installments[n], "due_date": off.isoformat()}
    total = sum(i["amount_fen"] for i in installments)
    # WHEN / THEN that instalment's date is named as not a working day
    fields = problems(plan(amount_fen=total, installments=installments), today=AUTUMN)
    assert fields[f"installments[{n}].due_date"] == "must be a working day"
