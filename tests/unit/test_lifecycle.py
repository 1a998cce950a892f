"""The case lifecycle (docs/domain.md, "Case lifecycle"; docs/api.md, the customer's and staff's
calls): which moves exist, who makes them, and what each one sets, records and tells."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import lifecycle as lc
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.case import Case, Status, Visibility
from chalicelib.domain.errors import AlreadyRated, Forbidden, InvalidTransition, ValidationFailed
from chalicelib.domain.proposal import ProposalStatus, ProposalTerms
from chalicelib.domain.sla import RESOLUTION_DUE, due_timers, kind_of, on_timer, pending_timers
from chalicelib.domain.timefmt import to_rfc3339
from tests.builders import MONDAY_10AM, make_case

S = Status
SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar.shipped()
NOW = MONDAY_10AM  # Monday 2026-11-23 10:00 Asia/Shanghai
DAY = timedelta(days=1)
TERMS = ProposalTerms("partial_refund", "退款 50 元并补发", ("reship",), 50, ())


def sh(month: int, day: int, hour: int) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SH).astimezone(UTC)


# The tables as docs/domain.md and docs/api.md describe them, written out independently of the
# code.
_W = " withdrawn"  # withdrawal: from every open status except an outcome
SPEC_TRANSITIONS = {
    S(a): {S(b) for b in to.split()}
    for a, to in {
        "submitted": "accepted" + _W,
        "accepted": "investigating waiting_customer waiting_merchant negotiating" + _W,
        "investigating": "waiting_customer waiting_merchant negotiating" + _W,
        "waiting_customer": "investigating closed" + _W,
        "waiting_merchant": "investigating" + _W,
        "negotiating": "investigating resolved unresolved" + _W,
        "resolved": "second_review closed",
        "unresolved": "second_review closed",
        "second_review": "resolved unresolved" + _W,
        "closed": "",
        "withdrawn": "",
    }.items()
}
SPEC_STAFF_MOVES = {
    (S(a), S(b))
    for a, to in {
        "submitted": "accepted",
        "accepted": "investigating waiting_customer waiting_merchant",
        "investigating": "waiting_customer waiting_merchant",
        "waiting_customer": "investigating",
        "waiting_merchant": "investigating",
        "negotiating": "investigating unresolved",  # rework the offer; negotiation failed
        "second_review": "resolved unresolved",  # the final decision
    }.items()
    for b in to.split()
}
# Who makes the moves staff cannot make, as the refusal says.
WHO = dict(negotiating="proposal", resolved="accepts a proposal", second_review="objects")
WHO |= dict(closed="by themselves", withdrawn="customer")
NOT_OUTCOMES = [s for s in S if s not in (S.RESOLVED, S.UNRESOLVED)]
# The moves only the system makes, on the payment platform's evidence (docs/domain.md): a
# settlement resolves a case still in progress, a failed refund reopens one past investigating.
SPEC_SYSTEM_MOVES = {
    (before, S.RESOLVED)
    for before in (S.SUBMITTED, S.ACCEPTED, S.INVESTIGATING, S.WAITING_MERCHANT, S.NEGOTIATING)
} | {
    (before, S.INVESTIGATING)
    for before in (S.ACCEPTED, S.WAITING_MERCHANT, S.NEGOTIATING, S.RESOLVED, S.SECOND_REVIEW)
}
PAIRS = [(a, b) for a in S for b in S]
PAIR_IDS = [f"{a}->{b}" for a, b in PAIRS]


def in_status(status: Status, **changes: object) -> Case:
    return make_case(status=status, round=2 if status is S.SECOND_REVIEW else 1, **changes)


def outcome(status: Status = S.RESOLVED, **changes: object) -> Case:
    """A round-1 outcome reached at NOW, handled by agent1."""
    base = {"resolved_at": NOW, "accepted_at": NOW, "assignee": "agent1"}
    return make_case(status=status, handlers=frozenset({"agent1"}), **{**base, **changes})


def negotiating() -> Case:
    return lc.propose(make_case(status=S.ACCEPTED), TERMS, "agent1", NOW, CAL).case


def waiting(note: str | None = "回单") -> lc.Step:
    return lc.staff_move(make_case(status=S.ACCEPTED), S.WAITING_CUSTOMER, "a1", NOW, CAL, note)


def second_review() -> Case:
    return lc.object_to(outcome(), "我不同意", NOW + DAY, CAL).case


# -- which moves exist, and who makes them -------------------------------------------------------


def test_transitions_tables_match_the_spec() -> None:
    # GIVEN the lifecycle of docs/domain.md / WHEN / THEN the code's tables are the same
    assert {a: set(b) for a, b in lc.TRANSITIONS.items()} == SPEC_TRANSITIONS
    assert set(lc.STAFF_MOVES) == SPEC_STAFF_MOVES


@pytest.mark.parametrize(("before", "to"), PAIRS, ids=PAIR_IDS)
def test_move_system_adds_only_its_evidence_moves(before: Status, to: Status) -> None:
    # GIVEN a case in `before` / WHEN the system moves it (evidence from the payment platform)
    case = in_status(before)
    allowed = to in SPEC_TRANSITIONS[before] or (before, to) in SPEC_SYSTEM_MOVES
    # THEN it may also resolve a case on settlement evidence or reopen one after a failed
    # refund, and nothing else beyond the lifecycle
    if allowed:
        assert lc.move(case, to, "system", NOW + DAY, CAL, "note").case.status is to
    else:
        with pytest.raises(InvalidTransition):
            lc.move(case, to, "system", NOW + DAY, CAL, "note")
    assert set(lc.SYSTEM_MOVES) == SPEC_SYSTEM_MOVES


@pytest.mark.parametrize(("before", "to"), PAIRS, ids=PAIR_IDS)
def test_move_every_pair_allowed_exactly_when_in_transitions(before: Status, to: Status) -> None:
    # GIVEN a case in `before`
    case = in_status(before)
    if to not in SPEC_TRANSITIONS[before]:
        # WHEN / THEN a move the lifecycle lacks is refused, naming the case's status
        with pytest.raises(InvalidTransition, match=f"A {before} case cannot become {to}"):
            lc.move(case, to, "staff:grid", NOW + DAY, CAL, "note")
        return
    # WHEN moving it
    step = lc.move(case, to, "staff:grid", NOW + DAY, CAL, "note")
    # THEN it is in `to`, on the public timeline, and final (with closed_at) only when closed
    assert (step.case.status, step.case.updated_at) == (to, NOW + DAY)
    assert (step.entries[0].visibility, step.entries[0].data["to"]) == (Visibility.PUBLIC, to)
    assert step.became_final is (to in (S.CLOSED, S.WITHDRAWN))
    assert (step.case.closed_at == NOW + DAY) is step.became_final


@pytest.mark.parametrize(("before", "to"), PAIRS, ids=PAIR_IDS)
def test_staff_move_every_pair_allowed_exactly_for_staff_moves(before: Status, to: Status) -> None:
    # GIVEN a case in `before` (with a note, so the waiting_customer rule stays out of the way)
    case = in_status(before)
    if (before, to) in SPEC_STAFF_MOVES:
        # WHEN staff make a staff move THEN it happens and, in round 1, they become a handler
        step = lc.staff_move(case, to, "agent9", NOW, CAL, note="请提供付款截图")
        assert (step.case.status, step.entries[0].actor) == (to, "staff:agent9")
        assert ("agent9" in step.case.handlers) is (case.round == 1)
        return
    # WHEN staff try another move THEN it is refused; someone else's move says who makes it
    with pytest.raises(
        InvalidTransition, match=WHO[to] if to in SPEC_TRANSITIONS[before] else "cannot"
    ):
        lc.staff_move(case, to, "agent9", NOW, CAL, note="x")


# -- acceptance, waiting for the customer, timers ------------------------------------------------


def test_staff_move_accept_sets_accepted_at_regulatory_due_and_tells_expected_date() -> None:
    # GIVEN a case filed Monday / WHEN staff accept it on Wednesday 15:00
    case = make_case()
    step = lc.staff_move(case, S.ACCEPTED, "agent1", sh(11, 25, 15), CAL)
    # THEN acceptance is recorded and the outer limit is the end of the 15th day after it
    assert step.case.accepted_at == sh(11, 25, 15)
    assert step.case.deadlines.regulatory_due == datetime(2026, 12, 11, tzinfo=SH)
    assert [e.type for e in step.entries] == ["accepted"]
    assert [(n.event, n.audience, n.params["expected_by"]) for n in step.notices] == [
        ("case_accepted", "customer", to_rfc3339(case.deadlines.resolution_due))
    ]


def test_staff_move_waiting_customer_stores_wait_pauses_clock_and_asks() -> None:
    # GIVEN an accepted case / WHEN staff ask the customer for a receipt on Monday 10:00
    step = waiting("回单")
    wait = step.case.waiting
    # THEN the wait reminds after 3 working days (Thu 18:00) and closes after 5 (next Mon)
    assert wait is not None
    assert (wait.since, wait.remind_at, wait.close_at) == (NOW, sh(11, 26, 18), sh(11, 30, 18))
    assert [(n.event, n.params["request"], n.params["reply_by"]) for n in step.notices] == [
        ("info_needed", "回单", to_rfc3339(sh(11, 30, 18)))
    ]
    # AND the customer timers are pending, the paused resolution clock's are not (the
    # regulatory outer limit counts calendar days and keeps running)
    assert [(kind_of(t.name), t.due_at) for t in pending_timers(step.case, CAL)] == [
        ("customer_reminder", wait.remind_at),
        ("customer_timeout", wait.close_at),
        ("regulatory_due", step.case.deadlines.regulatory_due),
        ("regulatory_escalation", sh(12, 9, 18)),  # one working day after the outer limit
    ]
    # AND asking without saying what is needed fails validation on the note
    for note in (None, ""):
        with pytest.raises(ValidationFailed) as failed:
            waiting(note)
        assert set(failed.value.fields) == {"note"}


def test_customer_message_returns_waiting_case_to_investigating() -> None:
    # GIVEN a case waiting for the customer / WHEN the customer replies
    step = lc.customer_message(waiting().case, "回单已上传", NOW + DAY, CAL)
    # THEN it is investigated again and the wait is gone, with its timers
    assert (step.case.status, step.case.waiting) == (S.INVESTIGATING, None)
    assert [e.type for e in step.entries] == ["customer_message", "status_changed"]
    pending = {kind_of(t.name) for t in pending_timers(step.case, CAL)}
    assert RESOLUTION_DUE in pending
    assert not pending & {"customer_reminder", "customer_timeout"}
    # AND elsewhere a message is only a public entry
    other = lc.customer_message(make_case(status=S.NEGOTIATING), "还没到账", NOW, CAL)
    assert (other.case.status, [e.visibility for e in other.entries]) == (S.NEGOTIATING, ["public"])


def test_on_timer_waiting_customer_reminds_then_closes_without_survey() -> None:
    # GIVEN a wait nobody answers / WHEN its timers fall due, in order
    reminder, timeout = [
        t for t in due_timers(waiting().case, sh(12, 1, 9), CAL) if t.name.startswith("customer_")
    ]
    reminded = on_timer(waiting().case, reminder, sh(11, 26, 18), CAL)
    # THEN the customer is reminded (the case still waits) and then the case closes
    assert (reminded.case.status, [n.event for n in reminded.notices]) == (
        S.WAITING_CUSTOMER,
        ["customer_reminder"],
    )
    assert [kind_of(t.name) for t in pending_timers(reminded.case, CAL)] == [
        kind_of(timeout.name),
        "regulatory_due",
        "regulatory_escalation",
    ]
    closed = on_timer(reminded.case, timeout, sh(11, 30, 18), CAL)
    assert (closed.case.status, closed.case.closed_at) == (S.CLOSED, sh(11, 30, 18))
    # AND no survey: a case closed for want of a reply has no outcome to rate
    assert (closed.became_final, [n.event for n in closed.notices]) == (True, [])
    assert pending_timers(closed.case, CAL) == []


def test_customer_message_after_long_wait_resumes_paused_resolution_clock() -> None:
    # GIVEN a case that waited (clock paused, docs/domain.md) past its original due, Wed 18:00
    case = waiting().case
    assert case.deadlines.resolution_due == sh(11, 25, 18)
    # WHEN the customer answers on Friday
    step = lc.customer_message(case, "回单", sh(11, 27, 10), CAL)
    # THEN the paused time is given back: the case is not breached the moment it resumes
    assert step.case.deadlines.resolution_due > sh(11, 27, 10)
    clocks = [t for t in due_timers(step.case, sh(11, 27, 10), CAL) if "resolution" in t.name]
    assert clocks == []


# -- proposals and answers -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [*S], ids=str)
def test_propose_moves_investigated_case_to_negotiating_and_tells_customer(status: Status) -> None:
    # GIVEN a case in any status
    case = in_status(status)
    if status not in (S.ACCEPTED, S.INVESTIGATING, S.NEGOTIATING, S.SECOND_REVIEW):
        # WHEN / THEN a case that cannot negotiate takes no proposal
        with pytest.raises(InvalidTransition, match="cannot receive a proposal"):
            lc.propose(case, TERMS, "agent1", NOW, CAL)
        return
    # WHEN staff propose a partial refund plus re-shipment
    step = lc.propose(case, TERMS, "agent1", NOW, CAL)
    # THEN round 1 negotiates (round 2 stays in review) a pending offer, and the customer is told
    assert step.case.status is (S.SECOND_REVIEW if case.round == 2 else S.NEGOTIATING)
    assert step.case.proposal is not None
    assert (step.case.proposal.status, step.case.proposal.round) == ("pending", case.round)
    moved = ["status_changed"] if status in (S.ACCEPTED, S.INVESTIGATING) else []
    assert [e.type for e in step.entries] == [*moved, "proposal_made"]
    assert [(n.event, n.params["kinds"], n.params["amount_fen"]) for n in step.notices] == [
        ("proposal_made", ["partial_refund", "reship"], 50)
    ]


def test_accepting_a_proposal_resolves_and_opens_the_objection_window() -> None:
    # GIVEN a pending round-1 offer / WHEN the customer accepts it a day later
    step = lc.answer_proposal(negotiating(), True, "理由", NOW + DAY, CAL)
    # THEN the outcome is recorded, the offer answered (once), the objection window announced
    assert (step.case.status, step.case.resolved_at) == (S.RESOLVED, NOW + DAY)
    assert step.case.proposal is not None
    assert (step.case.proposal.status, step.case.proposal.answer_reason) == (
        ProposalStatus.ACCEPTED,
        "理由",
    )
    assert lc.objection_deadline(step.case) == NOW + 16 * DAY
    customer = [n for n in step.notices if n.audience == "customer"]
    assert [(n.event, n.params["object_by"]) for n in customer] == [
        ("case_resolved", to_rfc3339(NOW + 16 * DAY))
    ]
    # AND, as nobody holds the case, the supervisors hear the answer
    [told] = [n for n in step.notices if n.audience == "staff"]
    assert (told.event, told.params["activity"], told.to) == (
        "case_activity",
        "proposal_accepted",
        {"roles": ["supervisor"]},
    )
    with pytest.raises(InvalidTransition, match="no proposal"):
        lc.answer_proposal(step.case, True, None, NOW + DAY, CAL)
    # AND when the window passes unused, the case closes and asks for a rating
    (timer,) = pending_timers(step.case, CAL)
    assert (kind_of(timer.name), timer.due_at) == ("outcome_final", NOW + 16 * DAY)
    closed = on_timer(step.case, timer, timer.due_at, CAL)
    assert (closed.case.status, closed.case.closed_at) == (S.CLOSED, NOW + 16 * DAY)
    assert [n.event for n in closed.notices] == ["survey"]


def test_rejecting_a_proposal_keeps_the_negotiation_open_for_a_counter_offer() -> None:
    # GIVEN a pending round-1 offer / WHEN the customer rejects it a day later
    step = lc.answer_proposal(negotiating(), False, "金额太少", NOW + DAY, CAL)
    # THEN the case is still negotiating, with the rejection recorded and no outcome yet
    assert (step.case.status, step.case.resolved_at) == (S.NEGOTIATING, None)
    assert step.case.proposal is not None
    assert step.case.proposal.status is ProposalStatus.REJECTED
    assert [e.type for e in step.entries] == ["proposal_rejected"]
    assert lc.objection_deadline(step.case) is None
    # AND staff may make a counter-offer, which the customer may accept
    counter = ProposalTerms("partial_refund", "退款 80 元", (), 80, ())
    offered = lc.propose(step.case, counter, "agent1", NOW + 2 * DAY, CAL)
    assert offered.case.status is S.NEGOTIATING
    assert [n.event for n in offered.notices] == ["proposal_made"]
    accepted = lc.answer_proposal(offered.case, True, None, NOW + 3 * DAY, CAL)
    assert accepted.case.status is S.RESOLVED
    # AND staff may instead decide that no agreement is possible
    failed = lc.staff_move(step.case, S.UNRESOLVED, "agent1", NOW + 2 * DAY, CAL, "无法达成一致")
    assert [n.event for n in failed.notices] == ["case_unresolved"]
    assert failed.notices[0].params["object_by"] == to_rfc3339(NOW + 2 * DAY + 15 * DAY)


def test_negotiation_without_agreement_at_the_outer_limit_becomes_unresolved() -> None:
    # GIVEN a rejected round-1 offer, and the case's outer limit
    case = lc.answer_proposal(negotiating(), False, "金额太少", NOW + DAY, CAL).case
    limit = case.deadlines.regulatory_due
    timers = [t for t in pending_timers(case, CAL) if t.due_at == limit]
    # THEN the limit's timer comes before the limit's breach
    assert [kind_of(t.name) for t in timers] == ["negotiation_limit", "regulatory_due"]
    # WHEN the limit passes without agreement (the timers due then fire in their order)
    step = lc.Step(case)
    for timer in due_timers(case, limit, CAL):
        step = step.then(on_timer(step.case, timer, limit, CAL))
        if step.case.status is S.UNRESOLVED:
            break
    # THEN the case is unresolved by itself, on time, the customer may still object, and the
    # message says why in a code every language renders
    assert (step.case.status, step.case.resolved_at) == (S.UNRESOLVED, limit)
    [notice] = [n for n in step.notices if n.event == "case_unresolved"]
    assert notice.params["reason"] == "no_agreement_by_limit"
    assert notice.params["object_by"] == to_rfc3339(limit + 15 * DAY)
    assert not [t for t in pending_timers(step.case, CAL) if kind_of(t.name) == "regulatory_due"]
    changed = next(e for e in step.entries if e.type == "status_changed")
    assert (changed.actor, changed.text, changed.data["reason"]) == (
        "system",
        None,
        "no_agreement_by_limit",
    )


def test_negotiation_limit_moves_with_an_extension() -> None:
    # GIVEN a rejected offer whose outer limit a supervisor then extends by 10 days
    case = lc.answer_proposal(negotiating(), False, None, NOW + DAY, CAL).case
    extended = lc.extend(case, 10, "需要银行协查", "sup1", NOW + 2 * DAY, CAL).case
    limits = [t for t in pending_timers(extended, CAL) if kind_of(t.name) == "negotiation_limit"]
    # THEN the negotiation may go on until the new limit, and the old one does nothing
    assert [t.due_at for t in limits] == [extended.deadlines.regulatory_due]
    stale = next(t for t in pending_timers(case, CAL) if kind_of(t.name) == "negotiation_limit")
    assert on_timer(extended, stale, stale.due_at, CAL).case.status is S.NEGOTIATING


def test_proposal_after_the_outer_limit_is_not_ended_by_it() -> None:
    # GIVEN an investigated case whose outer limit passed / WHEN staff make an offer
    case = make_case(status=S.INVESTIGATING, accepted_at=NOW)
    late = case.deadlines.regulatory_due + DAY
    step = lc.propose(case, TERMS, "agent1", late, CAL)
    # THEN no limit ends the negotiation (staff decide), and the offer promises no date
    assert lc.negotiation_limit(step.case) is None
    assert step.notices[-1].params["decide_by"] is None


def test_proposal_tells_the_round_and_its_limit() -> None:
    step = lc.propose(make_case(status=S.ACCEPTED), TERMS, "agent1", NOW, CAL)
    params = step.notices[-1].params
    assert (params["round"], params["decide_by"]) == (
        1,
        to_rfc3339(step.case.deadlines.regulatory_due),
    )


@pytest.mark.parametrize(
    "leave",
    [
        lambda c: lc.staff_move(c, S.INVESTIGATING, "agent1", NOW, CAL),
        lambda c: lc.staff_move(c, S.UNRESOLVED, "agent1", NOW, CAL),
        lambda c: lc.withdraw(c, None, NOW, CAL),
    ],
    ids=["rework", "failed", "withdrawn"],
)
def test_leaving_negotiation_withdraws_pending_offer(leave: Callable[[Case], lc.Step]) -> None:
    # GIVEN a pending offer / WHEN the case leaves negotiation / THEN the offer is withdrawn
    proposal = leave(negotiating()).case.proposal
    assert proposal is not None and proposal.status is ProposalStatus.WITHDRAWN


# -- objection, the second review and recusal ----------------------------------------------------


@pytest.mark.parametrize("status", [S.RESOLVED, S.UNRESOLVED], ids=str)
def test_object_to_opens_second_review_on_its_own_clock(status: Status) -> None:
    # GIVEN a round-1 outcome / WHEN the customer objects on Wednesday 10:00
    step = lc.object_to(outcome(status), "我不同意", sh(11, 25, 10), CAL)
    case, review = step.case, step.case.second_review
    # THEN round 2 opens unassigned: first response in 3 working days, decision in 20
    assert (case.status, case.round, case.assignee) == (S.SECOND_REVIEW, 2, None)
    assert review is not None
    assert (review.opened_at, review.reason) == (sh(11, 25, 10), "我不同意")
    assert (review.first_response_due, review.resolution_due) == (sh(11, 30, 18), sh(12, 23, 18))
    assert [e.type for e in step.entries] == ["second_review_opened"]
    assert [(n.event, n.params["expected_by"]) for n in step.notices] == [
        ("second_review_opened", to_rfc3339(sh(12, 23, 18)))
    ]
    # AND the window's last moment is still in time
    assert lc.object_to(outcome(status), "r", NOW + 15 * DAY, CAL).case.round == 2


@pytest.mark.parametrize(
    ("case", "when"),
    [
        (outcome(), NOW + 15 * DAY + timedelta(seconds=1)),  # the window has passed
        (outcome(round=2), NOW),  # a second-review decision is final
        (outcome(resolved_at=None), NOW),
        *((make_case(status=s, resolved_at=NOW), NOW) for s in NOT_OUTCOMES),
    ],
    ids=["too-late", "round-2", "no-outcome", *NOT_OUTCOMES],
)
def test_object_to_refused_unless_round1_outcome_within_15_days(case: Case, when: datetime) -> None:
    # GIVEN anything but a round-1 outcome at most 15 days old / WHEN / THEN objecting is refused
    with pytest.raises(InvalidTransition):
        lc.object_to(case, "r", when, CAL)


@pytest.mark.parametrize("to", [S.RESOLVED, S.UNRESOLVED], ids=str)
def test_staff_move_round2_decision_is_final_without_objection(to: Status) -> None:
    # GIVEN a second review / WHEN an uninvolved reviewer decides it
    step = lc.staff_move(second_review(), to, "rev1", NOW + 2 * DAY, CAL, note="维持原结论")
    # THEN the decision is announced without a new objection window
    assert (step.case.status, step.case.resolved_at) == (to, NOW + 2 * DAY)
    assert [e.type for e in step.entries] == ["second_review_decided"]
    assert [(n.event, "object_by" in n.params) for n in step.notices] == [
        ("second_review_decided", False)
    ]
    assert lc.objection_deadline(step.case) is None


ACTIONS = {
    "resolve": lambda c, s: lc.staff_move(c, S.RESOLVED, s, NOW, CAL),
    "unresolve": lambda c, s: lc.staff_move(c, S.UNRESOLVED, s, NOW, CAL),
    "propose": lambda c, s: lc.propose(c, TERMS, s, NOW, CAL),
    "assign": lambda c, s: lc.assign(c, s, "sup1", NOW),
    "move": lambda c, s: lc.staff_move(c, S.INVESTIGATING, s, NOW, CAL),
    "note": lambda c, s: lc.staff_entry(c, "note", s, NOW, "内部备注"),
    "call": lambda c, s: lc.staff_entry(c, "call", s, NOW, "电话沟通", {"outcome": "ok"}),
    "extend": lambda c, s: lc.extend(c, 5, "需要银行协查", s, NOW, CAL),
}
ROUND1 = ["propose", "assign", "move", "note", "call", "extend"]
DECISIONS = ["resolve", "unresolve", "propose", "assign"]


@pytest.mark.parametrize("action", ROUND1)
def test_recusal_every_round1_staff_action_records_a_handler(action: str) -> None:
    # GIVEN an accepted round-1 case / WHEN staff act on it (or are assigned it)
    step = ACTIONS[action](make_case(status=S.ACCEPTED), "agent7")
    # THEN they are recorded as a round-1 handler
    assert "agent7" in step.case.handlers


@pytest.mark.parametrize("action", DECISIONS)
def test_recusal_round1_handler_cannot_decide_second_review(action: str) -> None:
    # GIVEN a second review of a case agent1 handled in round 1
    case = second_review()
    # WHEN agent1 tries to decide it THEN it is forbidden
    with pytest.raises(Forbidden):
        ACTIONS[action](case, "agent1")
    # AND an uninvolved reviewer may, without becoming a round-1 handler
    assert ACTIONS[action](case, "rev1").case.handlers == frozenset({"agent1"})


@pytest.mark.parametrize(
    ("action", "responds"),
    [("propose", True), ("assign", True), ("call", True), ("resolve", True), ("note", False)],
)
def test_second_review_first_response_is_the_first_action_that_answers(
    action: str, responds: bool
) -> None:
    # GIVEN a fresh second review: its first-response clock runs beside its decision clock
    case = second_review()
    clocks = {kind_of(t.name).rpartition("_")[0] for t in pending_timers(case, CAL)}
    assert {"second_review_first_response", "second_review"} <= clocks
    # WHEN a reviewer acts on it
    after = ACTIONS[action](case, "rev1").case
    # THEN anything but an internal note is its first response, and that clock stops
    review = after.second_review
    assert review is not None and (review.first_response_at == NOW) is responds
    clocks = {kind_of(t.name).rpartition("_")[0] for t in pending_timers(after, CAL)}
    assert ("second_review_first_response" in clocks) is (not responds and after.is_open)


def test_second_review_rejection_leaves_the_decision_to_the_reviewer() -> None:
    # GIVEN a second review with a reviewer's offer
    offered = lc.propose(second_review(), TERMS, "rev1", NOW + DAY, CAL).case
    # WHEN the customer rejects it
    step = lc.answer_proposal(offered, False, "还是不行", NOW + 2 * DAY, CAL)
    # THEN the case stays in second review, the rejection recorded, for the reviewer to decide
    assert step.case.status is S.SECOND_REVIEW
    assert step.case.proposal is not None
    assert step.case.proposal.status is ProposalStatus.REJECTED
    assert [e.type for e in step.entries] == ["proposal_rejected"]
    decided = lc.staff_move(step.case, S.UNRESOLVED, "rev1", NOW + 3 * DAY, CAL)
    assert [n.event for n in decided.notices] == ["second_review_decided"]
    # AND a counter-offer may follow, until the second review's decision deadline
    again = lc.propose(step.case, TERMS, "rev1", NOW + 3 * DAY, CAL)
    review = again.case.second_review
    assert review is not None
    assert again.notices[-1].params["decide_by"] == to_rfc3339(review.resolution_due)


def test_second_review_without_agreement_at_its_deadline_ends_unresolved() -> None:
    # GIVEN a second review whose offer the customer rejected
    offered = lc.propose(second_review(), TERMS, "rev1", NOW + DAY, CAL).case
    case = lc.answer_proposal(offered, False, None, NOW + 2 * DAY, CAL).case
    review = case.second_review
    assert review is not None
    # WHEN its decision deadline passes without agreement
    [timer] = [t for t in pending_timers(case, CAL) if kind_of(t.name) == "negotiation_limit"]
    assert timer.due_at == review.resolution_due
    step = on_timer(case, timer, timer.due_at, CAL)
    # THEN that is the final decision: unresolved, on time, told to the customer with why
    assert (step.case.status, step.case.resolved_at) == (S.UNRESOLVED, review.resolution_due)
    assert [(n.event, n.params["reason"]) for n in step.notices] == [
        ("second_review_decided", "no_agreement_by_limit")
    ]
    # AND a second review without any offer is not ended by the deadline (its breach escalates)
    assert lc.negotiation_limit(second_review()) is None


def test_round2_case_reopened_by_a_failed_refund_keeps_its_review_clock() -> None:
    # GIVEN a second review that a failed refund sent back to investigating
    case = lc.reopen_after_failed_refund(second_review(), "RF1", "账户已注销", NOW, CAL).case
    assert (case.status, case.round) == (S.INVESTIGATING, 2)
    # THEN the second review's clock still runs and warns
    clocks = {kind_of(t.name).rpartition("_")[0] for t in pending_timers(case, CAL)}
    assert "second_review" in clocks


def test_regulatory_limit_extended_after_its_breach_arms_a_new_breach() -> None:
    # GIVEN an accepted case whose 15-day outer limit passed and escalated
    case = lc.staff_move(make_case(), S.ACCEPTED, "agent1", NOW, CAL).case
    outer = [t for t in pending_timers(case, CAL) if t.name.startswith("regulatory_")]
    assert [kind_of(t.name) for t in outer] == ["regulatory_due", "regulatory_escalation"]
    assert outer[0].due_at == case.deadlines.regulatory_due
    fired = case
    for timer in outer:
        fired = on_timer(fired, timer, timer.due_at, CAL).case
    assert not [t for t in pending_timers(fired, CAL) if t.name.startswith("regulatory_")]
    # WHEN a supervisor extends it by 10 days
    extended = lc.extend(fired, 10, "需要银行协查", "sup1", outer[1].due_at, CAL).case
    # THEN the new limit has its own breach and escalation
    again = [t for t in pending_timers(extended, CAL) if t.name.startswith("regulatory_")]
    assert [t.due_at for t in again][:1] == [extended.deadlines.regulatory_due]
    assert extended.deadlines.regulatory_due == case.deadlines.regulatory_due + 10 * DAY
    assert len(again) == 2


def test_second_review_has_no_regulatory_timer() -> None:
    assert not [t for t in pending_timers(second_review(), CAL) if "regulatory" in t.name]


def test_closing_a_rated_case_sends_no_survey() -> None:
    rated = lc.rate(outcome(), 5, None, NOW).case
    timer = next(t for t in pending_timers(rated, CAL) if kind_of(t.name) == "outcome_final")
    closed = on_timer(rated, timer, timer.due_at, CAL)
    assert closed.case.status is S.CLOSED and closed.notices == ()
    unrated = on_timer(outcome(), timer, timer.due_at, CAL)
    assert [n.event for n in unrated.notices] == ["survey"]


# -- conversation, assignment, rating, withdrawal ------------------------------------------------


@pytest.mark.parametrize(
    ("type_", "visibility", "events"),
    [("note", "internal", []), ("message", "public", ["staff_message"]), ("call", "public", [])],
)
def test_staff_entry_visibility_and_notice(type_: str, visibility: str, events: list) -> None:
    # GIVEN an open case / WHEN staff add an entry
    step = lc.staff_entry(make_case(status=S.INVESTIGATING), type_, "agent1", NOW, "已联系银行")
    # THEN notes stay internal and only messages notify the customer
    assert [(e.type, e.visibility, e.text) for e in step.entries] == [
        (type_, visibility, "已联系银行")
    ]
    assert [n.event for n in step.notices] == events


def test_assign_sets_assignee_and_tells_staff() -> None:
    # GIVEN a case assigned to agent1 / WHEN a supervisor reassigns it to agent2
    step = lc.assign(make_case(status=S.ACCEPTED, assignee="agent1"), "agent2", "sup1", NOW)
    # THEN agent2 owns it, the change is internal and staff (not the customer) are told
    assert step.case.assignee == "agent2"
    assert [(e.visibility, e.data["previous"]) for e in step.entries] == [("internal", "agent1")]
    assert [(n.event, n.audience) for n in step.notices] == [("case_assigned", "staff")]


@pytest.mark.parametrize("status", [S.CLOSED, S.WITHDRAWN], ids=str)
def test_final_case_takes_only_internal_notes(status: Status) -> None:
    # GIVEN a final case
    case = make_case(status=status)
    # WHEN staff or the customer try to change it THEN only an internal note is possible
    assert lc.staff_entry(case, "note", "agent1", NOW, "归档").entries[0].type == "note"
    for change in (
        lambda: lc.staff_entry(case, "message", "agent1", NOW, "hello"),
        lambda: lc.customer_message(case, "还没到账", NOW, CAL),
        lambda: lc.assign(case, "agent2", "sup1", NOW),
    ):
        with pytest.raises(InvalidTransition):
            change()


@pytest.mark.parametrize(
    ("case", "rating"),
    [
        (outcome(S.RESOLVED), 1),
        (outcome(S.UNRESOLVED), 3),
        (outcome(S.CLOSED), 5),
        (make_case(status=S.INVESTIGATING), None),  # no outcome yet
        (make_case(status=S.WITHDRAWN, resolved_at=NOW), None),
        (second_review(), None),  # the round-1 outcome is under review
    ],
    ids=["resolved", "unresolved", "closed", "no-outcome", "withdrawn", "second-review"],
)
def test_rate_only_an_outcome_and_only_once(case: Case, rating: int | None) -> None:
    # GIVEN a case with an outcome (rating given) or without one (None)
    if rating is None:
        # WHEN / THEN rating it is refused
        with pytest.raises(InvalidTransition):
            lc.rate(case, 5, None, NOW)
        return
    # WHEN the customer rates it THEN the rating is kept and shown; a second one is refused
    step = lc.rate(case, rating, "很快", NOW)
    assert step.case.rating == rating
    assert [(e.type, e.data) for e in step.entries] == [("feedback", {"rating": rating})]
    with pytest.raises(AlreadyRated):
        lc.rate(step.case, 4, None, NOW)


@pytest.mark.parametrize("rating", [0, 6])
def test_rate_outside_one_to_five_refused(rating: int) -> None:
    # GIVEN a resolved case / WHEN rated outside 1-5 / THEN the rating is refused
    with pytest.raises(ValidationFailed):
        lc.rate(outcome(), rating, None, NOW)


@pytest.mark.parametrize("status", [*S], ids=str)
def test_withdraw_allowed_from_open_statuses_except_outcomes(status: Status) -> None:
    # GIVEN a case in any status / WHEN the customer withdraws it
    case = in_status(status)
    if status in (S.RESOLVED, S.UNRESOLVED, S.CLOSED, S.WITHDRAWN):
        with pytest.raises(InvalidTransition, match="no longer be withdrawn"):
            lc.withdraw(case, "不需要了", NOW, CAL)
        return
    step = lc.withdraw(case, "不需要了", NOW, CAL)
    # THEN it is final and closed now, by the customer, with no clock left running
    assert (step.case.status, step.case.closed_at, step.became_final) == (S.WITHDRAWN, NOW, True)
    assert [(e.type, e.actor, e.text) for e in step.entries] == [
        ("withdrawn", "customer", "不需要了")
    ]
    assert (step.notices, pending_timers(step.case, CAL)) == ((), [])


# -- evidence from the payment platform and merchants -------------------------------------------


def test_merchant_response_resumes_a_case_waiting_for_the_merchant() -> None:
    waiting = lc.staff_move(
        lc.staff_move(make_case(), Status.ACCEPTED, "st_a", NOW, CAL).case,
        Status.WAITING_MERCHANT,
        "st_a",
        NOW,
        CAL,
    ).case
    assert waiting.merchant_run is not None
    step = lc.merchant_response(waiting, "M100001", "已发货", NOW + timedelta(hours=1), CAL)
    assert step.case.status is Status.INVESTIGATING and step.case.merchant_run is None
    entry = step.entries[0]
    assert (entry.type, entry.actor, entry.text) == (
        "merchant_response",
        "merchant:M100001",
        "已发货",
    )
    assert entry.visibility is Visibility.INTERNAL


def test_merchant_response_elsewhere_only_records_the_answer() -> None:
    case = make_case(status=Status.INVESTIGATING)
    step = lc.merchant_response(case, "M100001", "补充", NOW, CAL)
    assert step.case.status is Status.INVESTIGATING
    assert [e.type for e in step.entries] == ["merchant_response"]
    with pytest.raises(InvalidTransition):
        lc.merchant_response(make_case(status=Status.CLOSED), "M100001", "补充", NOW, CAL)


_IN_PROGRESS = (
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.INVESTIGATING,
    Status.WAITING_MERCHANT,
    Status.NEGOTIATING,
)


@pytest.mark.parametrize("status", list(Status))
def test_settled_payment_resolves_only_cases_still_in_progress(status: Status) -> None:
    case = make_case(status=status)
    step = lc.payment_found(case, "settled", "query@Q1:settled", NOW, CAL)
    in_progress = status in _IN_PROGRESS
    assert (step.case.status is Status.RESOLVED) is (in_progress or status is Status.RESOLVED)
    if in_progress:
        assert [e.type for e in step.entries] == ["status_changed"]
    elif case.is_open:  # recorded, left with staff
        assert [e.type for e in step.entries] == ["payment_found"]
    else:
        assert step.entries == ()


@pytest.mark.parametrize("found", ["pending_settlement", "failed", "refunded"])
def test_other_findings_are_recorded_once_and_leave_the_case_with_staff(found: str) -> None:
    case = make_case(status=Status.INVESTIGATING)
    step = lc.payment_found(case, found, f"query@Q1:{found}", NOW, CAL)
    assert step.case.status is Status.INVESTIGATING
    assert [(e.type, e.data["verdict"]) for e in step.entries] == [("payment_found", found)]
    again = lc.payment_found(step.case, found, f"query@Q1:{found}", NOW, CAL)
    assert again.entries == () and again.case == step.case


@pytest.mark.parametrize("status", list(Status))
def test_failed_refund_reopens_and_alerts_for_every_open_case(status: Status) -> None:
    # GIVEN a case in `status`; an outcome carries the time its resolution clock stopped
    outcome_at = NOW - DAY if status in (Status.RESOLVED, Status.UNRESOLVED) else None
    case = make_case(status=status, assignee="st_agent", resolved_at=outcome_at)
    step = lc.reopen_after_failed_refund(case, "RF-1", "账户已注销", NOW, CAL)
    alerts = [n for n in step.notices if n.event == "refund_failed_alert"]
    if not case.is_open:
        assert step.case == case and not alerts
        return
    assert [a.to for a in alerts] == [{"staff_ids": ["st_agent"]}]
    reopens = status in (
        Status.ACCEPTED,
        Status.WAITING_MERCHANT,
        Status.NEGOTIATING,
        Status.RESOLVED,
        Status.SECOND_REVIEW,
    )
    expected = Status.INVESTIGATING if reopens else status
    assert step.case.status is expected
    # a reopened resolution runs again; an outcome left as it was keeps its time
    expected_resolved_at = None if status is Status.RESOLVED else outcome_at
    assert step.case.resolved_at == expected_resolved_at


def test_failed_refund_on_an_unassigned_case_alerts_the_supervisors() -> None:
    step = lc.reopen_after_failed_refund(make_case(status=Status.RESOLVED), "RF-1", None, NOW, CAL)
    [alert] = [n for n in step.notices if n.event == "refund_failed_alert"]
    assert (alert.audience, alert.to) == ("staff", {"roles": ["supervisor"]})
