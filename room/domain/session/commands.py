"""What participants (and the server, as SYSTEM) ask of a session.

A command is a wish; ``decide`` turns it into events or refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from room.domain.messages import Message
from room.domain.session.roles import Kind, Role, Welcome
from room.domain.session.silent import Draft
from room.domain.session.state import DEFAULT_BUDGET_MINUTES


class Command(Message, family=True):
    # Fields the server fills in, which a client's frame may not carry (room.protocol).
    SERVER_FIELDS: ClassVar[frozenset[str]] = frozenset()


@dataclass(frozen=True, kw_only=True)
class CreateSession(Command):
    type = "create_session"
    template: str
    title: str
    facilitator: str  # the new facilitator's participant id
    name: str  # the facilitator's display name
    group: str = ""  # the group it belongs to; empty for a standalone session
    follows: str = ""  # the group's previous session, whose situation it opens on
    follow_up_by: str = ""  # that session's narrator: the one who tells what became of it
    budget_minutes: int = DEFAULT_BUDGET_MINUTES  # the whole session's time: the steps' share
    auto_timer: bool = True  # moving to a step starts its countdown


@dataclass(frozen=True, kw_only=True)
class AddParticipant(Command):
    type = "add_participant"
    participant: str
    name: str
    role: Role


@dataclass(frozen=True, kw_only=True)
class RemoveParticipant(Command):
    type = "remove_participant"
    participant: str


@dataclass(frozen=True, kw_only=True)
class Rename(Command):
    """A participant chooses how the room shows their name."""

    type = "rename"
    name: str


@dataclass(frozen=True, kw_only=True)
class Connect(Command):
    """The server saw the participant's first live connection."""

    type = "connect"
    participant: str


@dataclass(frozen=True, kw_only=True)
class Disconnect(Command):
    """The server saw the participant's last live connection close."""

    type = "disconnect"
    participant: str


@dataclass(frozen=True, kw_only=True)
class GoToPhase(Command):
    """Move forward, or back to reopen a step."""

    type = "go_to_phase"
    phase: str


@dataclass(frozen=True, kw_only=True)
class StartTimer(Command):
    type = "start_timer"


@dataclass(frozen=True, kw_only=True)
class PauseTimer(Command):
    type = "pause_timer"


@dataclass(frozen=True, kw_only=True)
class ExtendTimer(Command):
    type = "extend_timer"
    seconds: int


@dataclass(frozen=True, kw_only=True)
class SetTimerMode(Command):
    """Whether moving to a step starts its countdown (``auto``), or the facilitator does."""

    type = "set_timer_mode"
    auto: bool


@dataclass(frozen=True, kw_only=True)
class SetTimeBox(Command):
    type = "set_time_box"
    phase: str
    minutes: int


@dataclass(frozen=True, kw_only=True)
class PassToken(Command):
    type = "pass_token"
    to: str


@dataclass(frozen=True, kw_only=True)
class TakeToken(Command):
    """A facilitator takes the token from a holder who has been gone too long."""

    type = "take_token"


@dataclass(frozen=True, kw_only=True)
class StartRound(Command):
    type = "start_round"
    order: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class NextSpeaker(Command):
    type = "next_speaker"


@dataclass(frozen=True, kw_only=True)
class PassTurn(Command):
    """The member who holds the floor in a round passes it on."""

    type = "pass_turn"


@dataclass(frozen=True, kw_only=True)
class GiveFloor(Command):
    type = "give_floor"
    to: str


@dataclass(frozen=True, kw_only=True)
class EndRound(Command):
    type = "end_round"


@dataclass(frozen=True, kw_only=True)
class RaiseHand(Command):
    type = "raise_hand"


@dataclass(frozen=True, kw_only=True)
class LowerHand(Command):
    type = "lower_hand"


@dataclass(frozen=True, kw_only=True)
class SetRoundPosting(Command):
    """During a round: may only the member holding the floor post, or everyone?"""

    type = "set_round_posting"
    speaker_only: bool


@dataclass(frozen=True, kw_only=True)
class WriteSituation(Command):
    type = "write_situation"
    title: str
    context: str = ""
    problem: str = ""
    question: str = ""
    request: str = ""


@dataclass(frozen=True, kw_only=True)
class Post(Command):
    type = "post"
    kind: Kind
    body: dict[str, str]
    answers: str | None = None  # the question an answer answers
    cites: tuple[str, ...] = ()  # the proposals an action comes from
    on_behalf_of: str | None = None  # a facilitator posting for a member who dropped


@dataclass(frozen=True, kw_only=True)
class Edit(Command):
    type = "edit"
    contribution: str
    body: dict[str, str]
    cites: tuple[str, ...] | None = None  # None keeps an action's citations


@dataclass(frozen=True, kw_only=True)
class Withdraw(Command):
    type = "withdraw"
    contribution: str


@dataclass(frozen=True, kw_only=True)
class WelcomeProposal(Command):
    type = "welcome"
    proposal: str
    mark: Welcome


@dataclass(frozen=True, kw_only=True)
class Hide(Command):
    type = "hide"
    contribution: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class Unhide(Command):
    type = "unhide"
    contribution: str


@dataclass(frozen=True, kw_only=True)
class SetVideoLink(Command):
    """The group's video call, shown beside the room; empty text removes it."""

    type = "set_video_link"
    url: str


@dataclass(frozen=True, kw_only=True)
class OpenSilentRound(Command):
    """Members write alone for ``minutes``; nobody else sees a word before the reveal."""

    type = "open_silent_round"
    minutes: int


@dataclass(frozen=True, kw_only=True)
class RevealSilentRound(Command):
    """Every draft of the open round becomes a contribution at once.

    ``drafts`` and ``seed`` are the server's to fill (the drafts it keeps, a shuffle's
    randomness): the wire refuses a client frame that carries them."""

    type = "reveal_silent_round"
    SERVER_FIELDS = frozenset({"drafts", "seed"})
    order_by: str = "rotation"  # "rotation": author after author; "shuffled"
    drafts: tuple[Draft, ...] = ()
    seed: int = 0


@dataclass(frozen=True, kw_only=True)
class CloseSilentRound(Command):
    """Close the open round without revealing it: its drafts are erased."""

    type = "close_silent_round"


@dataclass(frozen=True, kw_only=True)
class WriteDraft(Command):
    """A member's text in a silent round, new or changed: kept for them alone, never
    logged. ``draft`` is the author's id for it, chosen by their client."""

    type = "write_draft"
    draft: str
    kind: Kind
    body: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class DropDraft(Command):
    type = "drop_draft"
    draft: str


@dataclass(frozen=True, kw_only=True)
class WriteNotes(Command):
    """The narrator's own notes on the session, whole: kept for them alone, never logged."""

    type = "write_notes"
    text: str


@dataclass(frozen=True, kw_only=True)
class MarkQuestion(Command):
    """The narrator marks a question to come back to (or no longer): for them alone."""

    type = "mark_question"
    question: str
    marked: bool


# Commands that write no event: the room keeps their text for its author alone.
PRIVATE_COMMANDS = (WriteDraft, DropDraft, WriteNotes, MarkQuestion)


@dataclass(frozen=True, kw_only=True)
class EndSession(Command):
    type = "end_session"


# --- the time budget (room.domain.session.budget) ---------------------------------------


@dataclass(frozen=True, kw_only=True)
class BorrowTime(Command):
    """Give the overrunning step its overrun, taken from the later step ``from_phase``."""

    type = "borrow_time"
    from_phase: str


# --- the closing round's weather (room.domain.session.weather) ---------------------------


@dataclass(frozen=True, kw_only=True)
class GiveWeather(Command):
    """A member's or the narrator's word on the session: a mood from 1 to 5, a word."""

    type = "give_weather"
    mood: int
    word: str


@dataclass(frozen=True, kw_only=True)
class RevealWeather(Command):
    """Show everyone's weather before all have given it (someone left, time is up)."""

    type = "reveal_weather"
