"""Time computed from state and the server's ``now``; never stored, never read here."""

from __future__ import annotations

from room.domain.session.state import State


def remaining(state: State, now: float) -> float:
    """Seconds left in the current phase's time box; negative when overrun."""
    timer = state.timer
    if timer.running and timer.deadline is not None:
        return timer.deadline - now
    return timer.remaining


def overrun(state: State, now: float) -> float:
    return max(0.0, -remaining(state, now))


def floor_time(state: State, now: float) -> dict[str, float]:
    """Seconds each participant has held the floor so far, the current turn included."""
    spoken = dict(state.floor.spoken)
    floor = state.floor
    if floor.speaker is not None and floor.speaker_since is not None:
        spoken[floor.speaker] = spoken.get(floor.speaker, 0.0) + max(0.0, now - floor.speaker_since)
    return spoken
