"""The session's time budget: borrowing an overrun from a later step, time per step."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from room.domain.errors import Code
from room.domain.session import SYSTEM, allowed, next_change
from room.domain.session import commands as c
from room.domain.session import events as ev
from room.domain.session.budget import boxes_total, overrun_minutes, spent, steps
from room.records.session import markdown, record
from tests.domain.session.table import Table, seated


def _overrunning(seconds: float) -> Table:
    """The questions step (25 min), ``seconds`` past its box."""
    t = seated()
    t.to("expose")
    t.to("questions")
    t.now += 25 * 60 + seconds
    return t


def test_borrowing_moves_the_overrun_in_whole_minutes_from_a_later_step() -> None:
    """6 min 10 s over: 7 minutes move from the action plan's 15 to the questions' 25;
    the total stays, the countdown no longer overruns, and the borrowing is kept."""
    t = _overrunning(370)
    before = boxes_total(t.state)
    [event] = t.do("nadia", c.BorrowTime(from_phase="action"), after=0)
    assert isinstance(event, ev.TimeBorrowed)
    assert (event.phase, event.from_phase, event.minutes) == ("questions", "action", 7)
    assert t.state.time_boxes["questions"] == 32 and t.state.time_boxes["action"] == 8
    assert boxes_total(t.state) == before
    assert overrun_minutes(t.state, t.now) == 0
    assert t.state.planned_boxes["action"] == 15, "planned is the box as first set"
    assert [(b.from_phase, b.minutes) for b in t.state.borrowings] == [("action", 7)]
    assert t.refolded() == t.state


def test_a_borrowing_is_refused_with_its_reason() -> None:
    """Not a phase, not a later one, a box too small to lend it, no overrun; and
    anyone but the token holder."""
    t = _overrunning(370)
    assert t.refused("nadia", c.BorrowTime(from_phase="nowhere")).params == {"field": "from_phase"}
    earlier = t.refused("nadia", c.BorrowTime(from_phase="expose"))
    assert (earlier.code, earlier.params["reason"]) == (Code.INVALID, "not_later")
    itself = t.refused("nadia", c.BorrowTime(from_phase="questions"))
    assert itself.params["reason"] == "not_later"
    t.do("nadia", c.SetTimeBox(phase="action", minutes=7))
    floor = t.refused("nadia", c.BorrowTime(from_phase="action"))
    assert (floor.code, floor.params["reason"], floor.params["floor"]) == (Code.INVALID, "floor", 1)
    assert t.refused("karim", c.BorrowTime(from_phase="closing")).code is Code.FORBIDDEN_ROLE
    t.do("nadia", c.BorrowTime(from_phase="closing"))
    nothing = t.refused("nadia", c.BorrowTime(from_phase="closing"))
    assert (nothing.code, nothing.params["what"]) == (Code.CONFLICT, "no_overrun")


def test_the_countdowns_end_opens_the_borrow_with_no_event() -> None:
    """Before the deadline the holder may not borrow; the server is told to ask again
    at the deadline, after which they may."""
    t = seated()
    t.do(SYSTEM, c.Connect(participant="nadia"))  # no take-over window to wait for
    t.to("questions")
    deadline = t.state.timer.deadline
    assert deadline is not None
    assert ("borrow_time",) not in allowed(t.state, "nadia", t.now)
    assert next_change(t.state, t.now) == deadline
    assert ("borrow_time",) in allowed(t.state, "nadia", deadline + 1)
    t.to("closing")  # the last step: nothing comes after it
    assert ("borrow_time",) not in allowed(t.state, "nadia", t.now + 3600)


def test_the_time_spent_in_a_step_adds_up_when_it_is_reopened_and_stops_at_the_end() -> None:
    t = seated()
    t.to("expose")  # the session begins here
    t.do("nadia", c.GoToPhase(phase="questions"), after=600)  # 10 min of exposé
    t.do("nadia", c.GoToPhase(phase="expose"), after=300)  # 5 min of questions
    t.do("nadia", c.GoToPhase(phase="questions"), after=120)  # 2 more of exposé
    t.do("nadia", c.EndSession(), after=60)
    taken = spent(t.state, t.now + 10_000)
    assert taken == {"expose": 720.0, "questions": 360.0}  # opening: before the start
    assert t.state.phase_since is None
    times = {step.phase: step for step in steps(t.state, t.now)}
    assert (times["expose"].planned, times["expose"].spent) == (15, 720.0)
    lines = markdown(record(t.state), "fr").splitlines()
    assert "| Exposé de la situation | 15 min | 15 min | 12 min |" in lines
    table = lines[lines.index("## Temps par étape") :]
    assert (
        "| Étape 1 : observation des faits, analyse du problème | 25 min | 25 min | 6 min |"
        in table
    )
    assert "| Total | 150 min | 150 min | 18 min |" in table


@settings(max_examples=60, deadline=None)
@given(
    over=st.floats(0.5, 50 * 60),
    later=st.sampled_from(["understanding", "possibilities", "action", "closing"]),
    box=st.integers(1, 240),
)
def test_borrowing_conserves_the_total_and_keeps_the_floor(
    over: float, later: str, box: int
) -> None:
    """Whatever the overrun and the lender's box: either the borrowing moves exactly the
    overrun's minutes and the steps' total is unchanged, or it is refused for the floor
    and nothing changes."""
    t = seated()
    t.to("questions")
    t.do("nadia", c.SetTimeBox(phase=later, minutes=box))
    t.now = t.state.timer.deadline + over  # type: ignore[operator]
    total, minutes = boxes_total(t.state), overrun_minutes(t.state, t.now)
    if box - minutes < 1:
        assert (
            t.refused("nadia", c.BorrowTime(from_phase=later), after=0).params["reason"] == "floor"
        )
        return
    t.do("nadia", c.BorrowTime(from_phase=later), after=0)
    assert boxes_total(t.state) == total
    assert t.state.time_boxes[later] == box - minutes >= 1
    assert overrun_minutes(t.state, t.now) == 0
