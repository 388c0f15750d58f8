"""What happened in a session: facts, in the order the log holds them.

Every event says when (``at``, the server's time of the command) and by whom
(``by``, a participant id or SYSTEM). Events carry what a reader needs to fold
them without the command that caused them.
"""

from __future__ import annotations

from dataclasses import dataclass

from room.domain.messages import Message
from room.domain.session.roles import Role, Welcome
from room.domain.session.state import DEFAULT_BUDGET_MINUTES, Contribution, Situation, Weather


@dataclass(frozen=True, kw_only=True)
class Event(Message, family=True):
    at: float
    by: str


@dataclass(frozen=True, kw_only=True)
class SessionCreated(Event):
    type = "session_created"
    template: str
    title: str
    time_boxes: dict[str, int]  # copied from the template, so later template edits keep old logs
    group: str = ""
    follows: str = ""
    follow_up_by: str = ""
    budget_minutes: int = DEFAULT_BUDGET_MINUTES  # logs from before budgets read as the default
    auto_timer: bool = True


@dataclass(frozen=True, kw_only=True)
class ParticipantAdded(Event):
    type = "participant_added"
    participant: str
    name: str
    role: Role


@dataclass(frozen=True, kw_only=True)
class ParticipantRemoved(Event):
    type = "participant_removed"
    participant: str


@dataclass(frozen=True, kw_only=True)
class ParticipantRenamed(Event):
    type = "participant_renamed"
    participant: str
    name: str


@dataclass(frozen=True, kw_only=True)
class Connected(Event):
    type = "connected"
    participant: str


@dataclass(frozen=True, kw_only=True)
class Disconnected(Event):
    type = "disconnected"
    participant: str


@dataclass(frozen=True, kw_only=True)
class PhaseChanged(Event):
    type = "phase_changed"
    phase: str
    # When the step's countdown ends, if moving started it; None: it waits to be started.
    # The server's clock, carried by the event, so every client counts to the same end.
    deadline: float | None = None


@dataclass(frozen=True, kw_only=True)
class TimerStarted(Event):
    type = "timer_started"
    deadline: float


@dataclass(frozen=True, kw_only=True)
class TimerPaused(Event):
    type = "timer_paused"
    remaining: float


@dataclass(frozen=True, kw_only=True)
class TimerExtended(Event):
    type = "timer_extended"
    seconds: int


@dataclass(frozen=True, kw_only=True)
class TimerModeSet(Event):
    type = "timer_mode_set"
    auto: bool


@dataclass(frozen=True, kw_only=True)
class TimeBoxSet(Event):
    type = "time_box_set"
    phase: str
    minutes: int


@dataclass(frozen=True, kw_only=True)
class TokenPassed(Event):
    type = "token_passed"
    to: str


@dataclass(frozen=True, kw_only=True)
class TokenTaken(Event):
    """Taken, not handed: the previous holder had been gone too long."""

    type = "token_taken"
    previous: str


@dataclass(frozen=True, kw_only=True)
class RoundStarted(Event):
    type = "round_started"
    order: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class FloorGiven(Event):
    """The floor moves to ``to`` (no one when None); ``turn`` is its place in the round."""

    type = "floor_given"
    to: str | None
    turn: int | None


@dataclass(frozen=True, kw_only=True)
class RoundEnded(Event):
    type = "round_ended"


@dataclass(frozen=True, kw_only=True)
class HandRaised(Event):
    type = "hand_raised"


@dataclass(frozen=True, kw_only=True)
class HandLowered(Event):
    type = "hand_lowered"
    participant: str


@dataclass(frozen=True, kw_only=True)
class RoundPostingSet(Event):
    type = "round_posting_set"
    speaker_only: bool


@dataclass(frozen=True, kw_only=True)
class SituationWritten(Event):
    type = "situation_written"
    situation: Situation


@dataclass(frozen=True, kw_only=True)
class ContributionPosted(Event):
    type = "contribution_posted"
    contribution: Contribution


@dataclass(frozen=True, kw_only=True)
class ContributionEdited(Event):
    type = "contribution_edited"
    contribution: str
    body: dict[str, str]
    cites: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ContributionWithdrawn(Event):
    type = "contribution_withdrawn"
    contribution: str


@dataclass(frozen=True, kw_only=True)
class ProposalWelcomed(Event):
    type = "proposal_welcomed"
    proposal: str
    mark: Welcome


@dataclass(frozen=True, kw_only=True)
class ContributionHidden(Event):
    type = "contribution_hidden"
    contribution: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class ContributionUnhidden(Event):
    """Carries the body back, since readers who are not facilitators never had it."""

    type = "contribution_unhidden"
    contribution: str
    body: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class VideoLinkSet(Event):
    type = "video_link_set"
    url: str


@dataclass(frozen=True, kw_only=True)
class SilentRoundOpened(Event):
    type = "silent_round_opened"
    number: int
    minutes: int
    deadline: float


@dataclass(frozen=True, kw_only=True)
class SilentRoundRevealed(Event):
    """Every draft of the round, now contributions, at once and in the chosen order;
    the round table that reads them starts with it (``order``, and ``reading``: the
    contributions each turn reads)."""

    type = "silent_round_revealed"
    number: int
    order_by: str  # "rotation" or "shuffled"
    contributions: tuple[Contribution, ...]
    order: tuple[str, ...]
    reading: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, kw_only=True)
class SilentRoundClosed(Event):
    """Closed without reveal: its drafts are erased, and nothing of them is in the log."""

    type = "silent_round_closed"
    number: int


@dataclass(frozen=True, kw_only=True)
class SessionEnded(Event):
    type = "session_ended"


# --- the time budget (room.domain.session.budget) ---------------------------------------


@dataclass(frozen=True, kw_only=True)
class TimeBorrowed(Event):
    """The current step's overrun, in whole minutes, moved from a later step's time box."""

    type = "time_borrowed"
    phase: str  # the step that overran: its box grows by ``minutes``
    from_phase: str  # the later step: its box shrinks by as much
    minutes: int


# --- the closing round's weather (room.domain.session.weather) ---------------------------


@dataclass(frozen=True, kw_only=True)
class WeatherGiven(Event):
    """``by`` gave (or changed) their weather. Before the reveal, a reader other than
    ``by`` receives it with ``mood`` 0 and ``word`` "": only that someone answered."""

    type = "weather_given"
    mood: int
    word: str


@dataclass(frozen=True, kw_only=True)
class WeatherRevealed(Event):
    """Everyone's weather, shown together: carried whole, since no reader but each
    author had it."""

    type = "weather_revealed"
    weather: dict[str, Weather]
