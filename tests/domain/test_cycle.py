"""A group's sessions: what each is created with, and the cycle read from their logs."""

from __future__ import annotations

import pytest

from room.domain.cycle import Situation, attendance_rows, follow_ups, history, situation
from room.domain.errors import Code
from room.domain.group import commands as g
from room.domain.group.state import Attendance
from room.domain.session import SYSTEM
from room.domain.session import commands as c
from room.domain.session.attendance import attendance
from room.domain.session.roles import Kind, Role
from tests.domain.group.table import Table as GroupTable
from tests.domain.group.table import gathered
from tests.domain.session.table import Table

# --- a session created for a group --------------------------------------------------------


def opened(session: str, narrator: str, follows: str = "", follow_up_by: str = "") -> Table:
    """A session of group "g1" as the server opens it: Nadia facilitates, ``narrator``
    narrates, the other members of the group sit as members."""
    t = Table()
    t.do(
        SYSTEM,
        c.CreateSession(
            template="flyer",
            title=f"Séance {session}",
            facilitator="nadia",
            name="Nadia",
            group="g1",
            follows=follows,
            follow_up_by=follow_up_by,
        ),
    )
    for person in ("claire", "karim", "sophie"):
        role = Role.NARRATOR if person == narrator else Role.MEMBER
        t.do(SYSTEM, c.AddParticipant(participant=person, name=person.title(), role=role))
    return t


def test_a_group_session_remembers_its_group_and_what_it_follows() -> None:
    """The fields survive the fold of the log; a standalone session leaves them empty."""
    t = opened("s2", "karim", follows="s1", follow_up_by="claire")
    assert (t.state.group, t.state.follows, t.state.follow_up_by) == ("g1", "s1", "claire")
    assert t.refolded() == t.state
    first = opened("s1", "claire")
    assert (first.state.group, first.state.follows, first.state.follow_up_by) == ("g1", "", "")


@pytest.mark.parametrize("field", ["group", "follows", "follow_up_by"])
@pytest.mark.parametrize("value", [SYSTEM, "x" * 200, "bell\x07"])
def test_a_group_session_refuses_a_wrong_identifier(field: str, value: str) -> None:
    """The server's own name, a too long id or an unprintable one is refused as invalid."""
    create = c.CreateSession(
        template="flyer", title="Séance", facilitator="nadia", name="Nadia", **{field: value}
    )
    error = Table().refused(SYSTEM, create)
    assert error.code is Code.INVALID
    assert error.params["field"] == field


# --- the cycle read from the sessions' logs ---------------------------------------------------


def planned() -> GroupTable:
    """The gathered group with three sessions planned, out of date order: Claire narrates
    the first, Karim the second, Sophie the third."""
    t = gathered()
    t.do("nadia", g.PlanSession(session="s3", date="2025-03-11T09:30", narrator="sophie"))
    t.do("nadia", g.PlanSession(session="s1", date="2025-01-14T09:30", narrator="claire"))
    t.do("nadia", g.PlanSession(session="s2", date="2025-02-11T09:30", narrator="karim"))
    return t


def first_session() -> Table:
    """Claire's situation, her action plan (one action hidden by Nadia) and a takeaway."""
    t = opened("s1", "claire")
    t.to("expose")
    t.do(
        "claire",
        c.WriteSituation(
            title="Une démarche QVCT déjà « décidée »",
            request="Des façons concrètes de reformuler la commande.",
        ),
    )
    t.to("action")
    t.post("claire", Kind.ACTION, body={"what": "Proposer un comité", "when": "Avant mars"})
    hidden = t.post("claire", Kind.ACTION, body={"what": "Appeler M. Dupont"})
    t.do("nadia", c.Hide(contribution=hidden, reason="Nom d'une personne"))
    t.to("closing")
    t.post("karim", Kind.TAKEAWAY, "Partir du travail réel.")
    t.do("nadia", c.EndSession())
    return t


def second_session() -> Table:
    """Karim narrates; Claire opens it with what became of her situation."""
    t = opened("s2", "karim", follows="s1", follow_up_by="claire")
    t.post("claire", Kind.FOLLOW_UP, "Le comité s'est réuni deux fois.")
    hidden = t.post("claire", Kind.FOLLOW_UP, "M. Dupont a refusé.")
    t.do("nadia", c.Hide(contribution=hidden, reason="Nom d'une personne"))
    return t


def test_a_situation_holds_the_request_the_action_plan_and_the_takeaways() -> None:
    """What a member sees of a session: hidden actions are left out, not blanked."""
    read = situation(first_session().state, "s1", "2025-01-14T09:30", "Claire Moreau")
    assert read.opened and read.title == "Une démarche QVCT déjà « décidée »"
    assert read.request == "Des façons concrètes de reformuler la commande."
    assert read.actions == ({"what": "Proposer un comité", "when": "Avant mars"},)
    assert read.takeaways == ("Partir du travail réel.",)
    assert read.follow_ups == ()  # told in the next session, not in this one


def test_follow_ups_are_those_told_in_the_session_and_not_hidden() -> None:
    assert follow_ups(second_session().state) == ("Le comité s'est réuni deux fois.",)
    assert follow_ups(first_session().state) == ()


def test_history_shows_each_planned_session_with_the_follow_up_told_next() -> None:
    """Session 1's request and action plan, with the follow-up Claire posted in session 2;
    session 2 opened with no situation yet; session 3 not opened. In date order."""
    group = planned().state
    sessions = {"s2": second_session().state, "s1": first_session().state}
    one, two, three = history(group, sessions).situations
    assert [one.session, two.session, three.session] == ["s1", "s2", "s3"]
    assert (one.date, one.narrator, one.opened) == ("2025-01-14T09:30", "Claire Moreau", True)
    assert one.request == "Des façons concrètes de reformuler la commande."
    assert one.actions == ({"what": "Proposer un comité", "when": "Avant mars"},)
    assert all("Dupont" not in str(action) for action in one.actions)
    assert one.follow_ups == ("Le comité s'est réuni deux fois.",)
    assert (two.narrator, two.opened, two.request, two.follow_ups) == ("Karim Haddad", True, "", ())
    assert three == Situation(
        session="s3", date="2025-03-11T09:30", narrator="Sophie Lefèvre", opened=False
    )


def test_history_reads_edits_and_hiding_done_after_the_end() -> None:
    """Nothing is copied into the group: hiding an action after the end removes it from
    the history read next."""
    group = planned().state
    first = first_session()
    kept = next(
        x.id for x in first.state.contributions.values() if x.kind is Kind.ACTION and not x.hidden
    )
    first.do("nadia", c.Hide(contribution=kept, reason="Trop précis"))
    (one, _, _) = history(group, {"s1": first.state}).situations
    assert one.actions == () and one.request != ""


def test_history_of_a_group_without_opened_sessions() -> None:
    """Every planned session is listed, none opened; a session the group did not plan is
    not; an empty group has no history."""
    listed = history(planned().state, {}).situations
    assert [(x.session, x.opened) for x in listed] == [("s1", False), ("s2", False), ("s3", False)]
    assert history(gathered().state, {}).situations == []
    assert history(planned().state, {"s9": opened("s9", "sophie").state}).situations == listed


def test_an_erased_session_keeps_its_date_and_nothing_else() -> None:
    """Erased, session 1 reads as erased even if a stale copy of its state is passed."""
    group = planned()
    group.do("nadia", g.EraseSession(session="s1"))
    one, _, _ = history(group.state, {"s1": first_session().state}).situations
    assert (one.erased, one.opened, one.title, one.actions) == (True, False, "", ())
    assert one.date == "2025-01-14T09:30"


def test_attendance_rows_say_who_came_and_what_the_facilitator_confirmed() -> None:
    """Claire came for 40 minutes; Karim never came, and Nadia excused him; Sophie never
    came and is absent until confirmed; an observer is not on the group's sheet."""
    t = opened("s1", "claire")
    t.do(SYSTEM, c.AddParticipant(participant="olga", name="Olga", role=Role.OBSERVER))
    for who in ("claire", "olga"):
        t.do(SYSTEM, c.Connect(participant=who))
    t.do(SYSTEM, c.Disconnect(participant="claire"), after=40 * 60)
    presences = attendance(t.events, t.now)
    group = planned()
    group.do(
        "nadia",
        g.ConfirmAttendance(session="s1", person="karim", status=Attendance.EXCUSED, note="Malade"),
    )
    rows = {row.person: row for row in attendance_rows(group.state, "s1", presences)}
    assert "olga" not in rows
    assert (rows["claire"].status, rows["claire"].confirmed) == (Attendance.PRESENT, False)
    claire = rows["claire"]
    assert claire.left is not None and claire.arrived is not None
    assert claire.seconds == claire.left - claire.arrived == 40 * 60 + 1
    assert (rows["karim"].status, rows["karim"].note, rows["karim"].confirmed) == (
        Attendance.EXCUSED,
        "Malade",
        True,
    )
    assert (rows["sophie"].status, rows["sophie"].arrived) == (Attendance.ABSENT, None)
