"""events -> state: the group's fold. Trusts its events; ``decide`` did the checking."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from room.domain.group import events as ev
from room.domain.group.state import (
    Application,
    ApplicationStatus,
    Charter,
    Confirmation,
    Cycle,
    Draft,
    Export,
    GroupRole,
    Message,
    Person,
    PlannedSession,
    Presentation,
    Slot,
    State,
    Status,
)


def evolve(state: State, event: ev.GroupEvent) -> State:
    """The state after one more event."""
    return _APPLY[type(event)](state, event)


def fold(events: Iterable[ev.GroupEvent], state: State | None = None) -> State:
    """The state after every event, from an empty group unless ``state`` is given."""
    state = state if state is not None else State()
    for event in events:
        state = evolve(state, event)
    return state


def _person(state: State, person: str, **changes: Any) -> State:
    record = replace(state.people[person], **changes)
    return replace(state, people={**state.people, person: record})


def _application(state: State, application: str, **changes: Any) -> State:
    record = replace(state.applications[application], **changes)
    return replace(state, applications={**state.applications, application: record})


def _draft(state: State, draft: str, **changes: Any) -> State:
    record = replace(state.drafts[draft], **changes)
    return replace(state, drafts={**state.drafts, draft: record})


def _group_created(state: State, e: ev.GroupCreated) -> State:
    return replace(
        state,
        name=e.name,
        cycle=Cycle(sessions=e.sessions, minutes=e.minutes),
        time_zone=e.time_zone,
        created_at=e.at,
        charter=Charter(version=1, rules=e.rules),
    )


def _group_edited(state: State, e: ev.GroupEdited) -> State:
    cycle = Cycle(sessions=e.sessions, minutes=e.minutes)
    return replace(state, name=e.name, cycle=cycle, time_zone=e.time_zone)


def _charter_edited(state: State, e: ev.CharterEdited) -> State:
    state = replace(state, charter=Charter(version=e.version, rules=e.rules))
    return _person(state, e.by, accepted_version=e.version, accepted_at=e.at)


def _presentation_edited(state: State, e: ev.PresentationEdited) -> State:
    presentation = Presentation(
        objectives=e.objectives,
        method=e.method,
        prerequisites=e.prerequisites,
        schedule=e.schedule,
        published=state.presentation.published,
    )
    return replace(state, presentation=presentation)


def _published_set(state: State, e: ev.PublishedSet) -> State:
    return replace(state, presentation=replace(state.presentation, published=e.published))


def _person_invited(state: State, e: ev.PersonInvited) -> State:
    record = Person(
        id=e.person,
        name=e.name,
        email=e.email,
        lang=e.lang,
        role=e.role,
        invited_at=e.at,
        application=e.application,
    )
    return replace(state, people={**state.people, e.person: record})


def _charter_accepted(state: State, e: ev.CharterAccepted) -> State:
    record = state.people[e.by]
    changes: dict[str, Any] = {"accepted_version": e.version, "accepted_at": e.at}
    if record.status is Status.INVITED:
        # Facilitators are invited by a facilitator and need no further admission.
        if record.role is GroupRole.FACILITATOR:
            changes.update(status=Status.ADMITTED, admitted_at=e.at)
        else:
            changes.update(status=Status.WAITING)
    return _person(state, e.by, **changes)


def _person_admitted(state: State, e: ev.PersonAdmitted) -> State:
    return _person(state, e.person, status=Status.ADMITTED, admitted_at=e.at, admission_note=e.note)


def _person_corrected(state: State, e: ev.PersonCorrected) -> State:
    return _person(state, e.person, name=e.name, email=e.email)


def _person_removed(state: State, e: ev.PersonRemoved) -> State:
    return _person(state, e.person, status=Status.REMOVED, removed_at=e.at)


def _application_received(state: State, e: ev.ApplicationReceived) -> State:
    record = Application(
        id=e.application,
        name=e.name,
        email=e.email,
        practice=e.practice,
        received_at=e.at,
        lang=e.lang,
    )
    return replace(state, applications={**state.applications, e.application: record})


def _application_noted(state: State, e: ev.ApplicationNoted) -> State:
    return _application(state, e.application, note=e.note, status=ApplicationStatus.DISCUSSED)


def _applicant_invited(state: State, e: ev.ApplicantInvited) -> State:
    return _application(
        state, e.application, status=ApplicationStatus.INVITED, decided_at=e.at, person=e.person
    )


def _application_declined(state: State, e: ev.ApplicationDeclined) -> State:
    return _application(state, e.application, status=ApplicationStatus.DECLINED, decided_at=e.at)


def _session_planned(state: State, e: ev.SessionPlanned) -> State:
    # Planned sessions are never deleted, so their count numbers them in planning order.
    order = len(state.sessions) + 1
    record = PlannedSession(
        id=e.session, date=e.date, narrator=e.narrator, planned_at=e.at, order=order
    )
    return replace(state, sessions={**state.sessions, e.session: record})


def _session_replanned(state: State, e: ev.SessionReplanned) -> State:
    planned = state.sessions[e.session]
    revision = planned.revision + (e.date != planned.date)
    record = replace(planned, date=e.date, narrator=e.narrator, revision=revision)
    return replace(state, sessions={**state.sessions, e.session: record})


def _session_cancelled(state: State, e: ev.SessionCancelled) -> State:
    planned = state.sessions[e.session]
    record = replace(planned, cancelled_at=e.at, revision=planned.revision + 1)
    return replace(state, sessions={**state.sessions, e.session: record})


def _draft_saved(state: State, e: ev.DraftSaved) -> State:
    previous = state.drafts.get(e.draft)
    record = Draft(
        id=e.draft,
        author=e.by,
        title=e.title,
        context=e.context,
        problem=e.problem,
        question=e.question,
        request=e.request,
        saved_at=e.at,
        used_in=previous.used_in if previous is not None else None,
    )
    return replace(state, drafts={**state.drafts, e.draft: record})


def _draft_deleted(state: State, e: ev.DraftDeleted) -> State:
    drafts = dict(state.drafts)
    del drafts[e.draft]
    return replace(state, drafts=drafts)


def _draft_used(state: State, e: ev.DraftUsed) -> State:
    return _draft(state, e.draft, used_in=e.session)


def _slots_proposed(state: State, e: ev.SlotsProposed) -> State:
    slots = dict(state.slots)
    for number, date in enumerate(e.dates, state.next_slot):
        slots[f"t{number}"] = Slot(id=f"t{number}", date=date)
    return replace(state, slots=slots, poll_open=True, next_slot=state.next_slot + len(e.dates))


def _slot_answered(state: State, e: ev.SlotAnswered) -> State:
    slot = state.slots[e.slot]
    slot = replace(slot, answers={**slot.answers, e.by: e.answer})
    return replace(state, slots={**state.slots, e.slot: slot})


def _slot_fixed(state: State, e: ev.SlotFixed) -> State:
    slot = replace(state.slots[e.slot], session=e.session)
    return replace(state, slots={**state.slots, e.slot: slot})


def _poll_closed(state: State, e: ev.PollClosed) -> State:
    return replace(state, poll_open=False)


def _message_posted(state: State, e: ev.MessagePosted) -> State:
    key = f"m{state.next_message}"
    record = Message(id=key, author=e.by, text=e.text, at=e.at, reply_to=e.reply_to)
    return replace(
        state, messages={**state.messages, key: record}, next_message=state.next_message + 1
    )


def _attendance_confirmed(state: State, e: ev.AttendanceConfirmed) -> State:
    record = Confirmation(status=e.status, note=e.note, at=e.at, by=e.by)
    confirmed = {**state.attendance.get(e.session, {}), e.person: record}
    return replace(state, attendance={**state.attendance, e.session: confirmed})


def _presence_confirmed(state: State, e: ev.PresenceConfirmed) -> State:
    said = {**state.presence.get(e.session, {}), e.by: e.at}
    return replace(state, presence={**state.presence, e.session: said})


def _retention_set(state: State, e: ev.RetentionSet) -> State:
    return replace(state, retention_months=e.months)


def _record_exported(state: State, e: ev.RecordExported) -> State:
    export = Export(at=e.at, person=e.person, record=e.record, session=e.session, subject=e.subject)
    return replace(state, exports=(*state.exports, export))


def _session_erased(state: State, e: ev.SessionErased) -> State:
    # Its situation goes with it: the draft handed to it too (whose words the server
    # erased from the log before this event, see room.domain.group.erasure).
    record = replace(state.sessions[e.session], erased_at=e.at)
    drafts = {key: d for key, d in state.drafts.items() if d.used_in != e.session}
    return replace(state, sessions={**state.sessions, e.session: record}, drafts=drafts)


def _group_erased(state: State, e: ev.GroupErased) -> State:
    return State()  # nothing of it is left


_APPLY: dict[type[Any], Callable[[State, Any], State]] = {
    ev.GroupCreated: _group_created,
    ev.GroupEdited: _group_edited,
    ev.CharterEdited: _charter_edited,
    ev.PresentationEdited: _presentation_edited,
    ev.PublishedSet: _published_set,
    ev.PersonInvited: _person_invited,
    ev.CharterAccepted: _charter_accepted,
    ev.PersonAdmitted: _person_admitted,
    ev.PersonCorrected: _person_corrected,
    ev.PersonRemoved: _person_removed,
    ev.ApplicationReceived: _application_received,
    ev.ApplicationNoted: _application_noted,
    ev.ApplicantInvited: _applicant_invited,
    ev.ApplicationDeclined: _application_declined,
    ev.SessionPlanned: _session_planned,
    ev.SessionReplanned: _session_replanned,
    ev.SessionCancelled: _session_cancelled,
    ev.DraftSaved: _draft_saved,
    ev.DraftDeleted: _draft_deleted,
    ev.DraftUsed: _draft_used,
    ev.SlotsProposed: _slots_proposed,
    ev.SlotAnswered: _slot_answered,
    ev.SlotFixed: _slot_fixed,
    ev.PollClosed: _poll_closed,
    ev.MessagePosted: _message_posted,
    ev.AttendanceConfirmed: _attendance_confirmed,
    ev.PresenceConfirmed: _presence_confirmed,
    ev.RetentionSet: _retention_set,
    ev.RecordExported: _record_exported,
    ev.SessionErased: _session_erased,
    ev.GroupErased: _group_erased,
}
