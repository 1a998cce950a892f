"""The local stage's test clock, and its switch for making the next send to an address fail.
Registered only when PAYCASE_STAGE is `local`, and working only with the test clock configured
(the stack `make run` starts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from chalice.app import Blueprint

from chalicelib import wiring
from chalicelib.adapters.clock import MAX_AHEAD
from chalicelib.adapters.dev_failures import mark
from chalicelib.api.http import endpoint, json_response, read_json
from chalicelib.api.staff import staff_member
from chalicelib.domain import limits
from chalicelib.domain import validation as v
from chalicelib.domain.contact import InvalidContact, normalize_email, normalize_phone
from chalicelib.domain.errors import NotFound, ValidationFailed
from chalicelib.domain.timefmt import to_rfc3339

if TYPE_CHECKING:
    from chalicelib.adapters.clock import OffsetFileClock

bp = Blueprint(__name__)
# One move can take the clock as far as it may ever run ahead of real time, and no further.
MAX_ADVANCE = int(MAX_AHEAD.total_seconds())


def _test_clock() -> OffsetFileClock:
    container = wiring.container()
    if not container.settings.clock_file:
        raise NotFound("No test clock is configured (PAYCASE_CLOCK_FILE).")
    return container.test_clock


@endpoint(bp, "/v1/dev/clock")
def get_clock() -> Any:
    staff_member(None)
    return json_response({"now": to_rfc3339(_test_clock().now())})


@endpoint(bp, "/v1/dev/clock", methods=["POST"])
def move_clock() -> Any:
    staff_member("admin")
    problems = v.Problems()
    data = v.require_object(read_json(bp.current_request), problems)
    v.reject_unknown(data, ("set", "advance_seconds"), problems)
    target = v.timestamp(data, "set", problems)
    seconds = v.integer(data, "advance_seconds", problems, minimum=1, maximum=MAX_ADVANCE)
    if data and ("set" in data) == ("advance_seconds" in data):
        problems.add("body", "give exactly one of set, advance_seconds")
    problems.raise_if_any()
    clock = _test_clock()
    now = clock.set(target) if target is not None else clock.advance(seconds or 0)
    return json_response({"now": to_rfc3339(now)})


@endpoint(bp, "/v1/dev/fail-next-send", methods=["POST"])
def fail_next_send() -> Any:
    """The next SMS or email to `to` fails as a bounce would, so "send again" can be tried."""
    staff_member("admin")
    _test_clock()  # the switch exists where the test clock does
    problems = v.Problems()
    data = v.require_object(read_json(bp.current_request), problems)
    v.reject_unknown(data, ("to",), problems)
    raw = v.text(data, "to", problems, required=True, max_len=limits.EMAIL)
    problems.raise_if_any()
    try:
        address = normalize_email(raw or "") if "@" in (raw or "") else normalize_phone(raw or "")
    except InvalidContact as exc:
        raise ValidationFailed({"to": f"{exc} (give a phone number or an email address)"}) from None
    container = wiring.container()
    mark(container.store, address, container.clock.now())
    channel = "email" if "@" in address else "sms"
    return json_response({"to": address, "channel": channel, "fails": "the next send"}, 202)
