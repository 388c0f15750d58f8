"""A session's state: what the fold of its events holds at one seq.

Every class here is frozen; ``evolve`` builds a new state rather than changing one,
so a state handed to a reader never moves under it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from room.domain.session.contributions import Contribution as Contribution  # re-exported
from room.domain.session.contributions import Contributions
from room.domain.session.roles import Role

DEFAULT_BUDGET_MINUTES = 150  # a session's whole time, as the group's flyer says: 2 h 30
# The wall clock a session's moments are read on when nothing says otherwise (a group
# sets its own): the product's groups meet in France.
DEFAULT_TIME_ZONE = "Europe/Paris"

SCHEMA_VERSION = 1  # of events and state as plain data; see room.domain.session.upgrade


@dataclass(frozen=True, kw_only=True)
class Participant:
    id: str
    name: str
    role: Role
    present: bool = False  # has at least one live connection now
    absent_since: float | None = None  # when they were last seen leaving, or added
    removed: bool = False  # their access was revoked; their contributions stay


@dataclass(frozen=True, kw_only=True)
class Timer:
    """The current phase's countdown. Timers never move the phase."""

    running: bool = False
    deadline: float | None = None  # server time at which the time box ends, when running
    remaining: float = 0.0  # seconds left when not running; negative is overrun


@dataclass(frozen=True, kw_only=True)
class Floor:
    order: tuple[str, ...] = ()  # the round table's members, in turn; empty outside a round
    turn: int | None = None  # index in order of the member whose turn it is
    speaker: str | None = None  # who holds the floor now, in a round or not
    speaker_since: float | None = None
    hands: tuple[str, ...] = ()  # raised hands, first raised first
    speaker_only: bool = True  # during a round, only the speaker (among members) may post
    spoken: dict[str, float] = field(default_factory=dict)  # seconds held, finished turns

    @property
    def in_round(self) -> bool:
        return self.turn is not None


@dataclass(frozen=True, kw_only=True)
class SilentRound:
    """A silent writing round, open: members write alone until the facilitator reveals.

    What they write is not here, nor in any event, until the reveal: the server keeps it
    for its author alone (room.domain.session.silent says how)."""

    number: int  # 1, 2, … in the session: names the round's drafts where they are kept
    phase: str  # the step it was opened in; a round never outlives its step
    opened_at: float
    deadline: float  # when the writing time ends; like a step's countdown, it moves nothing


@dataclass(frozen=True, kw_only=True)
class Situation:
    title: str
    context: str = ""
    problem: str = ""
    question: str = ""
    request: str = ""  # the narrator's request to the group, pinned for the whole session


@dataclass(frozen=True, kw_only=True)
class Borrowing:
    """Minutes the facilitator moved from a later step's time box to an overrunning one."""

    at: float
    by: str
    phase: str  # the step that overran, which the minutes went to
    from_phase: str  # the later step they were taken from
    minutes: int


@dataclass(frozen=True, kw_only=True)
class Weather:
    """One person's word on the session at its closing: a mood and a word or phrase."""

    mood: int  # 1 (stormy) to 5 (sunny); 0 in a reader's copy before the reveal
    word: str  # "" in a reader's copy before the reveal


@dataclass(frozen=True, kw_only=True)
class State:
    template: str = ""  # empty until the session is created
    title: str = ""
    created_at: float = 0.0
    phase: str = ""
    time_boxes: dict[str, int] = field(default_factory=dict)  # minutes, per phase key
    timer: Timer = field(default_factory=Timer)
    token_holder: str = ""
    participants: dict[str, Participant] = field(default_factory=dict)
    # A persistent map: evolve shares it between states rather than copying it.
    contributions: Contributions = field(default_factory=Contributions)
    next_number: int = 1  # contributions are numbered c1, c2, … in the order they came
    floor: Floor = field(default_factory=Floor)
    situation: Situation | None = None
    video_link: str = ""
    ended_at: float | None = None
    group: str = ""  # the group whose cycle this session is part of; "" if standalone
    follows: str = ""  # the session before it in the group: read, never copied, at opening
    follow_up_by: str = ""  # who alone posts the follow-up (that session's narrator), if set
    budget_minutes: int = DEFAULT_BUDGET_MINUTES  # the whole session's time, set at creation
    auto_timer: bool = True  # moving to a step starts its countdown
    started_at: float | None = None  # the first step change or countdown: the session began
    # Per phase, how many questions were posted that the advice rules flag: a count,
    # never whose. Facilitators only (visible_state blanks it for everyone else).
    advice_posted: dict[str, int] = field(default_factory=dict)
    silent: SilentRound | None = None  # the silent writing round open now, if any
    silent_rounds: int = 0  # how many were opened: the next one's number is one more
    # After a reveal, the round table reads the texts in turn: the ids each turn of
    # ``floor.order`` reads. Empty once that round table is over.
    reading: tuple[tuple[str, ...], ...] = ()
    # The time budget (room.domain.session.budget): the steps' time boxes as set at
    # creation, the seconds spent in each step (closed stretches; reopening adds up), when
    # the current stretch began (None before the start and after the end), the borrowings.
    planned_boxes: dict[str, int] = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)
    phase_since: float | None = None
    borrowings: tuple[Borrowing, ...] = ()
    # The closing round's weather (room.domain.session.weather), by participant; each
    # reader sees only their own until it is revealed (visible_state).
    weather: dict[str, Weather] = field(default_factory=dict)
    weather_revealed: bool = False

    @property
    def created(self) -> bool:
        return bool(self.template)

    @property
    def ended(self) -> bool:
        return self.ended_at is not None

    def role_of(self, participant: str) -> Role | None:
        record = self.participants.get(participant)
        return record.role if record is not None and not record.removed else None

    def narrator(self) -> str | None:
        for participant in self.participants.values():
            if participant.role is Role.NARRATOR and not participant.removed:
                return participant.id
        return None

    def is_referred_to(self, contribution: str) -> bool:
        return self.contributions.is_referred_to(contribution)

    def changeable_in_step(self, participant: str) -> Iterable[str]:
        """The ids of the current step's contributions ``participant`` may change (as
        their author, or as the facilitator who posted one on the author's behalf)."""
        return self.contributions.changeable(participant, self.phase)

    def answered_questions(self) -> set[str]:
        return {c.answers for c in self.contributions.values() if c.answers is not None}

    def cited_proposals(self) -> set[str]:
        return {cited for c in self.contributions.values() for cited in c.cites}
