"""The closing round's weather: each member's and the narrator's word on the session.

In the step whose template phase says ``weather`` (the flyer's closing, the six
steps' learnings), each member and the narrator give a mood from a small scale and a
word or short phrase; facilitators and observers give none. Until the weather is
revealed, a reader sees only their own and how many answered: the server blanks the
others' in every state and event it hands a reader (``for_reader``,
``event_for_reader``). It is revealed, in one event carrying everyone's, when the
last of those *awaited* gives theirs, or earlier by the facilitator holding the token.

Awaited: the narrator (present or not: the session is theirs), and every member
present now. Someone who answered and left still counts among those who answered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from room.domain.session import events as ev
from room.domain.session.roles import Role
from room.domain.session.state import State, Weather

MOODS = (1, 2, 3, 4, 5)  # stormy, rainy, cloudy, sunny spells, sunny: catalogue weather.mood.N
WORD_MAX = 60  # characters, one line: a word or a short phrase
GIVERS = frozenset({Role.MEMBER, Role.NARRATOR})
SEALED = Weather(mood=0, word="")  # another's weather, before the reveal


def awaited(state: State) -> set[str]:
    """Whose weather the reveal waits for: the narrator, and the members present."""
    return {
        p.id
        for p in state.participants.values()
        if not p.removed and (p.role is Role.NARRATOR or (p.role is Role.MEMBER and p.present))
    }


def all_given(state: State, weather: Mapping[str, Weather]) -> bool:
    """Whether everyone awaited in ``state`` has a weather in ``weather``."""
    waiting = awaited(state)
    return bool(waiting) and waiting <= weather.keys()


def answered(state: State) -> tuple[int, int]:
    """How many gave their weather, and out of how many (those awaited, and those who
    answered and are no longer awaited)."""
    return len(state.weather), len(awaited(state) | state.weather.keys())


def for_reader(state: State, reader: str | None) -> State:
    """``state`` as ``reader`` may see it: before the reveal, others' weather sealed."""
    if state.weather_revealed or not state.weather:
        return state
    if all(who == reader for who in state.weather):
        return state
    sealed = {who: w if who == reader else SEALED for who, w in state.weather.items()}
    return replace(state, weather=sealed)


def event_for_reader(event: ev.Event, state: State, reader: str | None) -> ev.Event:
    """``event`` as ``reader`` may receive it in ``state`` (the state after it, live; the
    state at the time of a replay, for a replay): another's weather, unrevealed, sealed."""
    if isinstance(event, ev.WeatherGiven) and not state.weather_revealed and event.by != reader:
        return replace(event, mood=SEALED.mood, word=SEALED.word)
    return event


def is_sealed(event: ev.Event, state: State) -> bool:
    """Whether ``event`` reaches readers other than its author sealed, in ``state``."""
    return isinstance(event, ev.WeatherGiven) and not state.weather_revealed
