"""Whose "what may I do" an event can change.

After each event the server tells every connected participant what they may do now.
Most events change few answers: a post opens its own edit and withdrawal to whoever
may change it, and closes the withdrawal of what it answers or cites; a raised hand
changes the raiser's moves. A new step, the end, the token, the floor, the timer or
the roster may change everyone's. ``reach`` says which, read from the guards in
``decide.py`` (what each one looks at): a guard that comes to read more of the state
must be matched here, or the property test — answers asked again only where ``reach``
says equal a full recomputation, after every event, for everyone — fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from room.domain.session import events as ev
from room.domain.session.state import State

# Past this many contributions touched at once (a burst caught up from the log), asking
# everything again once is cheaper than keeping the sets.
MANY = 64


@dataclass(frozen=True, slots=True)
class Reach:
    """The parts of the answers that some events can have changed."""

    whole: bool = False  # every part of everyone's answer
    everyone: bool = False  # everyone's moves that name no contribution
    people: frozenset[str] = frozenset()  # these participants' moves that name none
    contributions: frozenset[str] = frozenset()  # the edit and withdrawal of these…
    changers: frozenset[str] = frozenset()  # …for those who may change them

    def __or__(self, other: Reach) -> Reach:
        if self.whole or other.whole:
            return WHOLE
        contributions = self.contributions | other.contributions
        if len(contributions) > MANY:
            return WHOLE
        return Reach(
            everyone=self.everyone or other.everyone,
            people=self.people | other.people,
            contributions=contributions,
            changers=self.changers | other.changers,
        )

    def concerns(self, participant: str) -> bool:
        """Whether any part of ``participant``'s answer may have changed."""
        return (
            self.whole
            or self.everyone
            or participant in self.people
            or participant in self.changers
        )


NOTHING = Reach()
WHOLE = Reach(whole=True)
EVERYONE = Reach(everyone=True)


def reach(state: State, event: ev.Event) -> Reach:
    """What ``event`` can change of the answers given in ``state``, the state before it."""
    rule = _REACH[type(event)]
    return rule if isinstance(rule, Reach) else rule(state, event)


def _touching(state: State, contributions: Iterable[str], *also: str) -> Reach:
    """The edits and withdrawals of ``contributions``, for whoever may change them;
    ``also`` names people (a new contribution's) that ``state`` does not know yet."""
    ids = frozenset(contributions)
    changers = set(also)
    for key in ids:
        known = state.contributions.get(key)
        if known is not None:
            changers.update(known.changers())
    return Reach(contributions=ids, changers=frozenset(changers))


def _posted(state: State, e: ev.ContributionPosted) -> Reach:
    # Its own edit and withdrawal open; answering or citing closes the withdrawal of
    # what it refers to (the guard's in_use).
    posted = e.contribution
    return _touching(state, (posted.id, *posted.references()), *posted.changers())


def _edited(state: State, e: ev.ContributionEdited) -> Reach:
    # An action's citations may change: the proposals it cited and those it now cites.
    old = state.contributions[e.contribution]
    return _touching(state, (old.id, *old.references(), *e.cites))


def _withdrawn(state: State, e: ev.ContributionWithdrawn) -> Reach:
    old = state.contributions[e.contribution]
    return _touching(state, (old.id, *old.references()))


def _marked(state: State, e: ev.ContributionHidden | ev.ContributionUnhidden) -> Reach:
    return _touching(state, (e.contribution,))  # a hidden one may not be edited


def _connected(state: State, e: ev.Connected) -> Reach:
    # Whether the token may be taken over looks at its holder's presence, and at no one
    # else's: the holder's return closes it. Their departure opens it only two minutes
    # later, which is time's doing (``reach_in_time``), not the event's.
    return EVERYONE if e.participant == state.token_holder else NOTHING


def _holders(state: State) -> Reach:
    """The token holder's moves alone: the step's overrun opens their borrow_time."""
    return Reach(people=frozenset({state.token_holder}))


_REACH: dict[type[Any], Reach | Callable[[State, Any], Reach]] = {
    # The step decides what may be posted and which contributions may be changed; the
    # end closes nearly everything.
    ev.SessionCreated: WHOLE,
    ev.PhaseChanged: WHOLE,
    ev.SessionEnded: WHOLE,
    # Who is in the session: whom a facilitator may remove, post for or relink, whose
    # token may be taken; a removed participant may do nothing.
    ev.ParticipantAdded: EVERYONE,
    ev.ParticipantRemoved: EVERYONE,
    ev.ParticipantRenamed: NOTHING,
    ev.Connected: _connected,
    ev.Disconnected: NOTHING,
    # The holder's business, and the floor's, which decides who may post in a round.
    ev.TimerStarted: EVERYONE,
    ev.TimerPaused: EVERYONE,
    # Running or not, as before; but the step's overrun, which opens the holder's
    # borrow_time, may start or stop (no other guard reads a time box).
    ev.TimerExtended: lambda state, e: _holders(state),
    ev.TimeBoxSet: lambda state, e: _holders(state),
    ev.TimerModeSet: NOTHING,  # nor whether a step change starts the countdown
    ev.TokenPassed: EVERYONE,
    ev.TokenTaken: EVERYONE,
    ev.RoundStarted: EVERYONE,
    ev.FloorGiven: EVERYONE,
    ev.RoundEnded: EVERYONE,
    ev.RoundPostingSet: EVERYONE,
    ev.HandRaised: lambda state, e: Reach(people=frozenset({e.by})),
    ev.HandLowered: lambda state, e: Reach(people=frozenset({e.participant})),
    # What was said: no guard reads the situation, a welcome mark or the video link.
    ev.SituationWritten: NOTHING,
    ev.ContributionPosted: _posted,
    ev.ContributionEdited: _edited,
    ev.ContributionWithdrawn: _withdrawn,
    ev.ProposalWelcomed: NOTHING,
    ev.ContributionHidden: _marked,
    ev.ContributionUnhidden: _marked,
    ev.VideoLinkSet: NOTHING,
    # A silent round opens drafting and closes members' posts and the step's moves; its
    # reveal posts many contributions and starts the round table that reads them.
    ev.SilentRoundOpened: WHOLE,
    ev.SilentRoundRevealed: WHOLE,
    ev.SilentRoundClosed: WHOLE,
    # The time budget: a borrowing ends the overrun that opened the holder's borrow.
    ev.TimeBorrowed: lambda state, e: _holders(state),
    # The weather: the first one given opens the reveal; the reveal closes it.
    ev.WeatherGiven: lambda state, e: NOTHING if state.weather else EVERYONE,
    ev.WeatherRevealed: EVERYONE,
}
