"""The right of access: everything one group holds about one person, as sections.

Each section is one small function reading one source — the group's state, the
group's log, its sessions' states, their logs, the outbox — and says which event
kinds it reports. A new source (a session's private notes, say) is one more
``Section`` in ``SECTIONS``; a new event kind is reported by the section that
declares it, and ``tests/unit/records/test_access.py`` fails while no section does.

Rows are plain data, JSON-ready: dates as ISO 8601 in UTC, texts as written. An
e-mail is told by its envelope (kind, address, dates, status), never its body, which
the outbox drops once the message is settled anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from room.domain.group import GroupEvent
from room.domain.group import State as GroupState
from room.domain.group import events as gev
from room.domain.session import State as SessionState
from room.domain.session import events as sev
from room.domain.session.events import Event as SessionEvent

Row = dict[str, Any]

# Fields that hold a person's id, in an event or in what it carries.
PERSON_FIELDS = ("by", "person", "participant", "narrator", "subject", "author")


@dataclass(frozen=True)
class Envelope:
    """What the export tells of one message of the outbox: never its body."""

    person: str  # the recipient's person id
    kind: str
    recipient: str
    created_at: float
    status: str
    settled_at: float | None = None


@dataclass(frozen=True)
class Kept:
    """A text a session keeps for this person alone, outside its log: a draft of a silent
    round still open, or the narrator's notes (and the questions they marked)."""

    session: str
    kind: str  # "draft" or "notes"
    text: str
    at: float | None = None
    marked: tuple[str, ...] = ()  # for the notes: the questions to come back to


@dataclass(frozen=True)
class Sources:
    """What one group holds, read by the caller for one person."""

    person: str
    group_id: str
    group: GroupState  # the whole state, as the server folds it
    group_log: Sequence[GroupEvent]
    sessions: Mapping[str, SessionState] = field(default_factory=dict)  # those that began
    session_logs: Mapping[str, Sequence[SessionEvent]] = field(default_factory=dict)
    mails: Sequence[Envelope] = ()  # the group's outbox
    kept: Sequence[Kept] = ()  # what its sessions keep for this person alone, outside the logs


@dataclass(frozen=True)
class Section:
    key: str  # its title is the catalogue's "access.section.<key>"
    kinds: frozenset[str]  # the event kinds whose facts it reports
    build: Callable[[Sources], list[Row]]


@dataclass(frozen=True)
class Part:
    """One section as built for one person."""

    key: str
    rows: list[Row]


def moment(at: float | None) -> str | None:
    """A server time as ISO 8601 in UTC, to the second."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, UTC).isoformat(timespec="seconds")


def names(event: object, person: str) -> bool:
    """Whether ``event`` names ``person`` in one of its person fields, or in those of
    a record it carries (a contribution's author)."""
    for name in PERSON_FIELDS:
        if getattr(event, name, None) == person:
            return True
    carried = getattr(event, "contribution", None)
    return getattr(carried, "author", None) == person


# --- the sections ---------------------------------------------------------------------------


def _identity(s: Sources) -> list[Row]:
    """How the group writes the person now, and where they are on the way in."""
    record = s.group.people.get(s.person)
    if record is None:
        return []
    return [
        {
            "name": record.name,
            "email": record.email,
            "lang": record.lang,
            "role": record.role.value,
            "status": record.status.value,
            "invited_at": moment(record.invited_at),
            "admitted_at": moment(record.admitted_at),
            "removed_at": moment(record.removed_at),
        }
    ]


def _corrections(s: Sources) -> list[Row]:
    return [
        {"at": moment(e.at), "name": e.name, "email": e.email}
        for e in s.group_log
        if isinstance(e, gev.PersonCorrected) and e.person == s.person
    ]


def _charter(s: Sources) -> list[Row]:
    """Every acceptance, not only the last: which words bound them, from when."""
    rows = []
    for e in s.group_log:
        if isinstance(e, gev.CharterAccepted) and e.by == s.person:
            rows.append({"at": moment(e.at), "version": e.version})
        elif isinstance(e, gev.CharterEdited) and e.by == s.person:
            rows.append({"at": moment(e.at), "version": e.version})  # writing is accepting
    return rows


def _admission(s: Sources) -> list[Row]:
    """The invitation, the note on the practice's discussion, a removal."""
    rows = []
    for e in s.group_log:
        if isinstance(e, gev.PersonInvited) and e.person == s.person:
            rows.append({"at": moment(e.at), "what": "invited", "name": e.name, "email": e.email})
        elif isinstance(e, gev.PersonAdmitted) and e.person == s.person:
            rows.append({"at": moment(e.at), "what": "admitted", "note": e.note})
        elif isinstance(e, gev.PersonRemoved) and e.person == s.person:
            rows.append({"at": moment(e.at), "what": "removed"})
    return rows


def _application(s: Sources) -> list[Row]:
    """The application the invitation came from, if it did, with the facilitators'
    note on it."""
    record = s.group.people.get(s.person)
    application = s.group.applications.get(record.application or "") if record else None
    if application is None:
        return []
    return [
        {
            "received_at": moment(application.received_at),
            "name": application.name,
            "email": application.email,
            "practice": application.practice,
            "note": application.note,
            "status": application.status.value,
        }
    ]


def _narrated(s: Sources) -> list[Row]:
    """The sessions planned with them as narrator."""
    return [
        {
            "session": p.id,
            "date": p.date,
            "cancelled": p.cancelled,
            "erased": p.erased_at is not None,
        }
        for p in s.group.sessions.values()
        if p.narrator == s.person
    ]


def _drafts(s: Sources) -> list[Row]:
    return [
        {
            "draft": d.id,
            "saved_at": moment(d.saved_at),
            "title": d.title,
            "context": d.context,
            "problem": d.problem,
            "question": d.question,
            "request": d.request,
            "used_in": d.used_in or "",
        }
        for d in s.group.drafts.values()
        if d.author == s.person
    ]


def _poll(s: Sources) -> list[Row]:
    return [
        {"date": slot.date, "answer": slot.answers[s.person].value}
        for slot in s.group.slots.values()
        if s.person in slot.answers
    ]


def _thread(s: Sources) -> list[Row]:
    return [
        {"at": moment(m.at), "text": m.text}
        for m in s.group.messages.values()
        if m.author == s.person
    ]


def _attendance(s: Sources) -> list[Row]:
    """Per session: the facilitators' word, their own, and the time the log holds them
    seated (each arrival and departure)."""
    rows = []
    for session, planned in s.group.sessions.items():
        confirmed = s.group.attendance.get(session, {}).get(s.person)
        said = s.group.presence.get(session, {}).get(s.person)
        log = s.session_logs.get(session, ())
        moves = [
            e
            for e in log
            if isinstance(e, sev.Connected | sev.Disconnected) and e.participant == s.person
        ]
        if confirmed is None and said is None and not moves:
            continue
        rows.append(
            {
                "session": session,
                "date": planned.date,
                "status": confirmed.status.value if confirmed else "",
                "note": confirmed.note if confirmed else "",
                "confirmed_at": moment(confirmed.at) if confirmed else None,
                "self_confirmed_at": moment(said),
                "connections": [{"at": moment(e.at), "what": e.type} for e in moves],
            }
        )
    return rows


def _contributions(s: Sources) -> list[Row]:
    """What they wrote in each session, as it reads now: their situation as narrator,
    each contribution (a hidden one with the facilitator's reason)."""
    rows = []
    for session, state in s.sessions.items():
        situation = state.situation
        if situation is not None and state.narrator() == s.person:
            rows.append(
                {
                    "session": session,
                    "kind": "situation",
                    "text": "\n".join(
                        t
                        for t in (
                            situation.title,
                            situation.context,
                            situation.problem,
                            situation.question,
                            situation.request,
                        )
                        if t
                    ),
                    "at": None,
                }
            )
        for c in state.contributions.values():
            if c.author != s.person:
                continue
            rows.append(
                {
                    "session": session,
                    "kind": c.kind.value,
                    "text": "\n".join(v for v in c.body.values() if v),
                    "at": moment(c.at),
                    "hidden": c.hidden or "",
                }
            )
    return rows


def _kept(s: Sources) -> list[Row]:
    """What sessions keep for them alone: drafts of a silent round not yet revealed,
    the notes and marked questions of a session they narrate."""
    return [
        {
            "session": k.session,
            "kind": k.kind,
            "text": k.text,
            "at": moment(k.at),
            **({"marked": list(k.marked)} if k.kind == "notes" else {}),
        }
        for k in s.kept
    ]


def _weather(s: Sources) -> list[Row]:
    """The weather they gave at a session's closing: theirs, revealed or not."""
    return [
        {"session": session, "mood": given.mood, "word": given.word}
        for session, state in s.sessions.items()
        for who, given in state.weather.items()
        if who == s.person
    ]


def _copies(s: Sources) -> list[Row]:
    """The records they downloaded, and the copies of their data others made."""
    return [
        {
            "at": moment(e.at),
            "record": e.record.value,
            "session": e.session,
            "by": e.person,
            "subject": e.subject,
        }
        for e in s.group.exports
        if s.person in (e.person, e.subject)
    ]


def _mails(s: Sources) -> list[Row]:
    """Envelopes only: what, to which address, when, and what became of it."""
    return [
        {
            "kind": m.kind,
            "recipient": m.recipient,
            "created_at": moment(m.created_at),
            "status": m.status,
            "settled_at": moment(m.settled_at),
        }
        for m in s.mails
        if m.person == s.person
    ]


def _journal(s: Sources) -> list[Row]:
    """Every other fact of the logs that names them: what and when (a facilitator's
    acts, a seat in a session, a link renewed), in which session."""
    rows = [
        {"at": moment(e.at), "what": e.type, "session": ""}
        for e in s.group_log
        if e.type in _JOURNAL_GROUP and names(e, s.person)
    ]
    for session, log in s.session_logs.items():
        rows += [
            {"at": moment(e.at), "what": e.type, "session": session}
            for e in log
            if e.type in _JOURNAL_SESSION and names(e, s.person)
        ]
    return rows


def _kinds(*events: type[Any]) -> frozenset[str]:
    return frozenset(e.type for e in events)


_JOURNAL_GROUP = _kinds(
    gev.GroupCreated,
    gev.GroupEdited,
    gev.PresentationEdited,
    gev.PublishedSet,
    gev.ApplicationNoted,
    gev.ApplicantInvited,
    gev.ApplicationDeclined,
    gev.SessionReplanned,
    gev.SessionCancelled,
    gev.SlotsProposed,
    gev.SlotFixed,
    gev.PollClosed,
    gev.RetentionSet,
    gev.SessionErased,
    gev.GroupErased,
)
_JOURNAL_SESSION = _kinds(
    sev.SessionCreated,
    sev.ParticipantAdded,
    sev.ParticipantRemoved,
    sev.ParticipantRenamed,
    sev.PhaseChanged,
    sev.TimerStarted,
    sev.TimerPaused,
    sev.TimerExtended,
    sev.TimerModeSet,
    sev.TimeBoxSet,
    sev.TokenPassed,
    sev.TokenTaken,
    sev.RoundStarted,
    sev.FloorGiven,
    sev.RoundEnded,
    sev.HandRaised,
    sev.HandLowered,
    sev.RoundPostingSet,
    sev.ContributionWithdrawn,  # gone from the session: only the fact remains
    sev.ProposalWelcomed,
    sev.ContributionHidden,
    sev.ContributionUnhidden,
    sev.VideoLinkSet,
    sev.SilentRoundOpened,
    sev.SilentRoundClosed,
    sev.TimeBorrowed,
    sev.SessionEnded,
)

SECTIONS: tuple[Section, ...] = (
    Section("identity", frozenset(), _identity),
    Section("corrections", _kinds(gev.PersonCorrected), _corrections),
    Section("charter", _kinds(gev.CharterAccepted, gev.CharterEdited), _charter),
    Section(
        "admission", _kinds(gev.PersonInvited, gev.PersonAdmitted, gev.PersonRemoved), _admission
    ),
    Section("application", _kinds(gev.ApplicationReceived), _application),
    Section("narrated", _kinds(gev.SessionPlanned), _narrated),
    Section("drafts", _kinds(gev.DraftSaved, gev.DraftDeleted, gev.DraftUsed), _drafts),
    Section("poll", _kinds(gev.SlotAnswered), _poll),
    Section("thread", _kinds(gev.MessagePosted), _thread),
    Section(
        "attendance",
        _kinds(gev.AttendanceConfirmed, gev.PresenceConfirmed, sev.Connected, sev.Disconnected),
        _attendance,
    ),
    Section(
        "contributions",
        _kinds(
            sev.SituationWritten,
            sev.ContributionPosted,
            sev.ContributionEdited,
            sev.SilentRoundRevealed,  # a silent round's drafts, now contributions
        ),
        _contributions,
    ),
    Section("kept", frozenset(), _kept),
    Section("weather", _kinds(sev.WeatherGiven, sev.WeatherRevealed), _weather),
    Section("copies", _kinds(gev.RecordExported), _copies),
    Section("mails", frozenset(), _mails),
    Section("journal", _JOURNAL_GROUP | _JOURNAL_SESSION, _journal),
)


def reported_kinds() -> frozenset[str]:
    """Every event kind some section reports."""
    return frozenset().union(*(section.kinds for section in SECTIONS))


def access_export(sources: Sources) -> list[Part]:
    """Every section for ``sources.person``, in order, empty ones included: an empty
    section says "nothing of this kind", which is an answer too."""
    return [Part(section.key, section.build(sources)) for section in SECTIONS]


def plain_export(
    person: str, generated_at: float, groups: Sequence[tuple[str, str, list[Part]]]
) -> Row:
    """The JSON document: for each group (id, name), its sections."""
    return {
        "person": person,
        "generated_at": moment(generated_at),
        "groups": [
            {
                "group": group_id,
                "name": name,
                "sections": {part.key: part.rows for part in parts},
            }
            for group_id, name, parts in groups
        ],
    }
