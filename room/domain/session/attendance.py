"""Who came to a session, when, and for how long: the attendance a funder asks for.

Read from the log's presence events, which the server issues when a participant's
first connection opens (``Connected``) and their last one closes (``Disconnected``).
Time counts only while the session runs: a connection still open when the session
ended stops counting at its end, and one opened after the end does not count at all.
When a server process dies, the next one says those still present left when it loaded
the session: the outage counts as presence, since the log cannot tell it apart.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from room.domain.session import events as ev
from room.domain.session.evolve import evolve
from room.domain.session.roles import Role
from room.domain.session.state import State

Interval = tuple[float, float | None]  # from, to; to is None while still connected


@dataclass(frozen=True, kw_only=True)
class Presence:
    participant: str
    name: str  # as the room shows it at the end (after any renaming)
    role: Role
    arrived: float | None  # first connection; None if they never came
    left: float | None  # last disconnection; None if never came, or still here and running
    seconds: float  # time connected: union of the intervals, within the session
    intervals: tuple[Interval, ...]  # in the log's order, capped at the session's end
    removed: bool = False  # their access was revoked; their time before that still counts


def attendance(events: Iterable[ev.Event], now: float) -> dict[str, Presence]:
    """Every participant of the session, in the order they were added, with their presence.

    ``now`` closes the intervals still open in a session that runs; an ended session
    closes them at its end instead.
    """
    state = State()
    spans: dict[str, list[Interval]] = {}  # participant -> intervals, in the log's order
    for event in events:
        state = evolve(state, event)
        match event:
            case ev.Connected(participant=participant, at=at):
                _open(spans.setdefault(participant, []), at)
            case ev.Disconnected(participant=participant, at=at):
                _close(spans.setdefault(participant, []), at)
            case ev.ParticipantRemoved(participant=participant, at=at):
                # Removal ends their presence; no Disconnected follows it.
                _close(spans.setdefault(participant, []), at)
    end = state.ended_at
    return {
        record.id: _presence(
            state, record.id, _capped(spans.get(record.id, []), end), now if end is None else end
        )
        for record in state.participants.values()
    }


def _open(spans: list[Interval], at: float) -> None:
    """A connection opens; a second one while already open adds nothing."""
    if not spans or spans[-1][1] is not None:
        spans.append((at, None))


def _close(spans: list[Interval], at: float) -> None:
    """The connection closes; closing with none open (no Connected before) is harmless."""
    if spans and spans[-1][1] is None:
        start = spans[-1][0]
        spans[-1] = (start, max(at, start))  # a clock stepping back never makes time negative


def _capped(spans: list[Interval], end: float | None) -> list[Interval]:
    """The intervals within the session: none after its end, none open past it."""
    capped: list[Interval] = []
    for start, stop in spans:
        if end is None:
            capped.append((start, stop))
        elif start < end:
            capped.append((start, end if stop is None else min(stop, end)))
    return capped


def _presence(state: State, participant: str, intervals: list[Interval], now: float) -> Presence:
    record = state.participants[participant]
    seconds = 0.0
    reached = float("-inf")  # the union so far runs up to here
    for start, stop in sorted(intervals, key=lambda interval: interval[0]):
        stop = max(start, now) if stop is None else stop
        seconds += max(0.0, stop - max(start, reached))
        reached = max(reached, stop)
    return Presence(
        participant=participant,
        name=record.name,
        role=record.role,
        arrived=min(start for start, _ in intervals) if intervals else None,
        left=intervals[-1][1] if intervals else None,
        seconds=seconds,
        intervals=tuple(intervals),
        removed=record.removed,
    )
