"""What a merchant reads about the case its payment query opened: texts written for merchants,
in the merchant's language, and none meant for a complaining customer (no acknowledgement with
an access token, no periodic "add information in the App", no satisfaction survey)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain import lifecycle
from chalicelib.domain.case import Status
from chalicelib.domain.ledger import PaymentEvent
from tests.services.story import Sent, Story

SH = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"[\u4e00-\u9fff]")
MERCHANT_EMAIL = "finance@star.example"
# Words from the customers' texts a merchant must never be sent.
CUSTOMER_WORDING = {
    "zh-CN": ("您的投诉", "查询凭证", "在App内", "评分"),
    "en": ("your complaint", "access token", "in the app", "rate the"),
}


class MerchantStory(Story):
    """A merchant's payment query that found no payment, and the case it opened."""

    def __init__(self, language: str) -> None:
        super().__init__("zh-CN")
        self.merchant, _ = self.desk.container.merchants.register(
            {
                "merchant_id": "M200001",
                "name": "星辰咖啡 Star Coffee",
                "email": MERCHANT_EMAIL,
                "phone": "13900139000",
                "language": language,
            }
        )
        answer = self.desk.container.merchant_desk.ask(
            self.merchant, {"transaction_id": "TXN-MISSING-1", "amount_fen": 3880}
        )
        self.case_id = answer["case_id"]
        self.case_number = answer["case_number"]
        self.answer = answer
        self.desk.drain()

    def to_merchant(self) -> list[Sent]:
        return [s for s in self.sent if s.notification.recipient == MERCHANT_EMAIL]

    def settle(self) -> None:
        """The payment platform reports the payment, then its settlement."""
        now = self.desk.clock.now()
        for n, kind in enumerate(("payment.succeeded", "payment.settled")):
            self.desk.container.payment_events.record(
                PaymentEvent(
                    event_id=f"evt-{n}",
                    type=kind,
                    occurred_at=now + timedelta(minutes=n),
                    transaction_id="TXN-MISSING-1",
                    merchant_id="M200001",
                    order_id=None,
                    amount_fen=3880,
                )
            )
            for _ in range(4):
                self.desk.drain()


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_a_merchant_reads_merchant_texts_in_its_language_and_no_survey(language: str) -> None:
    # GIVEN a merchant whose query found no payment: a merchant-settlement case is opened
    story = MerchantStory(language)
    # THEN its API answer warns in its language, and the case says what it is about in it
    warning = story.answer["warning"]["message"]
    assert bool(CJK.search(warning)) is (language == "zh-CN")
    view = story.desk.container.merchant_desk.case(story.merchant, story.case_id)
    assert bool(CJK.search(view["description"])) is (language == "zh-CN")
    # AND the only message so far is the query's answer, in its language: no customer
    # acknowledgement, no access token
    assert [s.notification.event for s in story.to_merchant()] == ["merchant_query_answered"]
    # WHEN staff accept the case, write to the merchant, and time passes without news
    story.move(Status.ACCEPTED)
    staff_id = story.staff["李娜"].staff_id
    story.act(
        lambda c, now: lifecycle.staff_entry(c, "message", staff_id, now, "我们正在联系支付平台")
    )
    story.later(days=3)
    # AND the platform then reports the payment settled, and the objection window passes
    story.settle()
    story.later(days=16)
    # THEN every message to the merchant was written for a merchant, in its language
    sent = story.to_merchant()
    updates = [s.notification.params.get("update") for s in sent]
    assert {"case_accepted", "staff_message", "periodic_update", "case_resolved"} <= set(updates)
    for message in sent:
        assert message.notification.language == language
        for part in message.parts:
            if message.notification.event == "merchant_case_update":
                assert story.case_number in part
            for words in CUSTOMER_WORDING[language]:
                assert words not in part, (message.notification.event, words)
            if language == "en":
                assert not CJK.search(
                    part.replace("星辰咖啡", "").replace("我们正在联系支付平台", "")
                )
    # AND the outcome says what was found, in the merchant's language, and asks for no rating
    resolved = next(s for s in sent if s.notification.params.get("update") == "case_resolved")
    found = "支付平台确认该笔款项已结算到账" if language == "zh-CN" else "funds were settled"
    assert found in resolved.rendered.text
    assert story.case.status is Status.CLOSED
    about_it = [s.notification.event for s in story.sent if s.notification.case_id == story.case_id]
    assert "survey" not in about_it and "case_received" not in about_it


def test_a_merchant_asked_for_information_answers_through_the_merchant_api() -> None:
    # GIVEN a merchant-settlement case waiting for its contact, the merchant
    story = MerchantStory("zh-CN")
    story.move(Status.ACCEPTED)
    story.move(Status.WAITING_CUSTOMER, note="请说明顾客付款的时间和金额")
    # THEN the merchant is told to reply through the merchant API, by when
    asked = next(
        s for s in story.to_merchant() if s.notification.params.get("update") == "info_needed"
    )
    assert f"POST /v1/merchant/cases/{story.case_id}/responses" in asked.rendered.text
    assert "请说明顾客付款的时间和金额" in asked.rendered.text
    # WHEN the merchant answers there / THEN the case resumes, as the message promised
    story.desk.container.merchant_desk.respond(
        story.merchant, story.case_id, {"text": "顾客于 11 月 23 日 9 点付款 38.80 元"}
    )
    story.desk.drain()
    assert story.case.status is Status.INVESTIGATING
    assert story.case.waiting is None
    at = datetime(2026, 12, 1, 10, tzinfo=SH)
    story.at(at)
    assert story.case.status is not Status.CLOSED
