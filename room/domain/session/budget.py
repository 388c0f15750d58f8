"""The session's time budget: what each step was planned, what it has now, what it took.

A step's *planned* time is its time box as the session was created; its box *now*
differs by the facilitator's ``set_time_box`` and by borrowings, which move the
overrunning step's excess from a later step's box into its own, so that the steps'
total stays what it was. The time *spent* in each step is read from the state's
per-step seconds, which the fold adds up at each step change and at the end (a step
reopened adds up), plus the current stretch up to ``now``: nothing here is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from room.domain.session.state import State
from room.domain.session.templates import TEMPLATES
from room.domain.session.timing import overrun

MIN_BOX_MINUTES = 1  # a step lent from keeps at least this much of its time box


@dataclass(frozen=True, kw_only=True)
class StepTime:
    """One step's time, in the record's terms."""

    phase: str
    planned: int  # minutes, the time box as the session was created
    box: int  # minutes, the time box now (after changes and borrowings)
    spent: float  # seconds the session spent in this step so far


def phase_keys(state: State) -> list[str]:
    return [phase.key for phase in TEMPLATES[state.template].phases]


def spent(state: State, now: float) -> dict[str, float]:
    """Seconds spent in each step, the current stretch included up to ``now``."""
    seconds = dict(state.phase_seconds)
    if state.phase_since is not None:
        stretch = max(0.0, now - state.phase_since)
        seconds[state.phase] = seconds.get(state.phase, 0.0) + stretch
    return seconds


def overrun_minutes(state: State, now: float) -> int:
    """The current step's overrun in whole minutes, rounded up: what a borrowing moves."""
    return math.ceil(overrun(state, now) / 60.0)


def later_phases(state: State) -> list[str]:
    """The steps after the current one, in order: those one may borrow from."""
    keys = phase_keys(state)
    return keys[keys.index(state.phase) + 1 :]


def steps(state: State, now: float) -> list[StepTime]:
    """Every step of the session with its planned time, its box now and its time spent."""
    taken = spent(state, now)
    return [
        StepTime(
            phase=key,
            planned=state.planned_boxes.get(key, state.time_boxes[key]),
            box=state.time_boxes[key],
            spent=taken.get(key, 0.0),
        )
        for key in phase_keys(state)
    ]


def boxes_total(state: State) -> int:
    """The steps' time boxes added up, in minutes: what borrowing conserves."""
    return sum(state.time_boxes.values())
