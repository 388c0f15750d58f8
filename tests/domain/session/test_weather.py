"""The closing round's weather: given by the members and the narrator, each seeing
only their own and a count until all have answered or the facilitator shows it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from room.domain.cycle import situation
from room.domain.errors import Code
from room.domain.session import SYSTEM, Role
from room.domain.session import commands as c
from room.domain.session import events as ev
from room.domain.session.state import Weather
from room.domain.session.visibility import visible_state
from room.domain.session.weather import SEALED, answered, awaited, event_for_reader
from room.records.session import markdown, record
from tests.domain.session.table import CAST, Table, seated

GIVERS = ("claire", "karim", "sophie", "aicha")  # the narrator and the three members
READERS = ("nadia", *(who for who, _, _ in CAST))


def _closing(present: tuple[str, ...] = GIVERS) -> Table:
    t = seated()
    for who in present:
        t.do(SYSTEM, c.Connect(participant=who))
    t.to("closing")
    return t


def test_each_sees_only_their_own_weather_and_the_count_until_all_answered() -> None:
    """Karim and Sophie gave theirs: each sees their own, no one else's, not even the
    facilitator; everyone sees "2 of 4"; the narrator and the present members are awaited."""
    t = _closing()
    t.do("karim", c.GiveWeather(mood=4, word="Éclairé"))
    t.do("sophie", c.GiveWeather(mood=2, word="Fatiguée"))
    assert awaited(t.state) == set(GIVERS)
    assert answered(t.state) == (2, 4)
    for reader in READERS:
        shown = visible_state(t.state, t.state.role_of(reader), reader)
        for who, weather in shown.weather.items():
            assert weather == (t.state.weather[who] if who == reader else SEALED), (reader, who)
    assert not t.state.weather_revealed


def test_the_last_one_awaited_reveals_everyones_weather_in_the_same_act() -> None:
    t = _closing()
    for mood, who in enumerate(GIVERS[:-1], start=1):
        t.do(who, c.GiveWeather(mood=mood, word=f"mot {who}"))
    events = t.do("aicha", c.GiveWeather(mood=5, word="Merci"))
    assert [type(e) for e in events] == [ev.WeatherGiven, ev.WeatherRevealed]
    revealed = events[1]
    assert isinstance(revealed, ev.WeatherRevealed)
    assert revealed.weather["aicha"] == Weather(mood=5, word="Merci")
    assert len(revealed.weather) == 4
    shown = visible_state(t.state, Role.OBSERVER, "thomas")
    assert shown.weather == t.state.weather and t.state.weather_revealed


def test_a_member_who_left_is_not_awaited_and_the_facilitator_may_show_it_early() -> None:
    """Aïcha left: the three others' answers complete the round. Before that, Nadia shows
    what was given; a second reveal is refused."""
    t = _closing()
    t.do(SYSTEM, c.Disconnect(participant="aicha"))
    assert awaited(t.state) == {"claire", "karim", "sophie"}
    t.do("karim", c.GiveWeather(mood=3, word="Pensif"))
    assert t.refused("karim", c.RevealWeather()).code is Code.FORBIDDEN_ROLE
    t.do("nadia", c.RevealWeather())
    assert t.state.weather_revealed
    again = t.refused("nadia", c.RevealWeather())
    assert (again.code, again.params["what"]) == (Code.CONFLICT, "weather_revealed")


def test_weather_is_refused_to_observers_facilitators_outside_the_closing_and_when_wrong() -> None:
    t = seated()
    t.to("action")
    assert t.refused("karim", c.GiveWeather(mood=3, word="Bien")).code is Code.WRONG_PHASE
    t.to("closing")
    assert t.refused("thomas", c.GiveWeather(mood=3, word="Bien")).code is Code.FORBIDDEN_ROLE
    assert t.refused("nadia", c.GiveWeather(mood=3, word="Bien")).code is Code.FORBIDDEN_ROLE
    for mood in (0, 6, True):
        assert t.refused("karim", c.GiveWeather(mood=mood, word="Bien")).params["field"] == "mood"
    for word in ("", "x" * 61, "deux\nlignes"):
        assert t.refused("karim", c.GiveWeather(mood=3, word=word)).params["field"] == "word"
    nothing = t.refused("nadia", c.RevealWeather())
    assert (nothing.code, nothing.params["what"]) == (Code.CONFLICT, "no_weather")


def test_the_record_and_the_journal_hold_the_weather_only_once_revealed() -> None:
    t = _closing()
    t.do("karim", c.GiveWeather(mood=4, word="Éclairé"))
    assert record(t.state).weather == [] and situation(t.state, "s", "d", "n").weather == ()
    t.do("nadia", c.RevealWeather())
    assert record(t.state).weather == [("Karim Haddad", 4, "Éclairé")]
    assert situation(t.state, "s", "d", "n").weather == ((4, "Éclairé"),)
    text = markdown(record(t.state), "fr").translate({0x2068: None, 0x2069: None})
    assert "- **Karim Haddad** — Éclaircies (4 sur 5) — Éclairé" in text.splitlines()


@settings(max_examples=80, deadline=None)
@given(
    givers=st.lists(
        st.tuples(st.sampled_from(GIVERS), st.integers(1, 5), st.sampled_from(["a", "Bof", "Top"])),
        min_size=1,
        max_size=8,
    ),
    present=st.sets(st.sampled_from(GIVERS)),
)
def test_before_the_reveal_no_one_but_its_author_sees_a_weather(
    givers: list[tuple[str, int, str]], present: set[str]
) -> None:
    """Whoever gives, in any order, again or not, with anyone present: until it is
    revealed, no reader's state and no event as they receive it (live or replayed)
    holds the mood or the word of anyone but themselves."""
    t = _closing(tuple(sorted(present)))
    start = len(t.events)
    for who, mood, word in givers:
        if t.state.weather_revealed:
            break
        t.do(who, c.GiveWeather(mood=mood, word=word))
        if t.state.weather_revealed:
            break
        for reader in READERS:
            shown = visible_state(t.state, t.state.role_of(reader), reader)
            assert all(w == SEALED for who_, w in shown.weather.items() if who_ != reader)
            for event in t.events[start:]:
                seen = event_for_reader(event, t.state, reader)
                if isinstance(seen, ev.WeatherGiven) and seen.by != reader:
                    assert (seen.mood, seen.word) == (0, ""), (reader, seen)
