"""commands -> events: the rules of a co-development group.

As in the session domain, each command is judged in two steps. Its *move* — the
command type, plus the draft a delete or a use targets — is checked by a guard that
looks only at who acts and in which state: a person, not removed, with the role the
move needs, bound by the current charter, admitted. Then its handler checks the
arguments and produces events. ``allowed`` runs the same guards, so "what may I do
here?" cannot drift from what ``decide`` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from datetime import datetime
from typing import Any

from room.domain.errors import Code, DomainError
from room.domain.group import commands as cmd
from room.domain.group import events as ev
from room.domain.group.commands import GroupCommand
from room.domain.group.state import (
    Application,
    GroupRole,
    Person,
    PlannedSession,
    Slot,
    State,
    Status,
    must_accept,
    session_at,
)

# One policy for user text and ids in both domains: the session's checks, reused.
from room.domain.text import (
    LANGUAGES,
    SYSTEM,
    TEXT_MAX,
    TITLE_MAX,
    checked_identifier,
    checked_name,
    checked_text,
)

EMAIL_MAX = 254  # RFC 5321's limit on a forward path
RULES_MAX = 30  # rules in a charter
RULE_MAX = 500  # characters in one rule
SESSIONS_MAX = 24  # sessions in a cycle
MINUTES_MIN = 15
MINUTES_MAX = 480
TIME_ZONE_MAX = 64
PRACTICE_MAX = 2000  # "a few lines on their practice", from a public form
SLOTS_MAX = 60  # dates proposed over a cycle's poll
NOTE_MAX = 500  # a facilitator's note on one person's attendance
RETENTION_MIN = 1  # months: a group is never erased the day after it met…
RETENTION_MAX = 120  # …nor kept beyond ten years

Move = tuple[str, ...]

_EMAIL = re.compile(r"[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}")
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z!?]|&#?[A-Za-z0-9]+;")  # a tag, a comment, an entity
_TIME_ZONE = re.compile(r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*")

# Moves that name what they act on: a draft (only its author's), a date of the poll
# (only one not fixed yet), a session (planned, not cancelled nor erased), a person (one
# waiting, to admit; anyone but oneself, to remove), an application (still open).
# ``allowed`` lists them per target, so a page offers each control only where it works.
_BY_DRAFT = (cmd.DeleteDraft.type, cmd.UseDraft.type)
_BY_SESSION = (
    cmd.ReplanSession.type,
    cmd.CancelSession.type,
    cmd.EraseSession.type,
    cmd.ConfirmPresence.type,
)
_BY_PERSON = (cmd.AdmitPerson.type, cmd.RemovePerson.type)
_BY_APPLICATION = (
    cmd.NoteApplication.type,
    cmd.InviteApplicant.type,
    cmd.DeclineApplication.type,
)
_TARGETED = (*_BY_DRAFT, cmd.FixSlot.type, *_BY_SESSION, *_BY_PERSON, *_BY_APPLICATION)


def move_of(command: GroupCommand) -> Move:
    """The part of a command that says what is done, not with which words."""
    target = _target(command)
    return (command.type,) if target is None else (command.type, target)


def _target(command: GroupCommand) -> str | None:
    if isinstance(command, cmd.DeleteDraft | cmd.UseDraft):
        return command.draft
    if isinstance(command, cmd.FixSlot):
        return command.slot
    if isinstance(
        command, cmd.ReplanSession | cmd.CancelSession | cmd.EraseSession | cmd.ConfirmPresence
    ):
        return command.session
    if isinstance(command, cmd.AdmitPerson | cmd.RemovePerson):
        return command.person
    if isinstance(command, cmd.NoteApplication | cmd.InviteApplicant | cmd.DeclineApplication):
        return command.application
    return None


def decide(state: State, actor: str, command: GroupCommand, now: float) -> list[ev.GroupEvent]:
    """The events that ``command`` by ``actor`` at server time ``now`` produces.

    Raises DomainError, leaving nothing changed, when the command is refused.
    """
    rule = _RULES[type(command)]
    if not isinstance(command, cmd.CreateGroup):
        check_move(state, actor, move_of(command))
    return rule(state, actor, command, now)


def check_move(state: State, actor: str, move: Move) -> None:
    """Raise the refusal ``move`` by ``actor`` meets, if any."""
    if not state.created:
        raise DomainError(Code.NOT_FOUND, what="group")
    guard = _GUARDS.get(move[0])
    if guard is None:
        raise DomainError(Code.INVALID, field="type")
    guard(state, actor, move)


def allowed(state: State, actor: str) -> frozenset[Move]:
    """The moves open to ``actor``: exactly those ``decide`` would not refuse for who
    acts (it may still refuse their arguments: empty text, unknown ids). No clock: in a
    group, unlike a session, nothing opens with the passing of time."""
    if not state.created:
        return frozenset()
    moves: list[Move] = [(kind,) for kind in GUARDED_TYPES if kind not in _TARGETED]
    mine = [d.id for d in state.drafts.values() if d.author == actor]
    moves += [(kind, draft) for draft in mine for kind in _BY_DRAFT]
    moves += [(cmd.FixSlot.type, slot) for slot in state.slots]
    moves += [(kind, session) for session in state.sessions for kind in _BY_SESSION]
    moves += [(kind, person) for person in state.people for kind in _BY_PERSON]
    moves += [(kind, a) for a in state.applications for kind in _BY_APPLICATION]
    open_moves = []
    for move in moves:
        try:
            check_move(state, actor, move)
        except DomainError:
            continue
        open_moves.append(move)
    return frozenset(open_moves)


# --- guards: who, and in which state ---------------------------------------------------------


def _person(state: State, actor: str) -> Person:
    record = state.person(actor)
    if record is None:
        raise DomainError(Code.NOT_PARTICIPANT)
    return record


def _bound(state: State, record: Person) -> None:
    """Nothing but accepting is open to someone the current charter does not bind yet."""
    if must_accept(state, record.id):
        raise DomainError(Code.CHARTER_REQUIRED, version=state.charter.version)


def _system(state: State, actor: str, move: Move) -> None:
    if actor != SYSTEM:
        raise DomainError(Code.FORBIDDEN_ROLE)


def _applications_open(state: State, actor: str, move: Move) -> None:
    """The form lives on the public page: no page, no application."""
    _system(state, actor, move)
    if not state.presentation.published:
        raise DomainError(Code.NOT_FOUND, what="public_page")


def _facilitator(state: State, actor: str, move: Move) -> None:
    record = _person(state, actor)
    if record.role is not GroupRole.FACILITATOR:
        raise DomainError(Code.FORBIDDEN_ROLE)
    _bound(state, record)  # a bound facilitator is admitted: acceptance admits them


def _member(state: State, actor: str, move: Move) -> None:
    """An admitted member's own acts: facilitators do not narrate, so have no drafts."""
    record = _person(state, actor)
    if record.role is not GroupRole.MEMBER:
        raise DomainError(Code.FORBIDDEN_ROLE)
    _bound(state, record)
    if record.status is not Status.ADMITTED:
        raise DomainError(Code.NOT_ADMITTED)


def _inside(state: State, actor: str, move: Move) -> None:
    """Anyone who sees the group's content, facilitators included: the thread and the
    calendar belong to the whole group."""
    record = _person(state, actor)
    _bound(state, record)
    if record.status is not Status.ADMITTED:
        raise DomainError(Code.NOT_ADMITTED)


def _poll_open(state: State) -> None:
    if not state.poll_open:
        raise DomainError(Code.CONFLICT, what="poll_closed")


def _answering(state: State, actor: str, move: Move) -> None:
    _inside(state, actor, move)
    _poll_open(state)


def _closing_poll(state: State, actor: str, move: Move) -> None:
    _facilitator(state, actor, move)
    _poll_open(state)


def _own_draft(state: State, actor: str, move: Move) -> None:
    _member(state, actor, move)
    draft = state.drafts.get(move[1])
    if draft is None:
        raise DomainError(Code.NOT_FOUND, what="draft", id=move[1])
    if draft.author != actor:
        raise DomainError(Code.NOT_AUTHOR)


def _fixing(state: State, actor: str, move: Move) -> None:
    """A date of the poll becomes a session once: again only if that one was cancelled."""
    _facilitator(state, actor, move)
    slot = _slot(state, move[1])
    if slot.session is not None and not state.sessions[slot.session].cancelled:
        raise DomainError(Code.CONFLICT, what="slot_fixed")


def _confirming(state: State, actor: str, move: Move) -> None:
    """One's own word that one came, once per session. That one was seated in it is
    the session's log's to say: the server checks it."""
    _inside(state, actor, move)
    _planned(state, move[1])
    if actor in state.presence.get(move[1], {}):
        raise DomainError(Code.CONFLICT, what="presence_confirmed")


def _admitting(state: State, actor: str, move: Move) -> None:
    _facilitator(state, actor, move)
    record = _known_person(state, move[1])
    if record.status is not Status.WAITING:
        raise _invalid("person", reason=record.status.value)


def _removing(state: State, actor: str, move: Move) -> None:
    _facilitator(state, actor, move)
    record = _known_person(state, move[1])
    if record.removed:
        raise _invalid("person", reason="removed")
    # Never oneself: so the facilitator who acts remains, and a group is never left
    # without one.
    if record.id == actor:
        raise _invalid("person", reason="self")


def _on_application(state: State, actor: str, move: Move) -> None:
    _facilitator(state, actor, move)
    _open_application(state, move[1])


def _on_session(state: State, actor: str, move: Move) -> None:
    _facilitator(state, actor, move)
    _planned(state, move[1])


def _self(state: State, actor: str, move: Move) -> None:
    """Anyone of the group about themself, bound or not: rectification is a right, not
    a privilege of admission."""
    _person(state, actor)


def _accept(state: State, actor: str, move: Move) -> None:
    if not must_accept(state, _person(state, actor).id):
        raise DomainError(Code.CONFLICT, what="charter_accepted")


_GUARDS: dict[str, Callable[[State, str, Move], None]] = {
    cmd.EditGroup.type: _facilitator,
    cmd.EditCharter.type: _facilitator,
    cmd.EditPresentation.type: _facilitator,
    cmd.SetPublished.type: _facilitator,
    cmd.InvitePerson.type: _facilitator,
    cmd.AcceptCharter.type: _accept,
    cmd.CorrectPerson.type: _self,
    cmd.AdmitPerson.type: _admitting,
    cmd.RemovePerson.type: _removing,
    cmd.ReceiveApplication.type: _applications_open,
    cmd.NoteApplication.type: _on_application,
    cmd.InviteApplicant.type: _on_application,
    cmd.DeclineApplication.type: _on_application,
    cmd.PlanSession.type: _facilitator,
    cmd.ReplanSession.type: _on_session,
    cmd.CancelSession.type: _on_session,
    cmd.SaveDraft.type: _member,
    cmd.DeleteDraft.type: _own_draft,
    cmd.UseDraft.type: _own_draft,
    cmd.ProposeSlots.type: _facilitator,
    cmd.AnswerSlot.type: _answering,
    cmd.FixSlot.type: _fixing,
    cmd.ClosePoll.type: _closing_poll,
    cmd.PostMessage.type: _inside,
    cmd.ConfirmAttendance.type: _facilitator,
    cmd.ConfirmPresence.type: _confirming,
    cmd.SetRetention.type: _facilitator,
    cmd.RecordExport.type: _system,
    cmd.EraseSession.type: _on_session,
    cmd.EraseGroup.type: _facilitator,
}

GUARDED_TYPES = tuple(_GUARDS)


# --- argument checks --------------------------------------------------------------------------


def _invalid(field: str, **params: Any) -> DomainError:
    return DomainError(Code.INVALID, field=field, **params)


def _line(field: str, value: str, limit: int) -> str:
    return checked_text(field, value, limit, lines=False)


def _optional(field: str, value: str) -> str:
    return checked_text(field, value, TEXT_MAX, required=False)


def _new_id(field: str, value: str, taken: Container[str]) -> str:
    if checked_identifier(field, value) in taken:
        raise _invalid(field, reason="taken")
    return value


def _email(value: str, *, required: bool, field: str = "email") -> str:
    """A basic shape check: the address is shown, never written to by the domain."""
    if not value and not required:
        return value
    _line(field, value, EMAIL_MAX)
    if not _EMAIL.fullmatch(value):
        raise _invalid(field, reason="shape")
    return value


def _language(value: str, field: str = "lang") -> str:
    """One of the languages the product writes in."""
    if value not in LANGUAGES:
        raise _invalid(field, reason="unknown")
    return value


def _rules(rules: tuple[str, ...]) -> tuple[str, ...]:
    if not 1 <= len(rules) <= RULES_MAX:
        raise _invalid("rules", limit=RULES_MAX)
    for index, rule in enumerate(rules):
        _line(f"rules[{index}]", rule, RULE_MAX)
    return rules


def _cycle(sessions: int, minutes: int) -> None:
    if not 1 <= sessions <= SESSIONS_MAX:
        raise _invalid("sessions", limit=SESSIONS_MAX)
    if not MINUTES_MIN <= minutes <= MINUTES_MAX:
        raise _invalid("minutes", limit=MINUTES_MAX)


def _time_zone(value: str) -> str:
    """Only the shape of an IANA name: whether the zone exists is the server's question."""
    if len(value) > TIME_ZONE_MAX or not _TIME_ZONE.fullmatch(value):
        raise _invalid("time_zone")
    return value


def _date(value: str) -> str:
    """A local date and time, "YYYY-MM-DDTHH:MM"; it sorts as it reads."""
    if not _DATE.fullmatch(value):
        raise _invalid("date", reason="shape")
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise _invalid("date", reason="no_such_date") from None
    return value


def _known_person(state: State, person: str) -> Person:
    record = state.people.get(person)
    if record is None:
        raise DomainError(Code.NOT_FOUND, what="person", id=person)
    return record


def _narrator(state: State, person: str) -> str:
    """Only an admitted member narrates: facilitators hold the session, not a situation."""
    record = _known_person(state, person)
    if record.role is not GroupRole.MEMBER or record.status is not Status.ADMITTED:
        raise _invalid("narrator", reason="admitted_member")
    return person


def _open_application(state: State, application: str) -> Application:
    record = state.applications.get(application)
    if record is None:
        raise DomainError(Code.NOT_FOUND, what="application", id=application)
    if not record.status.open:
        raise _invalid("application", reason=record.status.value)
    return record


# --- handlers: arguments -> events -----------------------------------------------------------


def _create_group(state: State, actor: str, c: cmd.CreateGroup, now: float) -> list[ev.GroupEvent]:
    if actor != SYSTEM:
        raise DomainError(Code.FORBIDDEN_ROLE)
    if state.created:
        raise DomainError(Code.CONFLICT, what="group_exists")
    founder = checked_identifier("facilitator", c.facilitator)
    _cycle(c.sessions, c.minutes)
    return [
        ev.GroupCreated(
            at=now,
            by=founder,
            name=_line("name", c.name, TITLE_MAX),
            sessions=c.sessions,
            minutes=c.minutes,
            time_zone=_time_zone(c.time_zone),
            rules=_rules(c.rules),
        ),
        ev.PersonInvited(
            at=now,
            by=founder,
            person=founder,
            name=checked_name("facilitator_name", c.facilitator_name),
            email=_email(c.facilitator_email, required=False, field="facilitator_email"),
            role=GroupRole.FACILITATOR,
            lang=_language(c.facilitator_lang, "facilitator_lang"),
        ),
        # They wrote the first version: writing it is accepting it.
        ev.CharterAccepted(at=now, by=founder, version=1),
    ]


def _edit_group(state: State, actor: str, c: cmd.EditGroup, now: float) -> list[ev.GroupEvent]:
    name = _line("name", c.name, TITLE_MAX)
    _cycle(c.sessions, c.minutes)
    time_zone = _time_zone(c.time_zone)
    unchanged = (state.name, state.cycle.sessions, state.cycle.minutes, state.time_zone)
    if (name, c.sessions, c.minutes, time_zone) == unchanged:
        raise _invalid("group", reason="unchanged")
    return [
        ev.GroupEdited(
            at=now, by=actor, name=name, sessions=c.sessions, minutes=c.minutes, time_zone=time_zone
        )
    ]


def _edit_charter(state: State, actor: str, c: cmd.EditCharter, now: float) -> list[ev.GroupEvent]:
    rules = _rules(c.rules)
    if rules == state.charter.rules:
        raise _invalid("rules", reason="unchanged")
    version = state.charter.version + 1
    return [ev.CharterEdited(at=now, by=actor, version=version, rules=rules)]


def _edit_presentation(
    state: State, actor: str, c: cmd.EditPresentation, now: float
) -> list[ev.GroupEvent]:
    texts = {
        name: _optional(name, getattr(c, name))
        for name in ("objectives", "method", "prerequisites", "schedule")
    }
    if all(getattr(state.presentation, name) == text for name, text in texts.items()):
        raise _invalid("presentation", reason="unchanged")
    return [ev.PresentationEdited(at=now, by=actor, **texts)]


def _set_published(
    state: State, actor: str, c: cmd.SetPublished, now: float
) -> list[ev.GroupEvent]:
    if c.published == state.presentation.published:
        raise _invalid("published", reason="unchanged")
    return [ev.PublishedSet(at=now, by=actor, published=c.published)]


def _invite_person(
    state: State, actor: str, c: cmd.InvitePerson, now: float
) -> list[ev.GroupEvent]:
    return [
        ev.PersonInvited(
            at=now,
            by=actor,
            person=_new_id("person", c.person, state.people),
            name=checked_name("name", c.name),
            email=_email(c.email, required=False),
            role=c.role,
            lang=_language(c.lang),
        )
    ]


def _accept_charter(
    state: State, actor: str, c: cmd.AcceptCharter, now: float
) -> list[ev.GroupEvent]:
    # The version shown must be the one in force: accepting a text edited meanwhile
    # would bind someone to words they never read.
    if c.version != state.charter.version:
        raise _invalid("version", current=state.charter.version)
    return [ev.CharterAccepted(at=now, by=actor, version=c.version)]


def _admit_person(state: State, actor: str, c: cmd.AdmitPerson, now: float) -> list[ev.GroupEvent]:
    record = _known_person(state, c.person)  # waiting: the guard checked
    # The flyer's prerequisite: the consultant's practice was discussed beforehand.
    note = checked_text("note", c.note, TEXT_MAX)
    return [ev.PersonAdmitted(at=now, by=actor, person=record.id, note=note)]


def _correct_person(
    state: State, actor: str, c: cmd.CorrectPerson, now: float
) -> list[ev.GroupEvent]:
    record = _person(state, actor)
    name = checked_name("name", c.name)
    email = _email(c.email, required=False)
    if (name, email) == (record.name, record.email):
        raise _invalid("person", reason="unchanged")
    return [ev.PersonCorrected(at=now, by=actor, person=actor, name=name, email=email)]


def _remove_person(
    state: State, actor: str, c: cmd.RemovePerson, now: float
) -> list[ev.GroupEvent]:
    record = _known_person(state, c.person)  # neither removed nor the actor: the guard checked
    return [ev.PersonRemoved(at=now, by=actor, person=record.id)]


def _receive_application(
    state: State, actor: str, c: cmd.ReceiveApplication, now: float
) -> list[ev.GroupEvent]:
    return [
        ev.ApplicationReceived(
            at=now,
            by=actor,
            application=_new_id("application", c.application, state.applications),
            name=_unmarked("name", checked_name("name", c.name)),
            email=_email(c.email, required=True),
            practice=_unmarked("practice", checked_text("practice", c.practice, PRACTICE_MAX)),
            lang=_language(c.lang),
        )
    ]


def _unmarked(field: str, value: str) -> str:
    """A stranger's text is stored as they typed it, so it must not be markup: pages
    escape it anyway, but an application is forwarded, copied, exported."""
    if _MARKUP.search(value):
        raise _invalid(field, reason="markup")
    return value


def _note_application(
    state: State, actor: str, c: cmd.NoteApplication, now: float
) -> list[ev.GroupEvent]:
    record = _open_application(state, c.application)
    note = checked_text("note", c.note, TEXT_MAX)
    return [ev.ApplicationNoted(at=now, by=actor, application=record.id, note=note)]


def _invite_applicant(
    state: State, actor: str, c: cmd.InviteApplicant, now: float
) -> list[ev.GroupEvent]:
    record = _open_application(state, c.application)
    person = _new_id("person", c.person, state.people)
    return [
        ev.PersonInvited(
            at=now,
            by=actor,
            person=person,
            name=record.name,
            email=record.email,
            role=GroupRole.MEMBER,
            application=record.id,
            lang=record.lang,
        ),
        ev.ApplicantInvited(at=now, by=actor, application=record.id, person=person),
    ]


def _decline_application(
    state: State, actor: str, c: cmd.DeclineApplication, now: float
) -> list[ev.GroupEvent]:
    record = _open_application(state, c.application)
    return [ev.ApplicationDeclined(at=now, by=actor, application=record.id)]


def _free_date(state: State, date: str, *, besides: str = "", same_date: bool) -> str:
    """A date no other session of the cycle is planned at, unless the facilitator says
    two at one time is what they mean: one click twice must not make two sessions."""
    other = session_at(state, _date(date), besides)
    if other is not None and not same_date:
        raise DomainError(Code.DATE_TAKEN, date=date, session=other.id)
    return date


def _plan_session(state: State, actor: str, c: cmd.PlanSession, now: float) -> list[ev.GroupEvent]:
    session = _new_id("session", c.session, state.sessions)
    narrator = _narrator(state, c.narrator)
    date = _free_date(state, c.date, same_date=c.same_date)
    return [ev.SessionPlanned(at=now, by=actor, session=session, date=date, narrator=narrator)]


def _replan_session(
    state: State, actor: str, c: cmd.ReplanSession, now: float
) -> list[ev.GroupEvent]:
    planned = _planned(state, c.session)
    narrator = _narrator(state, c.narrator)
    date = _free_date(state, c.date, besides=planned.id, same_date=c.same_date)
    if (date, narrator) == (planned.date, planned.narrator):
        raise _invalid("session", reason="unchanged")
    return [ev.SessionReplanned(at=now, by=actor, session=planned.id, date=date, narrator=narrator)]


def _cancel_session(
    state: State, actor: str, c: cmd.CancelSession, now: float
) -> list[ev.GroupEvent]:
    # Whether it began is known to the server, which refuses before this (session_begun).
    return [ev.SessionCancelled(at=now, by=actor, session=_planned(state, c.session).id)]


def _save_draft(state: State, actor: str, c: cmd.SaveDraft, now: float) -> list[ev.GroupEvent]:
    draft = checked_identifier("draft", c.draft)
    existing = state.drafts.get(draft)
    if existing is not None and existing.author != actor:
        # Said as a taken id, not as someone else's draft: a draft's existence is private.
        raise _invalid("draft", reason="taken")
    return [
        ev.DraftSaved(
            at=now,
            by=actor,
            draft=draft,
            title=_line("title", c.title, TITLE_MAX),
            context=_optional("context", c.context),
            problem=_optional("problem", c.problem),
            question=_optional("question", c.question),
            request=_optional("request", c.request),
        )
    ]


def _delete_draft(state: State, actor: str, c: cmd.DeleteDraft, now: float) -> list[ev.GroupEvent]:
    return [ev.DraftDeleted(at=now, by=actor, draft=c.draft)]


def _use_draft(state: State, actor: str, c: cmd.UseDraft, now: float) -> list[ev.GroupEvent]:
    planned = _planned(state, c.session)
    if planned.narrator != actor:
        raise _invalid("session", reason="not_narrator")
    if state.drafts[c.draft].used_in == planned.id:
        raise _invalid("session", reason="unchanged")
    return [ev.DraftUsed(at=now, by=actor, draft=c.draft, session=planned.id)]


def _planned(state: State, session: str) -> PlannedSession:
    planned = state.sessions.get(session)
    if planned is None:
        raise DomainError(Code.NOT_FOUND, what="session", id=session)
    if planned.erased_at is not None:
        raise _invalid("session", reason="erased")
    if planned.cancelled:
        raise _invalid("session", reason="cancelled")
    return planned


def _slot(state: State, slot: str) -> Slot:
    record = state.slots.get(slot)
    if record is None:
        raise DomainError(Code.NOT_FOUND, what="slot", id=slot)
    return record


def _propose_slots(
    state: State, actor: str, c: cmd.ProposeSlots, now: float
) -> list[ev.GroupEvent]:
    if not c.dates or len(state.slots) + len(c.dates) > SLOTS_MAX:
        raise _invalid("dates", limit=SLOTS_MAX)
    return [ev.SlotsProposed(at=now, by=actor, dates=tuple(_date(d) for d in c.dates))]


def _answer_slot(state: State, actor: str, c: cmd.AnswerSlot, now: float) -> list[ev.GroupEvent]:
    slot = _slot(state, c.slot)
    return [ev.SlotAnswered(at=now, by=actor, slot=slot.id, answer=c.answer)]


def _fix_slot(state: State, actor: str, c: cmd.FixSlot, now: float) -> list[ev.GroupEvent]:
    slot = _slot(state, c.slot)
    session = _new_id("session", c.session, state.sessions)
    narrator = _narrator(state, c.narrator)
    date = _free_date(state, slot.date, same_date=c.same_date)
    return [
        ev.SessionPlanned(at=now, by=actor, session=session, date=date, narrator=narrator),
        ev.SlotFixed(at=now, by=actor, slot=slot.id, session=session),
    ]


def _close_poll(state: State, actor: str, c: cmd.ClosePoll, now: float) -> list[ev.GroupEvent]:
    return [ev.PollClosed(at=now, by=actor)]


def _post_message(state: State, actor: str, c: cmd.PostMessage, now: float) -> list[ev.GroupEvent]:
    if c.reply_to is not None and c.reply_to not in state.messages:
        raise DomainError(Code.NOT_FOUND, what="message", id=c.reply_to)
    text = checked_text("text", c.text, TEXT_MAX)
    return [ev.MessagePosted(at=now, by=actor, text=text, reply_to=c.reply_to)]


def _confirm_attendance(
    state: State, actor: str, c: cmd.ConfirmAttendance, now: float
) -> list[ev.GroupEvent]:
    planned = _planned(state, c.session)
    person = _known_person(state, c.person)  # removed since, they may still have come
    note = checked_text("note", c.note, NOTE_MAX, required=False, lines=False)
    return [
        ev.AttendanceConfirmed(
            at=now, by=actor, session=planned.id, person=person.id, status=c.status, note=note
        )
    ]


def _confirm_presence(
    state: State, actor: str, c: cmd.ConfirmPresence, now: float
) -> list[ev.GroupEvent]:
    return [ev.PresenceConfirmed(at=now, by=actor, session=c.session)]


def _set_retention(
    state: State, actor: str, c: cmd.SetRetention, now: float
) -> list[ev.GroupEvent]:
    if isinstance(c.months, bool) or not RETENTION_MIN <= c.months <= RETENTION_MAX:
        raise _invalid("months", limit=RETENTION_MAX)
    if c.months == state.retention_months:
        raise _invalid("months", reason="unchanged")
    return [ev.RetentionSet(at=now, by=actor, months=c.months)]


def _record_export(
    state: State, actor: str, c: cmd.RecordExport, now: float
) -> list[ev.GroupEvent]:
    person = _known_person(state, c.person)  # removed since, the copy was still taken
    if c.session and c.session not in state.sessions:
        raise DomainError(Code.NOT_FOUND, what="session", id=c.session)
    if c.subject:
        _known_person(state, c.subject)
    return [
        ev.RecordExported(
            at=now,
            by=actor,
            person=person.id,
            record=c.record,
            session=c.session,
            subject=c.subject,
        )
    ]


def _erase_session(
    state: State, actor: str, c: cmd.EraseSession, now: float
) -> list[ev.GroupEvent]:
    return [ev.SessionErased(at=now, by=actor, session=_planned(state, c.session).id)]


def _erase_group(state: State, actor: str, c: cmd.EraseGroup, now: float) -> list[ev.GroupEvent]:
    return [ev.GroupErased(at=now, by=actor)]


# Each handler takes its own command type; the table, any.
_RULES: dict[type[GroupCommand], Callable[[State, str, Any, float], list[ev.GroupEvent]]] = {
    cmd.CreateGroup: _create_group,
    cmd.EditGroup: _edit_group,
    cmd.EditCharter: _edit_charter,
    cmd.EditPresentation: _edit_presentation,
    cmd.SetPublished: _set_published,
    cmd.InvitePerson: _invite_person,
    cmd.AcceptCharter: _accept_charter,
    cmd.CorrectPerson: _correct_person,
    cmd.AdmitPerson: _admit_person,
    cmd.RemovePerson: _remove_person,
    cmd.ReceiveApplication: _receive_application,
    cmd.NoteApplication: _note_application,
    cmd.InviteApplicant: _invite_applicant,
    cmd.DeclineApplication: _decline_application,
    cmd.PlanSession: _plan_session,
    cmd.ReplanSession: _replan_session,
    cmd.CancelSession: _cancel_session,
    cmd.SaveDraft: _save_draft,
    cmd.DeleteDraft: _delete_draft,
    cmd.UseDraft: _use_draft,
    cmd.ProposeSlots: _propose_slots,
    cmd.AnswerSlot: _answer_slot,
    cmd.FixSlot: _fix_slot,
    cmd.ClosePoll: _close_poll,
    cmd.PostMessage: _post_message,
    cmd.ConfirmAttendance: _confirm_attendance,
    cmd.ConfirmPresence: _confirm_presence,
    cmd.SetRetention: _set_retention,
    cmd.RecordExport: _record_export,
    cmd.EraseSession: _erase_session,
    cmd.EraseGroup: _erase_group,
}
