"""What staff read about their cases: each SLA email names the clock, its own deadline, the
working time left or how late it is, the real assignee (or that there is none), and greets its
recipient by role. Staff emails go out in zh-CN; the same message rendered in English must
carry the same facts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.domain import lifecycle
from chalicelib.domain.case import Status
from chalicelib.domain.proposal import ProposalTerms
from chalicelib.notifications.render import TemplateRenderer
from tests.services.story import Sent, Story

SH = ZoneInfo("Asia/Shanghai")
RENDERER = TemplateRenderer()
LI, ZHANG, CHEN = "li.na@desk.example", "zhang.min@desk.example", "chen.gang@desk.example"


def _both(sent: Sent) -> dict[str, list[str]]:
    """The email as sent (zh-CN) and the same message rendered in English."""
    en = RENDERER.email(sent.notification.event, "en", sent.notification.params)
    return {"zh-CN": sent.parts, "en": [en.subject, en.text, en.html]}


def _has(parts: list[str], *words: str) -> None:
    """Every fact in the plain text; in the HTML too, where a label is a table cell."""
    _subject, text, html = parts
    for word in words:
        assert word in text, (word, text)
        label, colon, value = word.partition("：" if "：" in word else ": ")
        cells = f"<td>{label}</td><td>{value}" if colon else word
        assert cells in html, (cells, html)


def test_sla_warning_names_the_clock_its_deadline_and_the_time_left() -> None:
    # GIVEN a complaint filed Monday 10:00 and assigned to agent 李娜
    story = Story()
    story.assign("李娜")
    # WHEN half its first-response time is used (Tuesday 09:30)
    story.at(datetime(2026, 11, 24, 9, 31, tzinfo=SH))
    warning = story.email("sla_warning", to=LI)
    # THEN the agent is greeted by role, told it is her case, which clock, when it is due
    # (Tuesday 18:00, not 09:30 when the warning fired) and how much working time is left
    texts = _both(warning)
    _has(texts["zh-CN"], "李娜（客服专员），您好", "您负责的案件", "受理时限")
    _has(texts["zh-CN"], "2026年11月24日 18:00", "剩余工作时间：8小时30分钟", "经办人：李娜")
    _has(texts["en"], "Hello 李娜 (agent)", "your case", "first response")
    _has(texts["en"], "2026-11-24 18:00", "8 h 30 min", "Assignee: 李娜")
    assert "09:30" not in warning.rendered.text
    # AND nobody else was warned
    assert [s.notification.recipient for s in story.messages("sla_warning")] == [LI]


def test_sla_breach_and_escalation_show_the_real_deadline_and_how_late() -> None:
    # GIVEN an assigned complaint whose first response is due Tuesday 18:00
    story = Story()
    story.assign("李娜")
    # WHEN the deadline passes, and then a full working day more
    story.at(datetime(2026, 11, 25, 18, 1, tzinfo=SH))
    breaches = story.messages("sla_breached", "email")
    first = [s for s in breaches if s.notification.params["clock"] == "first_response"]
    level1 = [s for s in first if s.notification.params["level"] == 1]
    level2 = [s for s in first if s.notification.params["level"] == 2]
    # THEN the supervisor hears of the breach as it happens: the assignee named, the deadline
    assert [s.notification.recipient for s in level1] == [ZHANG]
    texts = _both(level1[0])
    _has(texts["zh-CN"], "张敏（主管），您好", "李娜负责的案件", "2026年11月24日 18:00 到期")
    _has(texts["zh-CN"], "已超期（按工作时间计）：刚到期", "经办人：李娜")
    _has(texts["en"], "Hello 张敏 (supervisor)", "李娜's case", "Late by (working time): just now")
    # AND the second level a working day later tells supervisor and admin, each by role, the
    # same deadline (not the escalation's own moment) and that it is a working day late
    assert sorted(s.notification.recipient for s in level2) == sorted([ZHANG, CHEN])
    admin = next(s for s in level2 if s.notification.recipient == CHEN)
    texts = _both(admin)
    _has(texts["zh-CN"], "陈刚（管理员），您好", "2026年11月24日 18:00")
    _has(texts["zh-CN"], "已超期（按工作时间计）：1个工作日")
    _has(texts["en"], "Hello 陈刚 (administrator)", "2026-11-24 18:00", "1 working day")
    assert "11月25日" not in admin.rendered.text


def test_unassigned_case_warning_says_so_to_the_supervisors() -> None:
    # GIVEN a complaint nobody has taken
    story = Story()
    # WHEN its first-response warning fires
    story.at(datetime(2026, 11, 24, 9, 31, tzinfo=SH))
    [warning] = story.messages("sla_warning", "email")
    # THEN it goes to the supervisor, says the case has no assignee and asks to assign it,
    # never "your case"
    assert warning.notification.recipient == ZHANG
    texts = _both(warning)
    _has(texts["zh-CN"], "张敏（主管），您好", "尚未分配经办人的案件", "尽快分派", "经办人：未分配")
    _has(texts["en"], "an unassigned case", "assign it", "Assignee: unassigned")
    for parts in texts.values():
        assert not [p for p in parts if "您负责的案件" in p or "your case" in p]


def test_refund_failure_alert_names_the_assignee_or_asks_to_assign() -> None:
    # GIVEN two accepted cases, one held by 王强 and one nobody holds
    held, free = Story(), Story()
    for story in (held, free):
        story.move(Status.ACCEPTED, who="王强")
    held.assign("王强")
    # WHEN the payment platform reports that a refund each relied on failed
    for story in (held, free):
        story.act(
            lambda c, now, s=story: lifecycle.reopen_after_failed_refund(
                c, "RF-1", "收款账户已注销", now, s.calendar
            )
        )
    # THEN the holder is alerted by name and role; the unassigned case goes to supervisors,
    # who are told nobody holds it
    alert = held.email("refund_failed_alert")
    assert alert.notification.recipient == "wang.qiang@desk.example"
    texts = _both(alert)
    _has(texts["zh-CN"], "王强（客服专员），您好", "经办人：王强", "收款账户已注销")
    _has(texts["en"], "Hello 王强 (agent)", "Assignee: 王强")
    alert = free.email("refund_failed_alert")
    assert alert.notification.recipient == ZHANG
    texts = _both(alert)
    _has(texts["zh-CN"], "张敏（主管），您好", "经办人：未分配", "尚未分配经办人，请尽快分派")
    _has(texts["en"], "Hello 张敏 (supervisor)", "Assignee: unassigned", "please assign it")


def _activity(story: Story, what: str) -> Sent:
    sent = story.messages("case_activity")
    [one] = [s for s in sent if s.notification.params["activity"] == what]
    return one


def test_holder_is_told_when_the_customer_writes_or_sends_what_was_asked() -> None:
    # GIVEN a case held by 李娜, waiting for the customer's bank statement
    story = Story()
    story.assign("李娜")
    story.move(Status.ACCEPTED)
    story.move(Status.WAITING_CUSTOMER, note="请提供银行扣款短信截图")
    # WHEN the customer answers, and later writes again
    calendar = story.calendar
    story.act(lambda c, now: lifecycle.customer_message(c, "截图已发送，请查收", now, calendar))
    story.act(lambda c, now: lifecycle.customer_message(c, "请问进展如何？", now, calendar))
    # THEN 李娜 is told each time, by email, with the customer's words and what it means
    info, message = _activity(story, "customer_info"), _activity(story, "customer_message")
    assert {info.notification.recipient, message.notification.recipient} == {LI}
    texts = _both(info)
    _has(texts["zh-CN"], "李娜（客服专员），您好", "您负责的案件有新动态", "客户补充了信息")
    _has(texts["zh-CN"], "截图已发送，请查收", "案件已回到“调查中”", "经办人：李娜")
    _has(texts["en"], "the customer sent the information asked for", "back under investigation")
    _has(_both(message)["zh-CN"], "客户发来了新消息", "请问进展如何？", "请尽快查看并答复")
    assert story.case.status is Status.INVESTIGATING


def test_holder_is_told_of_a_rejected_offer_and_what_may_follow() -> None:
    # GIVEN an offer on a case held by 李娜
    story = Story()
    story.assign("李娜")
    story.move(Status.ACCEPTED)
    offer = ProposalTerms("partial_refund", "退还 20 元", (), 2000, ())
    staff_id, calendar = story.staff["李娜"].staff_id, story.calendar
    story.act(lambda c, now: lifecycle.propose(c, offer, staff_id, now, calendar))
    # WHEN the customer rejects it with a reason
    story.act(lambda c, now: lifecycle.answer_proposal(c, False, "金额太少", now, calendar))
    # THEN 李娜 reads the reason, that a new offer is possible, and until when (the outer limit)
    texts = _both(_activity(story, "proposal_rejected"))
    _has(texts["zh-CN"], "客户拒绝了处理方案", "金额太少", "您可以提出新的方案")
    _has(texts["zh-CN"], "2026年12月09日 00:00 仍未达成一致")
    _has(texts["en"], "the customer rejected the offer", "make a new offer", "2026-12-09 00:00")


def test_supervisors_are_told_when_a_merchant_answers_an_unassigned_case() -> None:
    # GIVEN an unassigned case waiting for its merchant
    story = Story()
    story.move(Status.ACCEPTED)
    story.move(Status.WAITING_MERCHANT)
    calendar = story.calendar
    # WHEN the merchant answers
    story.act(
        lambda c, now: lifecycle.merchant_response(c, "M100001", "已于昨日发货", now, calendar)
    )
    # THEN the supervisor is told, with the answer, that nobody holds the case
    sent = _activity(story, "merchant_response")
    assert sent.notification.recipient == ZHANG
    texts = _both(sent)
    _has(texts["zh-CN"], "张敏（主管），您好", "尚未分配经办人的案件有新动态", "商户回复了案件")
    _has(texts["zh-CN"], "已于昨日发货", "经办人：未分配", "请尽快分派")
    _has(texts["en"], "an unassigned case", "the merchant answered", "please assign it")
