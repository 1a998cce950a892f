"""What customers are told about a negotiation: a rejection keeps it open (a counter-offer may
follow) until staff decide or the round's limit passes, and the texts say exactly that."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import lifecycle
from chalicelib.domain.case import Status
from chalicelib.domain.proposal import Installment, ProposalTerms
from chalicelib.notifications.render import sms_segments
from chalicelib.services.timeline_texts import summary
from tests.services.story import Story

SH = ZoneInfo("Asia/Shanghai")
OFFER = ProposalTerms("partial_refund", "退还 20 元差价", (), 2000, ())
# Accepted Monday 2026-11-23 10:00: the outer limit is the end of Tuesday 2026-12-08.
LIMIT_DAY = {"zh-CN": "2026年12月8日", "en": "2026-12-08"}


def _propose(story: Story, who: str = "李娜") -> None:
    staff_id = story.staff[who].staff_id
    story.act(
        lambda c, now: lifecycle.propose(c, OFFER, staff_id, now, story.calendar),
    )


def _answer(story: Story, accept: bool) -> None:
    story.act(
        lambda c, now: lifecycle.answer_proposal(c, accept, "太少", now, story.calendar),
    )


@pytest.mark.parametrize(
    ("language", "promise", "broken"),
    [
        (
            "zh-CN",
            ("案件仍在协商中", "新的方案", "仍未达成一致，案件将自动转为未解决"),
            "继续与您沟通",
        ),
        ("en", ("stays under negotiation", "new offer", "becomes unresolved by itself"), "keep"),
    ],
)
def test_proposal_email_says_what_a_rejection_does_and_until_when(
    language: str, promise: tuple[str, ...], broken: str
) -> None:
    # GIVEN an accepted case and an offer made to it
    story = Story(language)
    story.move(Status.ACCEPTED)
    _propose(story)
    # WHEN the customer reads the offer's email
    email = story.email("proposal_made")
    # THEN it says a rejection keeps the negotiation open, names the outer limit's last day as
    # the end of it, and promises nothing the desk does not do
    for part in email.parts[1:]:
        for words in promise:
            assert words in part, (words, part)
        assert LIMIT_DAY[language] in part
        assert broken not in part
    # AND the promise holds: a rejection leaves the case negotiating, open to a counter-offer
    _answer(story, accept=False)
    assert story.case.status is Status.NEGOTIATING
    _propose(story)
    assert len(story.messages("proposal_made", "email")) == 2
    _answer(story, accept=True)
    assert story.case.status is Status.RESOLVED


@pytest.mark.parametrize(
    ("language", "why", "object_by"),
    [
        ("zh-CN", "截至处理期限，仍未就处理方案达成一致", "2026年12月24日"),
        ("en", "no agreement was reached by the deadline", "2026-12-24"),
    ],
)
def test_no_agreement_by_the_outer_limit_is_unresolved_and_says_why(
    language: str, why: str, object_by: str
) -> None:
    # GIVEN a rejected offer and no other
    story = Story(language)
    story.move(Status.ACCEPTED)
    _propose(story)
    _answer(story, accept=False)
    # WHEN the outer limit (the end of 12-08) passes
    story.at(datetime(2026, 12, 9, 9, tzinfo=SH))
    # THEN the case became unresolved at the limit, by itself
    case = story.case
    assert case.status is Status.UNRESOLVED
    assert case.resolved_at == datetime(2026, 12, 9, 0, tzinfo=SH)
    # AND the customer is told why, in their language, and until when they may object
    email = story.email("case_unresolved")
    for part in email.parts[1:]:
        assert why in part and object_by in part
    sms = story.sms("case_unresolved")
    assert object_by in sms.text
    # AND the timeline says so too
    public = story.desk.store.timeline(story.case_id, include_internal=False)
    [changed] = [e for e in public if e.data.get("reason") == "no_agreement_by_limit"]
    assert why in summary(changed, language)


@pytest.mark.parametrize(
    ("language", "final"),
    [
        ("zh-CN", "二次协商将以“未解决”作出最终决定"),
        ("en", 'ends with the final decision "unresolved"'),
    ],
)
def test_second_review_offer_says_the_reviewer_decides_by_its_deadline(
    language: str, final: str
) -> None:
    # GIVEN a round-1 outcome the customer objected to, and a reviewer's offer in round 2
    story = Story(language)
    story.move(Status.ACCEPTED)
    _propose(story)
    _answer(story, accept=False)
    story.move(Status.UNRESOLVED, note="无法达成一致")
    story.act(lambda c, now: lifecycle.object_to(c, "不同意", now, story.calendar))
    _propose(story, who="赵磊")
    # WHEN the customer reads the round-2 offer
    email = story.messages("proposal_made", "email")[-1]
    review = story.case.second_review
    assert review is not None
    due = review.resolution_due.astimezone(SH)
    shown = f"{due.year}年{due.month:02d}月{due.day:02d}日 18:00" if language == "zh-CN" else ""
    # THEN it names the reviewer's decision deadline and what happens at it
    for part in email.parts[1:]:
        assert final in part
        if shown:
            assert shown in part
        else:
            assert due.strftime("%Y-%m-%d 18:00") in part


PLAN = ProposalTerms(
    "installment_plan",
    "分三期偿还，免除逾期罚息。",
    (),
    600000,
    (
        Installment(date(2026, 12, 15), 200000),
        Installment(date(2027, 1, 15), 200000),
        Installment(date(2027, 2, 15), 200000),
    ),
)
SHOWN = {
    "zh-CN": ["2026年12月15日", "2027年1月15日", "2027年2月15日", "2000.00元"],
    "en": ["2026-12-15", "2027-01-15", "2027-02-15", "CNY 2000.00"],
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_instalment_offer_and_its_acceptance_list_every_instalment(language: str) -> None:
    # GIVEN a repayment negotiation offered a plan of three instalments
    story = Story(language, {"category": "repayment_negotiation", "payment": None})
    story.move(Status.ACCEPTED)
    staff_id = story.staff["李娜"].staff_id
    story.act(lambda c, now: lifecycle.propose(c, PLAN, staff_id, now, story.calendar))
    # WHEN the customer reads the offer / THEN the email lists each date and amount, in order
    email = story.email("proposal_made")
    for part in email.parts[1:]:
        positions = [part.index(word) for word in SHOWN[language][:3]]
        assert positions == sorted(positions)
        assert part.count(SHOWN[language][3]) == 3
    # AND the SMS lists them too where they fit (zh-CN), else how many and from when; it
    # always fits two segments
    sms = story.sms("proposal_made").text
    assert sms_segments(sms) <= 2
    if language == "zh-CN":
        assert all(word in sms for word in SHOWN[language])
    else:
        assert "3 instalments from 2026-12-15" in sms
    # WHEN the customer accepts / THEN the confirmation repeats the plan they accepted
    _answer(story, accept=True)
    resolved = story.email("case_resolved")
    for part in resolved.parts[1:]:
        assert all(word in part for word in SHOWN[language])
    resolved_sms = story.sms("case_resolved").text
    assert sms_segments(resolved_sms) <= 2 and SHOWN[language][0] in resolved_sms


def test_a_long_plan_shortens_the_sms_but_not_the_email() -> None:
    # GIVEN a 24-month plan
    days = [date(2027 + m // 12, m % 12 + 1, 15) for m in range(24)]
    plan = ProposalTerms(
        "installment_plan", "分24期。", (), 2400, tuple(Installment(d, 100) for d in days)
    )
    story = Story("zh-CN", {"category": "repayment_negotiation", "payment": None})
    story.move(Status.ACCEPTED)
    staff_id = story.staff["李娜"].staff_id
    story.act(lambda c, now: lifecycle.propose(c, plan, staff_id, now, story.calendar))
    # THEN the SMS says how many and the first, within two segments; the email has all 24
    sms = story.sms("proposal_made").text
    assert sms_segments(sms) <= 2 and "分24期，首期" in sms
    email = story.email("proposal_made").rendered.text
    assert "第24期" in email and email.count("1.00元") == 24
