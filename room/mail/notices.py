"""Which group event makes which message to whom, and which reminders are due: records
for the outbox (``room.store.Mail``), each under an id that says what it is, so that
planning one twice enqueues it once.

- an invitation, to the invited person, with their personal link;
- an admission, to the admitted member;
- a session moved or cancelled, to every admitted person of the group, with the event
  that updates (a new SEQUENCE) or removes it in their calendar;
- a new application from the public page, to every facilitator;
- a reminder two days and two hours before each session still to come, to every
  admitted person, with the session's event. Its id holds the session, the kind, the
  date and the narrator: a session re-planned has new reminders, and the old ones,
  still pending, are dropped (``stale_reminders``).

Only people with an address get anything; each in their language. Ids are the group's
id, the seq of the event that caused the message (or the reminder's key) and the person.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from room.domain.group import GroupEvent, State, Status
from room.domain.group import events as gev
from room.domain.group.state import GroupRole, Person, PlannedSession
from room.i18n import message, planned_date
from room.mail.message import Letter, compose, domain_of, letter
from room.records.ical import CalendarSession, session_event
from room.store import Mail

# A reminder's kind: how long before the session it goes, and how long before it is too
# late to send it (a session planned for tomorrow gets no "in two days").
REMINDERS = {
    "2d": (timedelta(days=2), timedelta(days=1)),
    "2h": (timedelta(hours=2), timedelta(0)),
}
# A reminder is written this long before it is due (so its Date is near when it goes),
# and dropped when its session has begun.
WRITE_AHEAD = timedelta(minutes=15)


@dataclass(frozen=True)
class Post:
    """Who the product writes as, and what it links to."""

    sender: str  # MAIL_FROM: the From address, the events' organizer
    group_url: str = ""  # the group's page (absolute), where a message points to it
    controller: str = ""  # PRIVACY_CONTROLLER, told in the invitation's notice ("": unset)
    contact: str = ""  # PRIVACY_CONTACT, likewise


def invitation(
    group_id: str, state: State, person_id: str, link: str, post: Post, now: float
) -> Mail:
    """The invitation of ``person_id`` with its personal link (to their address, which
    may be empty: then it is only shown, to copy)."""
    person = state.people[person_id]
    written = invitation_letter(state, person_id, link, post)
    return _mail(
        # One per link made (a reissued link is a new invitation): the time tells them apart.
        f"{group_id}.invitation.{person_id}.{now!r}",
        group_id,
        person,
        "invitation",
        written,
        post,
        now,
    )


def invitation_letter(state: State, person_id: str, link: str, post: Post) -> Letter:
    """The invitation's words, in the person's language, with the information notice
    the GDPR asks for when data is first collected: who is responsible, why, for how
    long, which rights and whom to write to."""
    person = state.people[person_id]
    notice = {
        "controller": post.controller or message(person.lang, "privacy.default_controller"),
        "contact": post.contact or message(person.lang, "privacy.default_contact"),
        "months": str(state.retention_months),
    }
    return letter(
        person.lang,
        "invitation",
        group=state.name,
        name=person.name,
        paragraphs=[("mail.invitation.body", {}), ("mail.invitation.privacy", notice)],
        link=("mail.invitation.link", link),
    )


def after_events(
    group_id: str,
    before: State,
    after: State,
    events: Sequence[tuple[int, GroupEvent]],
    post: Post,
    now: float,
) -> list[Mail]:
    """The messages the events (with their seqs) of one command make, ``before`` the
    group's state before them and ``after`` after."""
    mails: list[Mail] = []
    for seq, event in events:
        key = f"{group_id}.{seq}"
        if isinstance(event, gev.PersonAdmitted):
            person = after.people[event.person]
            written = letter(
                person.lang,
                "admission",
                group=after.name,
                name=person.name,
                paragraphs=[("mail.admission.body", {})],
                link=("mail.admission.link", post.group_url) if post.group_url else None,
            )
            mails.append(
                _mail(
                    f"{key}.admission.{person.id}",
                    group_id,
                    person,
                    "admission",
                    written,
                    post,
                    now,
                )
            )
        elif isinstance(event, gev.SessionCancelled):
            planned = before.sessions[event.session]
            cancelled = after.sessions[event.session]
            for person in _admitted(after):
                written = _session_letter(
                    after, cancelled, person, "cancelled", post, now, date=planned.date
                )
                mails.append(
                    _mail(
                        f"{key}.cancelled.{person.id}",
                        group_id,
                        person,
                        "cancelled",
                        written,
                        post,
                        now,
                    )
                )
        elif isinstance(event, gev.SessionReplanned):
            planned = before.sessions[event.session]
            if planned.date == event.date:
                continue  # a new narrator only: no calendar changes
            moved = after.sessions[event.session]
            for person in _admitted(after):
                written = _session_letter(
                    after, moved, person, "moved", post, now, before=planned.date
                )
                mails.append(
                    _mail(f"{key}.moved.{person.id}", group_id, person, "moved", written, post, now)
                )
        elif isinstance(event, gev.ApplicationReceived):
            for person in _admitted(after, GroupRole.FACILITATOR):
                written = letter(
                    person.lang,
                    "application",
                    group=after.name,
                    name=person.name,
                    subject={"applicant": event.name},
                    paragraphs=[
                        ("mail.application.body", {"applicant": event.name, "email": event.email})
                    ],
                    quoted=event.practice,
                    link=("mail.application.link", f"{post.group_url}#applications")
                    if post.group_url
                    else None,
                )
                mails.append(
                    _mail(
                        f"{key}.application.{person.id}",
                        group_id,
                        person,
                        "application",
                        written,
                        post,
                        now,
                    )
                )
    return [mail for mail in mails if mail.recipient]


@dataclass(frozen=True)
class Reminder:
    """A reminder that should be in the outbox now."""

    id: str
    session: PlannedSession
    person: Person
    kind: str  # "2d" or "2h"
    due: float  # when it goes


def due_reminders(group_id: str, state: State, now: float) -> list[Reminder]:
    """The reminders that should be in the outbox at ``now``: for each session still to
    come, to each admitted person with an address, each reminder whose time is less than
    WRITE_AHEAD away and that is not too late (REMINDERS); none once the session began."""
    wanted = []
    for planned in state.sessions.values():
        if planned.cancelled or planned.erased_at is not None:
            continue
        start = _instant(planned.date, state.time_zone)
        if start is None or start <= now:
            continue
        for kind, (ahead, latest) in REMINDERS.items():
            due = start - ahead.total_seconds()
            if now < due - WRITE_AHEAD.total_seconds():
                continue  # not yet written
            if now >= start - latest.total_seconds():
                continue  # too late for this one: the next one (if any) says it
            for person in _admitted(state):
                what = f"{planned.id}.{kind}.{planned.date}.{planned.narrator}"
                key = f"{group_id}.reminder.{what}.{person.id}"
                wanted.append(Reminder(key, planned, person, kind, due))
    return wanted


def reminder_mail(group_id: str, state: State, reminder: Reminder, post: Post, now: float) -> Mail:
    written = _session_letter(
        state, reminder.session, reminder.person, "reminder", post, now, when=reminder.kind
    )
    mail = _mail(reminder.id, group_id, reminder.person, "reminder", written, post, now)
    return dataclasses.replace(mail, not_before=reminder.due)


def stale_reminders(pending: Iterable[Mail], wanted: Iterable[Reminder]) -> list[str]:
    """The ids of pending reminders no longer wanted: their session moved, got a new
    narrator, was cancelled or began, or their person left."""
    keep = {reminder.id for reminder in wanted}
    return [
        m.id for m in pending if m.kind == "reminder" and not m.status.settled and m.id not in keep
    ]


# --- helpers -----------------------------------------------------------------------------


def _session_letter(
    state: State,
    planned: PlannedSession,
    person: Person,
    kind: str,
    post: Post,
    now: float,
    *,
    date: str = "",
    before: str = "",
    when: str = "",
) -> Letter:
    """A letter about one session, with its calendar event: a reminder, a move or a
    cancellation."""
    lang = person.lang
    day = planned_date(lang, date or planned.date)
    paragraphs: list[tuple[str, dict[str, str]]]
    if kind == "reminder":
        paragraphs = [(f"mail.reminder.body.{when}", {"date": day})]
        narrator = state.people.get(planned.narrator)
        if narrator is not None:
            paragraphs.append(("mail.reminder.narrator", {"narrator": narrator.name}))
        paragraphs.append(("mail.reminder.enter", {}))
    elif kind == "moved":
        paragraphs = [("mail.moved.body", {"date": day, "before": planned_date(lang, before)})]
    else:
        paragraphs = [("mail.cancelled.body", {"date": day})]
    event = CalendarSession(
        uid=planned.id,
        start=planned.date,
        minutes=state.cycle.minutes,
        summary=message(lang, "mail.calendar.summary", group=state.name),
        url=post.group_url,
        sequence=planned.revision,
    )
    cancelled = kind == "cancelled"
    calendar = session_event(
        state.time_zone,
        event,
        now,
        organizer=post.sender,
        attendee=person.email,
        cancelled=cancelled,
    )
    return letter(
        lang,
        kind,
        group=state.name,
        name=person.name,
        subject={"date": day},
        paragraphs=paragraphs,
        link=("mail.admission.link", post.group_url) if post.group_url else None,
        calendar=calendar,
        method="CANCEL" if cancelled else "REQUEST",
    )


def _mail(
    mail_id: str, group_id: str, person: Person, kind: str, written: Letter, post: Post, now: float
) -> Mail:
    email = compose(
        written,
        lang=person.lang,
        sender=post.sender,
        recipient=person.email or "nobody@invalid",
        recipient_name=person.name,
        at=now,
        id_domain=domain_of(post.sender),
    )
    return Mail(
        id=mail_id,
        scope=group_id,
        person=person.id,
        kind=kind,
        recipient=person.email,
        message_id=str(email["Message-ID"]),
        message=email.as_bytes(),
        created_at=now,
        not_before=now,
    )


def _admitted(state: State, role: GroupRole | None = None) -> list[Person]:
    """Admitted people with an address (of ``role``, if given), in invitation order."""
    return [
        p
        for p in state.people.values()
        if p.status is Status.ADMITTED and p.email and (role is None or p.role is role)
    ]


def _instant(local: str, time_zone: str) -> float | None:
    """A planned "YYYY-MM-DDTHH:MM" on the group's wall clock as a timestamp."""
    try:
        zone = ZoneInfo(time_zone)
        return datetime.strptime(local, "%Y-%m-%dT%H:%M").replace(tzinfo=zone).timestamp()
    except (ValueError, ZoneInfoNotFoundError):
        return None
