"""What a reader may see: hidden text is for facilitators only.

Live events go to everyone as they happen (a hidden contribution's text has already
been seen); the hide event tells every client to drop it. A snapshot or a replay,
though, is built for its reader, so that text hidden before they (re)connected
never reaches them, nor any export.
"""

from __future__ import annotations

from dataclasses import replace

from room.domain.session import events as ev
from room.domain.session import weather
from room.domain.session.contributions import Contributions
from room.domain.session.roles import Role
from room.domain.session.state import State


def sees_hidden(role: Role | None) -> bool:
    return role is Role.FACILITATOR


def visible_state(state: State, role: Role | None, reader: str | None = None) -> State:
    """``state`` with the text of hidden contributions removed, unless ``role`` may see it;
    but for facilitators, without the count of questions that read as advice; and, for
    everyone, facilitators too, with only ``reader``'s own weather before its reveal
    (no one's when ``reader`` is None: a record, a group's page)."""
    state = weather.for_reader(state, reader)
    if sees_hidden(role):
        return state
    if state.advice_posted:
        state = replace(state, advice_posted={})
    if not any(c.hidden is not None for c in state.contributions.values()):
        return state
    contributions = {
        key: replace(c, body={}) if c.hidden is not None else c
        for key, c in state.contributions.items()
    }
    return replace(state, contributions=Contributions(contributions))


def visible_event(event: ev.Event, now_hidden: set[str], role: Role | None) -> ev.Event:
    """``event`` for a replay: a contribution hidden at the time of the replay loses its
    text in every earlier event that carried it."""
    if sees_hidden(role) or not now_hidden:
        return event
    if isinstance(event, ev.ContributionPosted) and event.contribution.id in now_hidden:
        return replace(event, contribution=replace(event.contribution, body={}))
    if isinstance(event, ev.SilentRoundRevealed):
        if not any(c.id in now_hidden for c in event.contributions):
            return event
        revealed = tuple(
            replace(c, body={}) if c.id in now_hidden else c for c in event.contributions
        )
        return replace(event, contributions=revealed)
    if isinstance(event, ev.ContributionEdited) and event.contribution in now_hidden:
        return replace(event, body={})
    if isinstance(event, ev.ContributionUnhidden) and event.contribution in now_hidden:
        return replace(event, body={})
    return event


def hidden_ids(state: State) -> set[str]:
    return {key for key, c in state.contributions.items() if c.hidden is not None}
