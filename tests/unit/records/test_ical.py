"""The cycle's iCalendar file: read back by the icalendar parser, times checked against its
own VTIMEZONE, user text intact, lines folded at 75 octets with CRLF, stable UIDs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from icalendar import Calendar, Event, Timezone

from room.records.ical import CalendarSession, cycle_calendar

STAMP = 1_790_000_000.25  # 2026-09-21T14:13:20.25Z, a fixed "now"
TRICKY = "Codev; Lyon, « pairs »\nséance 1 \\ test"


def _session(uid: str, start: str, minutes: int = 120, **kwargs: str) -> CalendarSession:
    return CalendarSession(uid=uid, start=start, minutes=minutes, summary=f"Codev {uid}", **kwargs)


def _parsed(data: bytes) -> Calendar:
    calendar = Calendar.from_ical(data)
    assert isinstance(calendar, Calendar)
    return calendar


def _events(calendar: Calendar) -> dict[str, Event]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def _own_zone(calendar: Calendar) -> tuple[str, tzinfo]:
    """The file's one VTIMEZONE, made into a tzinfo from its own rules, not from its name."""
    (vtimezone,) = calendar.walk("VTIMEZONE")
    assert isinstance(vtimezone, Timezone)
    return str(vtimezone["TZID"]), vtimezone.to_tz(lookup_tzid=False)


def _in_own_zone(calendar: Calendar, event: Event, name: str) -> datetime:
    """DTSTART or DTEND read as its wall time and TZID, placed with the file's VTIMEZONE."""
    tzid, zone = _own_zone(calendar)
    assert event[name].params["TZID"] == tzid
    wall = event.decoded(name).replace(tzinfo=None)
    return wall.replace(tzinfo=zone)


def _text(raw: str) -> str:
    """A TEXT value unescaped as RFC 5545 (3.3.11) says, for properties the parser leaves raw."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m[1] in "nN" else m[1], raw)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _observances(calendar: Calendar) -> list[tuple[str, timedelta, timedelta, list[datetime]]]:
    """Each STANDARD or DAYLIGHT: its kind, TZOFFSETFROM, TZOFFSETTO and onsets in UTC."""
    found = []
    for observance in calendar.walk("VTIMEZONE")[0].subcomponents:
        before = observance.decoded("TZOFFSETFROM")
        after = observance.decoded("TZOFFSETTO")
        assert "RRULE" not in observance  # the onsets are listed, so each is checked here
        walls = [observance.decoded("DTSTART")]
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            walls += [leaf.dt for leaf in rdate.dts]
        # RFC 5545: an onset is a wall time in the offset in force before it.
        onsets = [(wall - before).replace(tzinfo=UTC) for wall in walls]
        found.append((observance.name, before, after, onsets))
    return found


ZONES = [
    pytest.param(
        "Europe/Paris",
        # 28 March and 31 October 2027 are the last Sundays: 01:00Z both times.
        {
            "2027-03-23T14:00": "2027-03-23T13:00",
            "2027-04-06T14:00": "2027-04-06T12:00",
            "2027-10-26T14:00": "2027-10-26T12:00",
            "2027-11-02T14:00": "2027-11-02T13:00",
        },
        (timedelta(hours=1), timedelta(hours=2)),
        ["2027-03-28T01:00", "2028-03-26T01:00"],
        ["2027-10-31T01:00", "2028-10-29T01:00"],
        id="paris",
    ),
    pytest.param(
        "America/New_York",
        # 14 March and 7 November 2027: 02:00 local, so 07:00Z then 06:00Z.
        {
            "2027-03-09T14:00": "2027-03-09T19:00",
            "2027-03-16T14:00": "2027-03-16T18:00",
            "2027-11-02T14:00": "2027-11-02T18:00",
            "2027-11-09T14:00": "2027-11-09T19:00",
        },
        (timedelta(hours=-5), timedelta(hours=-4)),
        ["2027-03-14T07:00", "2028-03-12T07:00"],
        ["2027-11-07T06:00", "2028-11-05T06:00"],
        id="new-york",
    ),
]


@pytest.mark.parametrize(("zone", "expected", "offsets", "springs", "autumns"), ZONES)
def test_sessions_across_a_change_of_hour_keep_their_wall_time_and_instant(
    zone: str,
    expected: dict[str, str],
    offsets: tuple[timedelta, timedelta],
    springs: list[str],
    autumns: list[str],
) -> None:
    """Placed with the file's own VTIMEZONE, a 14:00 session is at 14:00 local, at the
    instant of winter or summer time as its date says, and lasts its length."""
    sessions = [_session(f"s{i}", start) for i, start in enumerate(expected)]
    calendar = _parsed(cycle_calendar("Codev", zone, sessions, STAMP))

    events = _events(calendar)
    for i, (start, utc) in enumerate(expected.items()):
        event = events[f"s{i}@codev-room"]
        begins = _in_own_zone(calendar, event, "DTSTART")
        ends = _in_own_zone(calendar, event, "DTEND")
        assert begins.strftime("%Y-%m-%dT%H:%M") == start
        assert begins.astimezone(UTC) == _utc(utc)
        assert ends.astimezone(UTC) - begins.astimezone(UTC) == timedelta(minutes=120)
        # The name-resolved zone the parser picked agrees with the file's rules.
        assert event.decoded("DTSTART").astimezone(UTC) == _utc(utc)

    winter, summer = offsets
    changes = [(k, f, t, o) for k, f, t, o in _observances(calendar) if f != t]
    assert changes == [
        ("DAYLIGHT", winter, summer, [_utc(s) for s in springs]),
        ("STANDARD", summer, winter, [_utc(a) for a in autumns]),
    ]


def test_the_vtimezone_alone_shows_the_hour_after_the_spring_change_as_summer_time() -> None:
    """Paris changes at 01:00Z: 01:30Z is 03:30 summer time by the file's own rules."""
    sessions = [_session("s1", "2027-03-23T14:00")]
    _, zone = _own_zone(_parsed(cycle_calendar("Codev", "Europe/Paris", sessions, STAMP)))

    assert _utc("2027-03-28T00:30").astimezone(zone).utcoffset() == timedelta(hours=1)
    assert _utc("2027-03-28T01:30").astimezone(zone).utcoffset() == timedelta(hours=2)
    assert _utc("2027-10-31T00:30").astimezone(zone).utcoffset() == timedelta(hours=2)
    assert _utc("2027-10-31T01:30").astimezone(zone).utcoffset() == timedelta(hours=1)


def test_the_calendar_says_what_it_is() -> None:
    """VERSION 2.0, a PRODID, METHOD PUBLISH, the group's name; DTSTAMP is the stamp, in UTC."""
    data = cycle_calendar("Codev Lyon", "Europe/Paris", [_session("s1", "2027-03-23T14:00")], STAMP)
    calendar = _parsed(data)

    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["PRODID"])
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Codev Lyon"
    (event,) = calendar.walk("VEVENT")
    assert b"\r\nDTSTAMP:20260921T141320Z\r\n" in data
    assert event.decoded("DTSTAMP") == _utc("2026-09-21T14:13:20")
    assert "URL" not in event and "DESCRIPTION" not in event


def test_user_text_with_separators_newlines_and_accents_survives_a_parse() -> None:
    """Commas, semicolons, a backslash, a newline and accents come back as they were."""
    session = _session("s1", "2027-03-23T14:00", description=TRICKY, url="https://x.test/g/a;b")
    session = CalendarSession(**{**session.__dict__, "summary": TRICKY})
    data = cycle_calendar(TRICKY, "Europe/Paris", [session], STAMP)
    calendar = _parsed(data)

    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == TRICKY
    assert str(event["DESCRIPTION"]) == TRICKY
    assert str(event["URL"]) == "https://x.test/g/a;b"
    # The parser does not know X-WR-CALNAME's type and hands it back raw: read it as TEXT.
    assert _text(str(calendar["X-WR-CALNAME"])) == TRICKY
    assert _text(str(calendar["NAME"])) == TRICKY
    assert "Codev\\; Lyon\\, « pairs »\\nséance 1 \\\\ test".encode() in data.replace(b"\r\n ", b"")


def test_carriage_returns_and_control_characters_never_reach_the_file() -> None:
    """A CRLF from a form becomes one line break; other control characters are dropped."""
    session = _session("s1", "2027-03-23T14:00", description="a\r\nb\rc\x00d\x07e\tf")
    session = CalendarSession(**{**session.__dict__, "url": "https://x.test/\r\ng"})
    (event,) = _parsed(cycle_calendar("Codev", "Europe/Paris", [session], STAMP)).walk("VEVENT")

    assert str(event["DESCRIPTION"]) == "a\nb\ncde\tf"
    assert str(event["URL"]) == "https://x.test/g"


def test_every_line_is_at_most_75_octets_and_ends_with_crlf() -> None:
    """Long text in several scripts is folded between characters, never inside one."""
    long = "Séance « très longue », avec des accents éèàùç; et des emoji 🙂 — " * 8
    session = _session("s1", "2027-03-23T14:00", description=long + "\n" + long, url="https://x/")
    data = cycle_calendar(long, "Europe/Paris", [session], STAMP)

    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert all(len(line) <= 75 for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # folding happened
    for line in lines:
        line.decode("utf-8")  # no character is cut in two
    (event,) = _parsed(data).walk("VEVENT")
    assert str(event["DESCRIPTION"]) == long + "\n" + long


def test_same_input_and_stamp_give_the_same_bytes_and_uids() -> None:
    """UIDs come from the session ids; only DTSTAMP follows the stamp."""
    sessions = [_session("s3f9a", "2027-03-23T14:00"), _session("s77b2", "2027-04-06T14:00")]
    first = cycle_calendar("Codev", "Europe/Paris", sessions, STAMP)
    again = cycle_calendar("Codev", "Europe/Paris", sessions, STAMP)
    later = cycle_calendar("Codev", "Europe/Paris", sessions, STAMP + 86_400)

    assert first == again
    assert list(_events(_parsed(first))) == ["s3f9a@codev-room", "s77b2@codev-room"]
    assert list(_events(_parsed(later))) == list(_events(_parsed(first)))
    differing = set(first.split(b"\r\n")) ^ set(later.split(b"\r\n"))
    assert differing and all(line.startswith(b"DTSTAMP:") for line in differing)


def test_a_session_across_the_change_of_hour_lasts_its_length() -> None:
    """01:30 winter time for two hours ends at 04:30 summer time, not 03:30."""
    session = _session("s1", "2027-03-28T01:30", minutes=120)
    calendar = _parsed(cycle_calendar("Codev", "Europe/Paris", [session], STAMP))
    (event,) = calendar.walk("VEVENT")

    ends = _in_own_zone(calendar, event, "DTEND")
    assert ends.strftime("%H:%M") == "04:30"
    assert ends - _in_own_zone(calendar, event, "DTSTART") == timedelta(minutes=120)


def test_an_empty_cycle_still_makes_a_valid_calendar() -> None:
    """No session: a calendar with its name and zone, and no event."""
    calendar = _parsed(cycle_calendar("Codev", "Europe/Paris", [], STAMP))

    assert calendar.walk("VEVENT") == []
    assert _own_zone(calendar)[0] == "Europe/Paris"


@pytest.mark.parametrize(
    ("zone", "start", "minutes", "message"),
    [
        ("Mars/Olympus", "2027-03-23T14:00", 120, "Expected an IANA time zone, but got"),
        ("Europe/Paris", "23/03/2027 14h", 120, "Expected a start 'YYYY-MM-DDTHH:MM', but got"),
        ("Europe/Paris", "2027-03-23T14:00", 0, "Expected a positive length, but got 0"),
    ],
)
def test_bad_input_is_refused_by_name(zone: str, start: str, minutes: int, message: str) -> None:
    """An unknown zone, a start in another shape or a null length raise ValueError."""
    with pytest.raises(ValueError, match=message):
        cycle_calendar("Codev", zone, [_session("s1", start, minutes)], STAMP)
