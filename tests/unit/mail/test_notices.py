"""Each message kind as the recipient gets it: words in their language, text and HTML,
and the session's event read back with the ``icalendar`` library; and which reminders
are due when."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from zoneinfo import ZoneInfo

from icalendar import Calendar

from room.domain.group import State, Status
from room.domain.group import events as gev
from room.domain.group.state import GroupRole, Person, PlannedSession
from room.mail.notices import (
    Post,
    after_events,
    due_reminders,
    invitation,
    reminder_mail,
    stale_reminders,
)
from room.records.ical import CalendarSession, cycle_calendar
from room.store import Mail

PARIS = ZoneInfo("Europe/Paris")
POST = Post(sender="codev@example.org", group_url="https://codev.example.org/g/g1")
START = "2027-01-12T14:00"  # a Tuesday
START_AT = datetime(2027, 1, 12, 14, 0, tzinfo=PARIS).timestamp()
HOUR = 3600.0


def person(pid: str, name: str, email: str, lang: str = "fr", **changes: object) -> Person:
    base = Person(
        id=pid,
        name=name,
        email=email,
        lang=lang,
        role=GroupRole.MEMBER,
        status=Status.ADMITTED,
        invited_at=1.0,
        admitted_at=2.0,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def group(**sessions: PlannedSession) -> State:
    people = {
        "p-nadia": person("p-nadia", "Nadia", "nadia@example.org", role=GroupRole.FACILITATOR),
        "p-ana": person("p-ana", "Ana", "ana@example.org"),
        "p-bob": person("p-bob", "Bob <b>", "bob@example.org", lang="en"),
        "p-noaddr": person("p-noaddr", "Sans Adresse", ""),
        "p-wait": person("p-wait", "Wanda", "wanda@example.org", status=Status.WAITING),
    }
    return State(
        name="Codev Lyon & co",
        time_zone="Europe/Paris",
        created_at=1.0,
        people=people,
        sessions=dict(sessions),
    )


def planned(date: str = START, **changes: object) -> PlannedSession:
    base = PlannedSession(id="s1", date=date, narrator="p-ana", planned_at=1.0, order=1)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def parsed(mail: Mail) -> EmailMessage:
    message = message_from_bytes(mail.message, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


def html_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


def calendar_of(message: EmailMessage) -> Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_filename() == "invite.ics"]
    assert isinstance(part, EmailMessage)
    return Calendar.from_ical(part.get_content())


def test_the_invitation_carries_the_link_in_both_parts_in_french() -> None:
    """French by default: subject, greeting, the link as a line and as a button."""
    state = group()
    link = "https://codev.example.org/j/SECRET"
    mail = invitation("g1", state, "p-ana", link, POST, 100.0)
    message = parsed(mail)
    assert message["Subject"] == "Invitation au groupe de codéveloppement « Codev Lyon & co »"
    assert message["To"] == "Ana <ana@example.org>"
    assert message["Message-ID"] == mail.message_id and mail.message_id.endswith("@example.org>")
    assert "Bonjour Ana," in text_of(message) and link in text_of(message)
    assert f'<a href="{link}">Ouvrir le groupe</a>' in html_of(message)
    assert "Codev Lyon &amp; co" in html_of(message)
    assert (mail.recipient, mail.kind, mail.person) == ("ana@example.org", "invitation", "p-ana")


def test_an_english_reader_gets_english_and_their_name_escaped_in_html() -> None:
    """The person's language decides; a name that looks like markup stays text."""
    mail = invitation("g1", group(), "p-bob", "https://x.example/j/S", POST, 100.0)
    message = parsed(mail)
    assert message["Subject"].startswith("Invitation to the co-development group")
    assert "Hello Bob <b>," in text_of(message)
    assert "Hello Bob &lt;b&gt;," in html_of(message)
    assert message["Content-Language"] == "en"


def test_a_reminder_carries_the_cycle_s_event_as_a_request() -> None:
    """METHOD:REQUEST, the cycle calendar's UID and SEQUENCE, the date in words."""
    session = planned()
    state = group(s1=session)
    (reminder, *_) = due_reminders("g1", state, START_AT - 2 * 24 * HOUR)
    mail = reminder_mail("g1", state, reminder, POST, START_AT - 2 * 24 * HOUR - 60)
    message = parsed(mail)
    assert message["Subject"] == (
        "Rappel : séance du groupe « Codev Lyon & co », mardi 12 janvier 2027 à 14:00"
    )
    assert "dans deux jours" in text_of(message) and "Ana y expose sa situation." in text_of(
        message
    )
    calendar = calendar_of(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    cycle = Calendar.from_ical(
        cycle_calendar(state.name, state.time_zone, [CalendarSession("s1", START, 150, "x")], 1.0)
    )
    (in_cycle,) = cycle.walk("VEVENT")
    assert str(event["UID"]) == str(in_cycle["UID"]) == "s1@codev-room"
    assert event.decoded("DTSTART") == datetime(2027, 1, 12, 14, 0, tzinfo=PARIS)
    assert int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == "mailto:codev@example.org"
    assert mail.not_before == START_AT - 2 * 24 * HOUR


def test_a_moved_session_is_a_request_with_a_new_sequence_and_both_dates() -> None:
    """Everyone admitted with an address is told, in their language; the event's
    SEQUENCE is the session's new revision."""
    before = group(s1=planned())
    after = group(s1=planned("2027-01-19T09:30", revision=1))
    event = gev.SessionReplanned(
        at=5.0, by="p-nadia", session="s1", date="2027-01-19T09:30", narrator="p-ana"
    )
    mails = after_events("g1", before, after, [(7, event)], POST, 5.0)
    assert [(m.id, m.person) for m in mails] == [
        ("g1.7.moved.p-nadia", "p-nadia"),
        ("g1.7.moved.p-ana", "p-ana"),
        ("g1.7.moved.p-bob", "p-bob"),
    ]
    french = parsed(mails[1])
    assert "prévue mardi 12 janvier 2027 à 14:00 est déplacée" in text_of(french)
    assert "mardi 19 janvier 2027 à 09:30" in text_of(french)
    assert "Tuesday, January 19, 2027" in text_of(parsed(mails[2]))
    (vevent,) = calendar_of(french).walk("VEVENT")
    assert (str(calendar_of(french)["METHOD"]), int(vevent["SEQUENCE"])) == ("REQUEST", 1)


def test_a_new_narrator_alone_moves_nothing_in_calendars() -> None:
    before = group(s1=planned())
    after = group(s1=planned(narrator="p-bob"))
    event = gev.SessionReplanned(at=5.0, by="p-nadia", session="s1", date=START, narrator="p-bob")
    assert after_events("g1", before, after, [(7, event)], POST, 5.0) == []


def test_a_cancelled_session_is_a_cancel_of_the_same_uid() -> None:
    before = group(s1=planned())
    after = group(s1=planned(cancelled_at=5.0, revision=1))
    event = gev.SessionCancelled(at=5.0, by="p-nadia", session="s1")
    mails = after_events("g1", before, after, [(9, event)], POST, 5.0)
    calendar = calendar_of(parsed(mails[0]))
    (vevent,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "CANCEL"
    assert (str(vevent["UID"]), str(vevent["STATUS"]), int(vevent["SEQUENCE"])) == (
        "s1@codev-room",
        "CANCELLED",
        1,
    )
    assert "est annulée" in text_of(parsed(mails[0]))


def test_an_admission_goes_to_the_admitted_and_an_application_to_facilitators() -> None:
    state = group()
    admitted = gev.PersonAdmitted(at=5.0, by="p-nadia", person="p-ana", note="ok")
    applied = gev.ApplicationReceived(
        at=6.0,
        by="system",
        application="a1",
        name="Zoé",
        email="zoe@example.org",
        practice="Coach <script>\nen Savoie",
    )
    mails = after_events("g1", state, state, [(3, admitted), (4, applied)], POST, 6.0)
    assert [(m.kind, m.person) for m in mails] == [
        ("admission", "p-ana"),
        ("application", "p-nadia"),
    ]
    notice = parsed(mails[1])
    assert notice["Subject"] == "Nouvelle candidature au groupe « Codev Lyon & co » : Zoé"
    assert "> Coach <script>\n> en Savoie" in text_of(notice)
    assert "Coach &lt;script&gt;" in html_of(notice)
    assert "https://codev.example.org/g/g1#applications" in text_of(notice)


def test_reminders_come_two_days_and_two_hours_before() -> None:
    """Written a quarter of an hour before their time, to every admitted person with
    an address; none once the session began."""
    state = group(s1=planned())
    two_days, two_hours = START_AT - 48 * HOUR, START_AT - 2 * HOUR
    assert due_reminders("g1", state, two_days - 16 * 60) == []
    early = due_reminders("g1", state, two_days - 14 * 60)
    assert {(r.kind, r.person.id, r.due) for r in early} == {
        ("2d", p, two_days) for p in ("p-nadia", "p-ana", "p-bob")
    }
    late = due_reminders("g1", state, two_hours - 60)
    assert {r.kind for r in late} == {"2h"}  # the two days' one would come too late now
    assert due_reminders("g1", state, START_AT) == []


def test_a_re_planned_session_has_new_reminders_and_the_old_ones_are_stale() -> None:
    """The key holds the date and the narrator: moving the session or changing its
    narrator makes new reminders, and the pending old ones are to drop."""
    now = START_AT - 48 * HOUR
    old = due_reminders("g1", group(s1=planned()), now)
    pending = [reminder_mail("g1", group(s1=planned()), r, POST, now) for r in old]
    moved = group(s1=planned("2027-01-12T16:00"))
    new = due_reminders("g1", moved, now)
    assert not {r.id for r in new} & {r.id for r in old}
    assert sorted(stale_reminders(pending, new)) == sorted(r.id for r in old)
    assert stale_reminders(pending, old) == []
    cancelled = group(s1=planned(cancelled_at=5.0))
    assert due_reminders("g1", cancelled, now) == []
