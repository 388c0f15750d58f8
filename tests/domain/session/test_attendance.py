"""Attendance: who came to a session, when, and for how long."""

from __future__ import annotations

from room.domain.session import SYSTEM, Role
from room.domain.session import commands as c
from room.domain.session import events as ev
from room.domain.session.attendance import Presence, attendance
from tests.domain.session.table import Table, seated


def connect(t: Table, participant: str, after: float = 1.0) -> float:
    t.do(SYSTEM, c.Connect(participant=participant), after=after)
    return t.now


def disconnect(t: Table, participant: str, after: float = 1.0) -> float:
    t.do(SYSTEM, c.Disconnect(participant=participant), after=after)
    return t.now


def presence(t: Table, participant: str, now: float | None = None) -> Presence:
    return attendance(t.events, t.now if now is None else now)[participant]


def test_every_participant_appears_with_their_role_even_if_never_there() -> None:
    """The facilitator and the whole cast, observers included, in the order they were added."""
    t = seated()
    sheet = attendance(t.events, t.now)
    assert list(sheet) == ["nadia", "claire", "karim", "sophie", "aicha", "thomas", "louis"]
    assert sheet["thomas"].role is Role.OBSERVER
    assert sheet["claire"].role is Role.NARRATOR
    assert sheet["sophie"] == Presence(
        participant="sophie",
        name="Sophie Lefèvre",
        role=Role.MEMBER,
        arrived=None,
        left=None,
        seconds=0.0,
        intervals=(),
    )


def test_a_participant_who_leaves_and_rejoins_adds_up_both_stays() -> None:
    """Arrived at the first connection, left at the last disconnection; the gap is not counted."""
    t = seated()
    first = connect(t, "karim")
    dropped = disconnect(t, "karim", after=600)
    back = connect(t, "karim", after=300)
    gone = disconnect(t, "karim", after=900)
    karim = presence(t, "karim", now=gone + 5000)
    assert karim.arrived == first
    assert karim.left == gone
    assert karim.intervals == ((first, dropped), (back, gone))
    assert karim.seconds == 1500


def test_a_participant_still_connected_counts_up_to_now() -> None:
    """While the session runs, an open stay has no end yet and counts until ``now``."""
    t = seated()
    came = connect(t, "aicha")
    aicha = presence(t, "aicha", now=came + 120)
    assert aicha.arrived == came
    assert aicha.left is None
    assert aicha.intervals == ((came, None),)
    assert aicha.seconds == 120


def test_the_end_of_the_session_caps_the_time_of_those_still_there() -> None:
    """Someone still connected at the end leaves, for the sheet, at the end."""
    t = seated()
    came = connect(t, "claire")
    t.do("nadia", c.EndSession(), after=3600)
    ended = t.now
    disconnect(t, "claire", after=600)
    claire = presence(t, "claire", now=t.now + 10_000)
    assert claire.left == ended
    assert claire.intervals == ((came, ended),)
    assert claire.seconds == 3600


def test_an_ended_session_still_connected_ignores_now() -> None:
    """With no Disconnected yet, the end of the session still closes the stay."""
    t = seated()
    came = connect(t, "claire")
    t.do("nadia", c.EndSession(), after=60)
    claire = presence(t, "claire", now=t.now + 10_000)
    assert claire.left == t.now
    assert claire.seconds == t.now - came


def test_a_connection_after_the_end_is_not_attendance() -> None:
    """Opening the room after the end, to read the record, is not being at the session."""
    t = seated()
    t.do("nadia", c.EndSession())
    connect(t, "thomas", after=60)
    disconnect(t, "thomas", after=60)
    thomas = presence(t, "thomas")
    assert (thomas.arrived, thomas.left, thomas.seconds, thomas.intervals) == (None, None, 0, ())


def test_a_disconnection_without_a_connection_is_harmless() -> None:
    """A stray Disconnected (the server never saw them come) adds no time and no arrival."""
    t = seated()
    t.events.append(ev.Disconnected(at=t.now + 10, by=SYSTEM, participant="sophie"))
    came = connect(t, "sophie", after=20)
    gone = disconnect(t, "sophie", after=30)
    sophie = presence(t, "sophie")
    assert sophie.arrived == came
    assert sophie.intervals == ((came, gone),)
    assert sophie.seconds == 30


def test_a_second_connection_while_there_changes_nothing() -> None:
    """Two Connected in a row (a log the rules would not write) still count the time once."""
    t = seated()
    came = connect(t, "karim")
    t.events.append(ev.Connected(at=t.now + 50, by=SYSTEM, participant="karim"))
    gone = disconnect(t, "karim", after=100)
    karim = presence(t, "karim")
    assert karim.intervals == ((came, gone),)
    assert karim.seconds == 100


def test_a_clock_stepping_back_never_gives_negative_time() -> None:
    """A restarted server whose clock is behind closes a stay with no time, not less."""
    t = seated()
    came = connect(t, "karim")
    t.events.append(ev.Disconnected(at=came - 30, by=SYSTEM, participant="karim"))
    karim = presence(t, "karim")
    assert karim.intervals == ((came, came),)
    assert karim.seconds == 0


def test_a_server_that_died_closes_stays_when_the_next_one_loads() -> None:
    """The next process says those marked present left at load time: the outage counts."""
    t = seated()
    came = connect(t, "louis")
    loaded = disconnect(t, "louis", after=900)  # the hub's load() issues this
    assert presence(t, "louis").seconds == loaded - came


def test_a_removed_participant_leaves_at_removal_and_stays_on_the_sheet() -> None:
    """Removal ends the stay (no Disconnected follows it); the time before it counts."""
    t = seated()
    came = connect(t, "karim")
    t.do("nadia", c.RemoveParticipant(participant="karim"), after=200)
    karim = presence(t, "karim", now=t.now + 1000)
    assert karim.removed
    assert karim.left == t.now
    assert karim.seconds == 200
    assert karim.intervals == ((came, t.now),)


def test_names_are_the_latest() -> None:
    """A participant who renamed themselves appears under the name the room shows."""
    t = seated()
    t.do("karim", c.Rename(name="Karim H."))
    assert presence(t, "karim").name == "Karim H."
