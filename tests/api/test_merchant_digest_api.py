"""A flood of complaints naming one merchant is a handful of emails and one digest, not hundreds
(services/digests.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from tests.api.conftest import REGION, Api
from tests.api.merchants import Merchants
from tests.builders import MONDAY_10AM, complaint

ADDRESS = "finance@m100001.example.com"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _emails_to(address: str) -> list[Any]:
    sent = ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages
    return [m for m in sent if address in str(getattr(m, "destinations", ""))]


def _file_naming_the_merchant(api: Api, n: int) -> dict[str, Any]:
    body = complaint(
        contact={"phone": f"1390013{n:04d}"},  # one phone each: no customer limit applies
        payment={"transaction_id": f"TXN-M-{n:03d}", "merchant_id": "M100001", "amount_fen": 99},
    )
    response = api.file(body)
    assert response.status_code == 201, response.body
    return dict(response.json_body)


def test_a_burst_naming_one_merchant_yields_five_emails_and_one_digest(
    api: Api, merchants: Merchants
) -> None:
    before = len(_emails_to(ADDRESS))
    # GIVEN 14 complaints naming merchant M100001 between 10:00 and 10:42 Beijing time
    filed = []
    for n in range(14):
        filed.append(_file_naming_the_merchant(api, n))
        api.clock.advance(180)
        api.drain()
    # THEN the merchant was emailed about the first five, one by one, and nothing else yet
    alone = _emails_to(ADDRESS)[before:]
    assert len(alone) == 5
    for case, mail in zip(filed[:5], alone, strict=True):
        assert case["case_number"] in mail.subject
    # WHEN the hour is over (and the few minutes stragglers get)
    api.clock.set(datetime(2026, 11, 23, 11, 5, tzinfo=SHANGHAI))
    api.drain()
    api.drain()
    # THEN one digest came, and only one, however often the outbox drains
    mails = _emails_to(ADDRESS)[before:]
    assert len(mails) == 6
    digest = mails[-1]
    # AND it says how many complaints named the merchant, in which hour, and lists the other 9
    assert digest.subject == "2026年11月23日 10:00–11:00 共有 14 宗投诉涉及贵商户（汇总）"
    text = re.sub(r"<[^>]+>", "", digest.body)  # the HTML part, as read
    assert "2026年11月23日 10:00–11:00（北京时间），共有 14 宗投诉涉及贵商户" in text
    assert "前 5 宗已逐一通知，其余 9 宗汇总如下" in text
    listed = [c["case_number"] for c in filed[5:]]
    assert all(number in text for number in listed)
    assert not any(c["case_number"] in text for c in filed[:5])
    # AND the delivery log holds it as one message to the merchant
    admin = api.staff_token("admin")
    sent = api.get("/v1/admin/notifications?status=sent&limit=200", admin).json_body["items"]
    digests = [m for m in sent if m["event"] == "merchant_digest"]
    assert len(digests) == 1 and digests[0]["audience"] == "merchant"


def test_five_complaints_in_an_hour_need_no_digest(api: Api, merchants: Merchants) -> None:
    before = len(_emails_to(ADDRESS))
    for n in range(5):
        _file_naming_the_merchant(api, 100 + n)
    api.drain()
    api.clock.set(MONDAY_10AM + timedelta(hours=2))
    api.drain()
    mails = _emails_to(ADDRESS)[before:]
    assert len(mails) == 5
    assert all("汇总" not in m.subject for m in mails)


def test_the_next_hour_starts_counting_again(api: Api, merchants: Merchants) -> None:
    before = len(_emails_to(ADDRESS))
    # GIVEN six complaints in one hour (five alone, one for the digest)
    for n in range(6):
        _file_naming_the_merchant(api, 200 + n)
    api.drain()
    # WHEN the next hour brings one more
    api.clock.set(datetime(2026, 11, 23, 11, 1, tzinfo=SHANGHAI))
    late = _file_naming_the_merchant(api, 299)
    api.drain()
    api.clock.set(datetime(2026, 11, 23, 12, 30, tzinfo=SHANGHAI))
    api.drain()
    # THEN it is emailed on its own, and the first hour's digest lists one complaint of six
    mails = _emails_to(ADDRESS)[before:]
    assert len(mails) == 7
    assert any(late["case_number"] in m.subject for m in mails)
    (digest,) = [m for m in mails if "汇总" in m.subject]
    assert digest.subject == "2026年11月23日 10:00–11:00 共有 6 宗投诉涉及贵商户（汇总）"
    assert "其余 1 宗汇总如下" in re.sub(r"<[^>]+>", "", digest.body)
