"""A group's state: what the fold of its events holds, and the questions asked of it.

A group lives across a cycle of sessions: its people, its charter (versioned), its
public presentation, the applications that page brings, the sessions it plans and
each member's private drafts. Every class is frozen, as in the session's state.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from enum import StrEnum

from room.domain.session.state import DEFAULT_BUDGET_MINUTES
from room.domain.session.state import DEFAULT_TIME_ZONE as DEFAULT_TIME_ZONE  # re-exported

DEFAULT_SESSIONS = 6  # the flyer's cycle: six sessions…
DEFAULT_MINUTES = DEFAULT_BUDGET_MINUTES  # …of a session's length: two hours and a half
# Months the group is kept after its last held session (or its creation, if it never
# met) before it is erased: a cycle's year, then the group's records go.
DEFAULT_RETENTION_MONTHS = 12


class GroupRole(StrEnum):
    """A person's standing in the group; their role in one session follows from that
    session (who narrates it), never from the group."""

    FACILITATOR = "facilitator"
    MEMBER = "member"


class Status(StrEnum):
    """Where a person is on the way in: invited → waiting → admitted, or removed."""

    INVITED = "invited"  # has a link, has not accepted the charter yet
    WAITING = "waiting"  # a member who accepted the charter, not admitted yet
    ADMITTED = "admitted"
    REMOVED = "removed"  # access revoked; the record stays for the history


class ApplicationStatus(StrEnum):
    NEW = "new"
    DISCUSSED = "discussed"  # a facilitator noted the preliminary discussion
    INVITED = "invited"  # turned into an invited member
    DECLINED = "declined"

    @property
    def open(self) -> bool:
        return self in (ApplicationStatus.NEW, ApplicationStatus.DISCUSSED)


class Answer(StrEnum):
    """A member's answer to a proposed date: the flyer's members commit to every session,
    so "if needed" says they would move something to come."""

    YES = "yes"
    IF_NEEDED = "if_needed"
    NO = "no"


class Attendance(StrEnum):
    """What the facilitator confirms for the funder, from who actually joined."""

    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class ExportedRecord(StrEnum):
    """What someone downloaded of a group, in its log of copies."""

    SESSION_RECORD = "session_record"  # a session's record (Markdown, printable page)
    ATTENDANCE_SHEET = "attendance_sheet"  # a session's attendance sheet
    JOURNAL = "journal"  # the cycle's attendance journal
    ACCESS_EXPORT = "access_export"  # everything the group holds about one person


@dataclass(frozen=True, kw_only=True)
class Cycle:
    sessions: int = DEFAULT_SESSIONS  # how many sessions the group plans to hold
    minutes: int = DEFAULT_MINUTES  # the length of each


@dataclass(frozen=True, kw_only=True)
class Charter:
    version: int = 0  # 1 at creation, one more at each edit; 0 before the group exists
    rules: tuple[str, ...] = ()  # user content: the facilitators' words


@dataclass(frozen=True, kw_only=True)
class Presentation:
    """The public page's text, written by a facilitator; public only when published."""

    objectives: str = ""
    method: str = ""
    prerequisites: str = ""
    schedule: str = ""
    published: bool = False


@dataclass(frozen=True, kw_only=True)
class Person:
    id: str
    name: str
    email: str = ""  # shown to facilitators; the server writes to it when it has SMTP
    lang: str = "fr"  # the language they are written to in
    role: GroupRole
    status: Status = Status.INVITED
    invited_at: float
    accepted_at: float | None = None  # the last acceptance of the charter
    accepted_version: int | None = None  # the charter version then accepted
    admitted_at: float | None = None
    admission_note: str = ""  # how the practice was discussed beforehand (facilitators only)
    removed_at: float | None = None
    application: str | None = None  # the application this invitation came from, if any

    @property
    def removed(self) -> bool:
        return self.status is Status.REMOVED


@dataclass(frozen=True, kw_only=True)
class Application:
    """An interested consultant's request, from the public page's form."""

    id: str
    name: str
    email: str
    practice: str  # a few lines on their practice
    received_at: float
    lang: str = "fr"  # the language of the page they applied from
    status: ApplicationStatus = ApplicationStatus.NEW
    note: str = ""  # a facilitator's note on the preliminary discussion
    decided_at: float | None = None  # when it was turned into an invitation or declined
    person: str | None = None  # the person invited from it


@dataclass(frozen=True, kw_only=True)
class PlannedSession:
    id: str  # the session's id in the session store, chosen by the server
    date: str  # local date-time in the group's time zone, "YYYY-MM-DDTHH:MM"
    narrator: str  # a person id; "" for a date fixed from the poll, narrator to choose
    planned_at: float
    order: int  # planning order: breaks ties between sessions set at the same date
    erased_at: float | None = None  # its content was erased from the store; the date stays
    cancelled_at: float | None = None  # it will not be held: it counts nowhere any more
    # One more at each move of its date and at its cancellation: the SEQUENCE of its
    # calendar event, so that a calendar takes the newest version.
    revision: int = 0

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


@dataclass(frozen=True, kw_only=True)
class Draft:
    """A member's situation, prepared privately before they narrate it."""

    id: str
    author: str
    title: str
    context: str = ""
    problem: str = ""
    question: str = ""
    request: str = ""
    saved_at: float
    used_in: str | None = None  # the planned session it was handed to, if any


@dataclass(frozen=True, kw_only=True)
class Slot:
    """A date the facilitator proposed for the calendar, and everyone's answer."""

    id: str  # t1, t2, … numbered by the fold
    date: str  # local date-time, "YYYY-MM-DDTHH:MM"
    answers: dict[str, Answer] = field(default_factory=dict)  # by person
    session: str | None = None  # the planned session, once the facilitator fixed it


@dataclass(frozen=True, kw_only=True)
class Message:
    """A message of the group's thread, between sessions: help asked and given."""

    id: str  # m1, m2, … numbered by the fold
    author: str
    text: str
    at: float
    reply_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class Confirmation:
    """A facilitator's word on one person's attendance at one session."""

    status: Attendance
    note: str = ""
    at: float
    by: str


@dataclass(frozen=True, kw_only=True)
class Export:
    """One download of a group's record: who, what, when."""

    at: float
    person: str  # who downloaded it
    record: ExportedRecord
    session: str = ""
    subject: str = ""  # whose data, for an access export


@dataclass(frozen=True, kw_only=True)
class State:
    name: str = ""  # empty until the group is created
    cycle: Cycle = field(default_factory=Cycle)
    time_zone: str = DEFAULT_TIME_ZONE  # an IANA name; the server checks that it exists
    created_at: float = 0.0
    charter: Charter = field(default_factory=Charter)
    presentation: Presentation = field(default_factory=Presentation)
    people: dict[str, Person] = field(default_factory=dict)  # in invitation order
    applications: dict[str, Application] = field(default_factory=dict)
    sessions: dict[str, PlannedSession] = field(default_factory=dict)
    drafts: dict[str, Draft] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)  # the calendar poll's dates
    poll_open: bool = False  # members may answer
    next_slot: int = 1
    messages: dict[str, Message] = field(default_factory=dict)  # the thread, oldest first
    next_message: int = 1
    attendance: dict[str, dict[str, Confirmation]] = field(default_factory=dict)  # session → person
    # Each person's own word that they were there: session → person → when they said so.
    presence: dict[str, dict[str, float]] = field(default_factory=dict)
    retention_months: int = DEFAULT_RETENTION_MONTHS  # see room.domain.group.retention
    exports: tuple[Export, ...] = ()  # the log of copies, oldest first (facilitators')

    @property
    def created(self) -> bool:
        return bool(self.name)

    def person(self, person: str) -> Person | None:
        """The person, unless unknown or removed: a removed person is nobody here."""
        record = self.people.get(person)
        return record if record is not None and not record.removed else None

    def role_of(self, person: str) -> GroupRole | None:
        record = self.person(person)
        return record.role if record is not None else None


@dataclass(frozen=True, kw_only=True)
class Rotation:
    narrated: tuple[str, ...]  # narrators of the planned sessions, in session order, once each
    suggested_narrator: str | None  # the first admitted member who narrates none of them


# --- questions asked of a state -------------------------------------------------------------


def must_accept(state: State, person: str) -> bool:
    """Whether ``person`` must accept the current charter before seeing content: never
    accepted, or accepted an older version. Removed people are asked nothing."""
    record = state.person(person)
    return record is not None and record.accepted_version != state.charter.version


def sees_content(state: State, person: str) -> bool:
    """Admitted, not removed, and bound by the current charter. Facilitators are
    admitted on accepting the charter, so this holds for them as for members."""
    record = state.person(person)
    return (
        record is not None
        and record.status is Status.ADMITTED
        and record.accepted_version == state.charter.version
    )


def ordered_sessions(state: State) -> list[PlannedSession]:
    """The sessions of the cycle by date, then by planning order; cancelled ones are
    not of the cycle any more."""
    planned = [s for s in state.sessions.values() if not s.cancelled]
    return sorted(planned, key=lambda s: (s.date, s.order))


def session_at(state: State, date: str, besides: str = "") -> PlannedSession | None:
    """A session of the cycle (other than ``besides``) planned at ``date``."""
    return next((s for s in ordered_sessions(state) if s.date == date and s.id != besides), None)


def counted_sessions(state: State, held: Container[str], today: str) -> list[PlannedSession]:
    """The sessions that count, in date order: those held (``held`` holds the ids of
    the sessions that began; an erased one was held) and those still to come on
    ``today``, a local "YYYY-MM-DDTHH:MM". A date gone by without a session counts
    for nothing."""
    return [s for s in ordered_sessions(state) if _began(s, held) or s.date >= today]


def session_number(state: State, session: str, held: Container[str], today: str) -> int:
    """The session's number in the cycle: 1 + the sessions that count before it."""
    planned = state.sessions[session]
    key = (planned.date, planned.order)
    return 1 + sum(1 for s in counted_sessions(state, held, today) if (s.date, s.order) < key)


def previous_session(state: State, session: str, held: Container[str]) -> str | None:
    """The held session just before ``session`` by date: whose situation it opens on.
    One that never began has nothing to follow up."""
    planned = state.sessions.get(session)
    if planned is None:
        return None
    key = (planned.date, planned.order)
    earlier = [s.id for s in ordered_sessions(state) if (s.date, s.order) < key and _began(s, held)]
    return earlier[-1] if earlier else None


def _began(session: PlannedSession, held: Container[str]) -> bool:
    """Held, as ``held`` says — or erased, which only a session with a log can be."""
    return session.id in held or session.erased_at is not None


def admitted_members(state: State) -> list[Person]:
    """Admitted members in admission order (the fold keeps invitation order for ties)."""
    members = [
        p
        for p in state.people.values()
        if p.role is GroupRole.MEMBER and p.status is Status.ADMITTED
    ]
    return sorted(members, key=lambda p: p.admitted_at or 0.0)


def rotation(state: State) -> Rotation:
    """Who has narrated, and who is suggested next. Every planned session counts, past
    or future: a member already down to narrate is not suggested again."""
    narrated = tuple(dict.fromkeys(s.narrator for s in ordered_sessions(state) if s.narrator))
    waiting_turn = [p.id for p in admitted_members(state) if p.id not in narrated]
    return Rotation(narrated=narrated, suggested_narrator=next(iter(waiting_turn), None))
