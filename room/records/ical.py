"""The group's cycle as an iCalendar file (RFC 5545), for members to add to their calendars;
and one session as the event an e-mail carries (iTIP, RFC 5546: a request or a cancel).

Pure apart from the ``icalendar`` library, which escapes the text, folds the lines at
75 octets and writes CRLF. The sessions are written in the group's local time with a
VTIMEZONE carrying the zone's transitions, so a calendar that does not know the zone's
name still places them at the right instant.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vText

PRODID = "-//Codev Room//Cycle//FR"
UID_DOMAIN = "codev-room"  # the right-hand side of every UID: "<session id>@codev-room"
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"  # how a session's start is given, in the group's zone

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # no TEXT value may hold these
_LINE_BREAK = re.compile(r"\r\n?")
_NOT_IN_URI = re.compile(r"[\x00-\x20\x7f]")  # a URI holds no control character nor space


@dataclass(frozen=True)
class CalendarSession:
    """One session of the cycle, as a calendar shows it."""

    uid: str  # the session's id; stable, so a re-import updates rather than duplicates
    start: str  # local date and time in the group's zone, "YYYY-MM-DDTHH:MM"
    minutes: int  # the session's length
    summary: str  # the event's title, e.g. the group's name and "séance 2"
    description: str = ""  # free text; may hold newlines, commas, semicolons
    url: str = ""  # the group's page, if any
    sequence: int = 0  # the event's revision: a calendar keeps the highest it has seen


def cycle_calendar(
    name: str, time_zone: str, sessions: Sequence[CalendarSession], stamp: float
) -> bytes:
    """The iCalendar file for ``sessions``: UTF-8 bytes, CRLF line endings, lines folded.

    ``stamp`` (seconds since the epoch) is every event's DTSTAMP: the same input and stamp
    give the same bytes. Raises ``ValueError`` for an unknown zone, a start that is not
    "YYYY-MM-DDTHH:MM" or a length that is not positive.
    """
    zone = _zone(time_zone)
    starts = [_start(session, zone) for session in sessions]
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "PUBLISH")
    # The library types NAME and X-WR-CALNAME as unknown and would not escape them: say TEXT.
    calendar.add("NAME", vText(_text(name)))  # RFC 7986
    calendar.add("X-WR-CALNAME", vText(_text(name)))  # what most calendars read
    calendar.add_component(_vtimezone(time_zone, starts, stamp))
    stamped = datetime.fromtimestamp(stamp, UTC).replace(microsecond=0)
    for session, start in zip(sessions, starts, strict=True):
        calendar.add_component(_event(session, start, stamped))
    ical: bytes = calendar.to_ical()  # UTF-8, CRLF, folded at 75 octets
    return ical


def session_event(
    time_zone: str,
    session: CalendarSession,
    stamp: float,
    *,
    organizer: str,
    attendee: str,
    cancelled: bool = False,
) -> bytes:
    """One session as an e-mail's calendar part: METHOD:REQUEST (a reminder, a move) or,
    ``cancelled``, METHOD:CANCEL with STATUS:CANCELLED. The UID is the cycle calendar's
    and the SEQUENCE the session's revision, so a calendar that imported the cycle
    updates that event rather than adds another. ``organizer`` is the product's sending
    address, ``attendee`` the recipient's. Raises as ``cycle_calendar`` does."""
    zone = _zone(time_zone)
    start = _start(session, zone)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", "CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_vtimezone(time_zone, [start], stamp))
    event = _event(session, start, datetime.fromtimestamp(stamp, UTC).replace(microsecond=0))
    event.add("ORGANIZER", f"mailto:{_NOT_IN_URI.sub('', organizer)}")
    event.add("ATTENDEE", f"mailto:{_NOT_IN_URI.sub('', attendee)}")
    event.add("STATUS", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(event)
    ical: bytes = calendar.to_ical()
    return ical


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Expected an IANA time zone, but got {time_zone!r}") from None


def _start(session: CalendarSession, zone: ZoneInfo) -> datetime:
    """The session's start, aware, in the group's zone."""
    if session.minutes <= 0:
        raise ValueError(f"Expected a positive length, but got {session.minutes} minutes")
    try:
        local = datetime.strptime(session.start, LOCAL_FORMAT)
    except ValueError:
        raise ValueError(
            f"Expected a start 'YYYY-MM-DDTHH:MM', but got {session.start!r}"
        ) from None
    return local.replace(tzinfo=zone)


def _vtimezone(time_zone: str, starts: Sequence[datetime], stamp: float) -> Timezone:
    """The zone's VTIMEZONE, with every transition from the first session's year to past the last.

    The span is whole years so the component depends only on the years the sessions fall in.
    """
    years = [start.year for start in starts] or [datetime.fromtimestamp(stamp, UTC).year]
    first, last = date(min(years), 1, 1), date(max(years) + 2, 1, 1)
    vtimezone = Timezone.from_tzid(time_zone, first_date=first, last_date=last)
    zone = ZoneInfo(time_zone)
    for observance in vtimezone.subcomponents:
        if isinstance(observance, TimezoneStandard | TimezoneDaylight):
            _onsets_before_change(observance, zone)
    return vtimezone


def _onsets_before_change(observance: TimezoneStandard | TimezoneDaylight, zone: ZoneInfo) -> None:
    """Write the observance's onsets in the offset in force before them, as RFC 5545 says.

    ``Timezone.from_tzinfo`` writes a spring-forward onset in the new offset (03:00 for
    Paris instead of 02:00), which puts the change an hour late for a reader relying on
    the VTIMEZONE alone. Each onset is kept if it is already the change's true instant
    (so a fixed library is left alone), else moved back by the size of the jump.
    """
    before: timedelta = observance.TZOFFSETFROM
    after: timedelta = observance.TZOFFSETTO
    dtstart: datetime = observance.DTSTART
    rdates = [start for start, _ in observance.rdates if isinstance(start, datetime)]
    onsets = [dtstart, *rdates]
    fixed = [_onset(onset, before, after, zone) for onset in onsets]
    if fixed != onsets:
        observance.DTSTART = fixed[0]
        observance.pop("RDATE", None)
        if fixed[1:]:
            observance.add("RDATE", fixed[1:])


def _onset(wall: datetime, before: timedelta, after: timedelta, zone: ZoneInfo) -> datetime:
    """The onset, as the wall time in ``before`` at which ``zone`` changes to ``after``."""
    for candidate in (wall, wall - (after - before)):
        instant = (candidate - before).replace(tzinfo=UTC)
        moment = instant.astimezone(zone).utcoffset()
        previous = (instant - timedelta(seconds=1)).astimezone(zone).utcoffset()
        if (previous, moment) == (before, after):
            return candidate
    return wall


def _event(session: CalendarSession, start: datetime, stamped: datetime) -> Event:
    # The end is counted in elapsed time, so a session across a change of hour lasts its length.
    end = (start.astimezone(UTC) + timedelta(minutes=session.minutes)).astimezone(start.tzinfo)
    event = Event()
    event.add("UID", f"{session.uid}@{UID_DOMAIN}")
    event.add("DTSTAMP", stamped)
    event.add("DTSTART", start)
    event.add("DTEND", end)
    event.add("SEQUENCE", session.sequence)
    event.add("SUMMARY", _text(session.summary))
    if session.description:
        event.add("DESCRIPTION", _text(session.description))
    if session.url:
        event.add("URL", _NOT_IN_URI.sub("", session.url))
    return event


def _text(value: str) -> str:
    """User text as a TEXT value holds it: line breaks as LF, no other control character."""
    return _CONTROL.sub("", _LINE_BREAK.sub("\n", value))
