"""Payment events through the service that records them, in any order and with repeats: the
stored ledger ends in the state the set of events describes, a repeated event id is recognised,
and the customer with a case about the payment hears each change once."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.ledger import fold
from tests.builders import complaint
from tests.services.conftest import make_desk
from tests.unit.test_ledger import HISTORY

# The customer's complaint names the ledger's payment.
PAYMENT = {"transaction_id": "TX1", "merchant_id": "M100001", "amount_fen": 10_000}


@given(
    st.lists(st.sampled_from(range(len(HISTORY))), min_size=1, max_size=14).flatmap(
        lambda picked: st.permutations(picked)
    )
)
def test_events_in_any_order_and_repeated_end_in_one_state_and_tell_each_change_once(
    order: list[int],
) -> None:
    # GIVEN a customer with an open case about the payment
    desk = make_desk()
    desk.file(complaint(payment=PAYMENT))
    desk.drain()
    before = len(desk.sms.sent)
    # WHEN the platform's events arrive in this order, some of them more than once
    arrived = [HISTORY[i] for i in order]
    recorded = [desk.container.payment_events.record(event) for event in arrived]
    while desk.drain():  # the payment consumer adds the messages it sends
        pass
    # THEN only the first arrival of each event id was recorded
    seen: set[str] = set()
    for event, new in zip(arrived, recorded, strict=True):
        assert new is (event.event_id not in seen)
        seen.add(event.event_id)
    # AND the stored ledger is the payment the set of events describes
    record = desk.container.payments.get_payment("TX1")
    assert record is not None
    assert fold(record.events) == fold(sorted(set(arrived), key=lambda e: e.order))
    assert len(record.events) == len(seen)
    # AND no message was sent twice
    texts = Counter(text for _, text in desk.sms.sent[before:])
    assert texts and all(n == 1 for n in texts.values()), texts
