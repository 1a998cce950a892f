"""One live wake-up schedule per open case, kept right under at-least-once delivery.

Every case owns at most one live one-time schedule, named `<case_id>-<gen>`, that fires at its
next due timer and then deletes itself (ActionAfterCompletion DELETE). A change of the next timer
updates that schedule in place (one Scheduler call) unless it is about to fire: updating a schedule
at the moment it fires races with its self-deletion, so then a new generation is created and the
old one is left to fire harmlessly.

`epoch` increases with every change of the desired wake-up and travels in the schedule's input as
`clock_epoch`. A firing whose epoch is current is acted on; one from an older generation is
superseded and ignored; one from the live generation with an older epoch means the schedule's
newest content was lost, and the case is re-armed with a fresh generation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

# Never update a schedule this close to its firing time; create a new generation instead.
UPDATE_MARGIN = timedelta(seconds=60)
# EventBridge rejects or immediately fires `at()` in the past; a new schedule never sits closer.
MIN_LEAD = timedelta(seconds=60)


@dataclass(frozen=True)
class Timer:
    name: str
    due_at: datetime


@dataclass(frozen=True)
class ScheduleState:
    epoch: int = 0
    gen: int = 0
    gen_epoch: int = 0  # the epoch at which generation `gen` was created
    live_at: datetime | None = None  # when the live schedule fires; None when there is none
    timer: str | None = None
    due_at: datetime | None = None


class ScheduleAction(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class ScheduleCommand:
    action: ScheduleAction
    gen: int
    epoch: int
    at: datetime | None = None
    timer: str | None = None
    due_at: datetime | None = None


class Firing(StrEnum):
    CURRENT = "current"
    SUPERSEDED = "superseded"
    LOST = "lost"


def plan(
    state: ScheduleState, desired: Timer | None, now: datetime
) -> tuple[ScheduleState, ScheduleCommand | None]:
    """The new schedule state and the one Scheduler call (or none) that gets there."""
    if desired is None:
        if state.live_at is None:
            return state, None
        epoch = state.epoch + 1
        cleared = replace(state, epoch=epoch, live_at=None, timer=None, due_at=None)
        return cleared, ScheduleCommand(ScheduleAction.DELETE, state.gen, epoch)

    if (
        state.live_at is not None
        and state.timer == desired.name
        and state.due_at == desired.due_at
        and state.live_at > now
    ):
        return state, None  # already armed for exactly this

    epoch = state.epoch + 1
    at = max(desired.due_at, now + MIN_LEAD)
    if state.live_at is not None and state.live_at > now + UPDATE_MARGIN:
        new = replace(state, epoch=epoch, live_at=at, timer=desired.name, due_at=desired.due_at)
        action = ScheduleAction.UPDATE
    else:
        new = ScheduleState(epoch, state.gen + 1, epoch, at, desired.name, desired.due_at)
        action = ScheduleAction.CREATE
    return new, ScheduleCommand(action, new.gen, epoch, at, desired.name, desired.due_at)


def classify_firing(state: ScheduleState, clock_epoch: int) -> Firing:
    if clock_epoch == state.epoch:
        return Firing.CURRENT
    if state.gen_epoch <= clock_epoch < state.epoch:
        return Firing.LOST
    return Firing.SUPERSEDED


def fired(state: ScheduleState) -> ScheduleState:
    """The state after the live schedule fired (it deletes itself)."""
    return replace(state, live_at=None, timer=None, due_at=None)
