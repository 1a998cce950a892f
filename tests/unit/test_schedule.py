"""One live wake-up schedule per case: plan() and classify_firing()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.schedule import (
    MIN_LEAD,
    UPDATE_MARGIN,
    Firing,
    ScheduleAction,
    ScheduleState,
    Timer,
    classify_firing,
    fired,
    plan,
)

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def armed(live_in: timedelta, *, epoch: int = 3, gen: int = 2, gen_epoch: int = 2) -> ScheduleState:
    """A state whose live schedule (for `first_response_due`) fires `live_in` after NOW."""
    at = NOW + live_in
    return ScheduleState(epoch, gen, gen_epoch, at, "first_response_due", at)


# -- plan ---------------------------------------------------------------------------------------


def test_plan_first_timer_creates_generation_one() -> None:
    # GIVEN a case without a schedule
    desired = Timer("first_response_due", NOW + HOUR)
    # WHEN planning its first timer
    state, command = plan(ScheduleState(), desired, NOW)
    # THEN generation 1 is created to fire at the due time
    assert command is not None
    assert (command.action, command.gen, command.epoch) == (ScheduleAction.CREATE, 1, 1)
    assert (command.at, command.timer, command.due_at) == (NOW + HOUR, desired.name, NOW + HOUR)
    assert state == ScheduleState(1, 1, 1, NOW + HOUR, desired.name, NOW + HOUR)


def test_plan_unchanged_timer_returns_no_command() -> None:
    # GIVEN a schedule already armed for the desired timer
    state = armed(HOUR)
    # WHEN planning the same timer a little later
    new, command = plan(state, Timer("first_response_due", NOW + HOUR), NOW + timedelta(minutes=5))
    # THEN nothing changes
    assert command is None
    assert new == state


def test_plan_changed_timer_far_from_firing_updates_in_place() -> None:
    # GIVEN a live schedule an hour away
    state = armed(HOUR)
    # WHEN the next timer changes
    new, command = plan(state, Timer("resolution_due", NOW + 5 * HOUR), NOW)
    # THEN the same generation is updated with a new epoch
    assert command is not None
    assert (command.action, command.gen, command.epoch) == (ScheduleAction.UPDATE, 2, 4)
    assert (command.at, command.timer) == (NOW + 5 * HOUR, "resolution_due")
    assert (new.epoch, new.gen, new.gen_epoch) == (4, 2, 2)
    assert (new.live_at, new.timer) == (NOW + 5 * HOUR, "resolution_due")


def test_plan_same_timer_new_due_time_updates_in_place() -> None:
    # GIVEN a live schedule for first_response_due
    state = armed(HOUR)
    # WHEN the same timer moves (e.g. recomputed deadlines)
    new, command = plan(state, Timer("first_response_due", NOW + 2 * HOUR), NOW)
    # THEN it is an update of the live generation
    assert command is not None
    assert command.action is ScheduleAction.UPDATE
    assert new.due_at == NOW + 2 * HOUR


def test_plan_live_schedule_within_update_margin_creates_new_generation() -> None:
    # GIVEN a live schedule about to fire (exactly UPDATE_MARGIN away, and closer)
    for live_in in (UPDATE_MARGIN, UPDATE_MARGIN / 2):
        state = armed(live_in)
        # WHEN the next timer changes
        new, command = plan(state, Timer("resolution_due", NOW + HOUR), NOW)
        # THEN a new generation is created rather than racing the firing schedule
        assert command is not None
        assert (command.action, command.gen, command.epoch) == (ScheduleAction.CREATE, 3, 4)
        assert (new.gen, new.gen_epoch, new.epoch) == (3, 4, 4)


def test_plan_live_schedule_just_outside_margin_is_updated() -> None:
    # GIVEN a live schedule one second beyond the margin
    state = armed(UPDATE_MARGIN + timedelta(seconds=1))
    # WHEN the next timer changes / THEN it is still updated in place
    _, command = plan(state, Timer("resolution_due", NOW + HOUR), NOW)
    assert command is not None
    assert command.action is ScheduleAction.UPDATE


def test_plan_fired_schedule_creates_new_generation_even_for_same_timer() -> None:
    # GIVEN a schedule that has already fired (its time has passed)
    state = armed(-timedelta(seconds=5))
    # WHEN the same timer is still desired (e.g. the firing was lost)
    new, command = plan(state, Timer("first_response_due", NOW - timedelta(seconds=5)), NOW)
    # THEN a new generation is created, no earlier than MIN_LEAD from now
    assert command is not None
    assert (command.action, command.gen) == (ScheduleAction.CREATE, 3)
    assert command.at == NOW + MIN_LEAD
    assert new.live_at == NOW + MIN_LEAD


def test_plan_after_fired_creates_new_generation() -> None:
    # GIVEN the live schedule fired and deleted itself
    state = fired(armed(HOUR))
    assert (state.live_at, state.timer, state.due_at) == (None, None, None)
    # WHEN the next timer is planned
    new, command = plan(state, Timer("resolution_due", NOW + 2 * HOUR), NOW)
    # THEN a new generation is created
    assert command is not None
    assert (command.action, command.gen, new.gen_epoch) == (ScheduleAction.CREATE, 3, 4)


def test_plan_overdue_timer_is_scheduled_min_lead_ahead() -> None:
    # GIVEN a desired timer already in the past
    desired = Timer("resolution_due", NOW - HOUR)
    # WHEN planning it
    _, command = plan(ScheduleState(), desired, NOW)
    # THEN the schedule fires MIN_LEAD from now but still carries the real due time
    assert command is not None
    assert command.at == NOW + MIN_LEAD
    assert command.due_at == NOW - HOUR


def test_plan_nothing_desired_deletes_live_schedule() -> None:
    # GIVEN a live schedule
    state = armed(HOUR)
    # WHEN nothing is desired any more (e.g. the case closed)
    new, command = plan(state, None, NOW)
    # THEN the live generation is deleted and the state cleared
    assert command is not None
    assert (command.action, command.gen, command.epoch) == (ScheduleAction.DELETE, 2, 4)
    assert command.at is None
    assert (new.epoch, new.gen, new.live_at, new.timer, new.due_at) == (4, 2, None, None, None)


def test_plan_nothing_desired_nothing_live_returns_no_command() -> None:
    # GIVEN no live schedule
    state = fired(armed(HOUR))
    # WHEN nothing is desired / THEN there is nothing to do
    assert plan(state, None, NOW) == (state, None)
    assert plan(ScheduleState(), None, NOW) == (ScheduleState(), None)


# -- classify_firing ----------------------------------------------------------------------------


def test_classify_firing_current_lost_superseded() -> None:
    # GIVEN generation 1 created (epoch 1) then updated (epoch 2)
    s1, _ = plan(ScheduleState(), Timer("first_response_due", NOW + HOUR), NOW)
    s2, _ = plan(s1, Timer("resolution_due", NOW + 2 * HOUR), NOW)
    # WHEN / THEN epoch 2 is current; epoch 1 of the live generation means the update was lost
    assert classify_firing(s2, 2) is Firing.CURRENT
    assert classify_firing(s2, 1) is Firing.LOST
    # GIVEN generation 2 created at epoch 3 because gen 1 was about to fire
    s3, _ = plan(s2, Timer("first_response_due", NOW + HOUR), NOW + 2 * HOUR - UPDATE_MARGIN)
    assert (s3.gen, s3.gen_epoch, s3.epoch) == (2, 3, 3)
    # WHEN / THEN the old generation's epochs are superseded
    assert classify_firing(s3, 3) is Firing.CURRENT
    assert classify_firing(s3, 2) is Firing.SUPERSEDED
    assert classify_firing(s3, 1) is Firing.SUPERSEDED


def test_classify_firing_live_generation_older_epoch_is_lost() -> None:
    # GIVEN generation 3 created at epoch 5 and updated twice (epoch 7)
    state = ScheduleState(epoch=7, gen=3, gen_epoch=5, live_at=NOW + HOUR)
    # WHEN / THEN its earlier epochs are lost, earlier generations superseded
    assert [classify_firing(state, e) for e in range(3, 8)] == [
        Firing.SUPERSEDED,
        Firing.SUPERSEDED,
        Firing.LOST,
        Firing.LOST,
        Firing.CURRENT,
    ]


# -- properties ---------------------------------------------------------------------------------

desired_timers = st.none() | st.builds(
    lambda name, offset: (name, timedelta(seconds=offset)),
    st.sampled_from(["first_response_due", "resolution_due"]),
    st.integers(min_value=-600, max_value=7200),
)
steps = st.lists(
    st.tuples(st.integers(min_value=0, max_value=900), desired_timers, st.booleans()),
    max_size=30,
)


@given(steps=steps)
def test_plan_epoch_increases_exactly_when_a_command_is_issued(steps: list) -> None:
    # GIVEN any sequence of desired timers over advancing time (with firings that happened)
    state, now = ScheduleState(), NOW
    for advance, wanted, fire in steps:
        now += timedelta(seconds=advance)
        if fire and state.live_at is not None and state.live_at <= now:
            state = fired(state)
        desired = Timer(wanted[0], now + wanted[1]) if wanted else None
        # WHEN planning
        new, command = plan(state, desired, now)
        # THEN the epoch grows by one exactly when a command is returned, gen never decreases
        if command is None:
            assert new == state
        else:
            assert new.epoch == state.epoch + 1 == command.epoch
            assert classify_firing(new, command.epoch) is Firing.CURRENT
        assert new.gen >= state.gen
        if command is not None and command.action is not ScheduleAction.DELETE:
            assert command.at is not None
            assert command.at >= now + MIN_LEAD
            assert command.gen == new.gen
        if desired is not None:
            assert (new.timer, new.due_at) == (desired.name, desired.due_at)
            assert new.live_at is not None
            assert new.live_at > now
        state = new
