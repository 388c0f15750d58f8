"""A group over a cycle's beginning: people, charter, applications, sessions, drafts,
what each reader sees, and every refusal with its code."""

from __future__ import annotations

from datetime import UTC, datetime

import msgpack
import pytest

from room.domain.errors import Code
from room.domain.group import (
    ApplicationStatus,
    GroupCommand,
    GroupEvent,
    GroupRole,
    State,
    Status,
    allowed,
    must_accept,
    ordered_sessions,
    previous_session,
    public_page,
    rotation,
    sees_content,
    session_number,
    visible_group,
)
from room.domain.group import commands as g
from room.domain.group import events as ev
from room.domain.group.retention import last_held, months_after
from room.domain.group.state import ExportedRecord
from room.domain.plain import PlainDataError, from_plain, to_plain
from room.domain.session import SYSTEM, Command
from tests.domain.group.table import GROUP_CODES, MEMBERS, RULES, Table, founded, gathered
from tests.domain.session.test_properties import SESSION_CODES

DRAFT = g.SaveDraft(
    draft="d1",
    title="Un CSE qui bloque",
    context="Une PME de 80 salariés.",
    problem="Le diagnostic QVCT n'avance pas.",
    question="Comment relancer ?",
    request="Des pistes pour la prochaine réunion.",
)


def planned() -> Table:
    """The gathered group with two sessions planned: Claire narrates the first, Karim
    the second."""
    t = gathered()
    t.do("nadia", g.PlanSession(session="s1", date="2025-01-14T09:30", narrator="claire"))
    t.do("nadia", g.PlanSession(session="s2", date="2025-02-11T09:30", narrator="karim"))
    return t


# --- a cycle's beginning ----------------------------------------------------------------------


def test_a_group_is_created_with_its_founder_bound_by_the_first_charter() -> None:
    """The founder wrote the charter: they are an admitted facilitator who accepted v1."""
    t = founded()
    nadia = t.state.people["nadia"]
    assert (nadia.role, nadia.status, nadia.accepted_version) == (
        GroupRole.FACILITATOR,
        Status.ADMITTED,
        1,
    )
    assert nadia.accepted_at == nadia.admitted_at == t.state.created_at
    assert t.state.charter.version == 1 and t.state.charter.rules == RULES
    assert (t.state.cycle.sessions, t.state.cycle.minutes) == (6, 150)
    assert t.state.time_zone == "Europe/Paris"
    assert sees_content(t.state, "nadia") and not must_accept(t.state, "nadia")


def test_five_members_are_invited_accept_the_charter_and_are_admitted() -> None:
    """Invited, then waiting once the charter is accepted (dated, with its version),
    then admitted with the note on the practice discussed; only then content."""
    t = founded()
    t.invite("claire", "Claire Moreau")
    assert t.state.people["claire"].status is Status.INVITED
    assert must_accept(t.state, "claire") and not sees_content(t.state, "claire")
    t.accept("claire")
    claire = t.state.people["claire"]
    assert claire.status is Status.WAITING and claire.accepted_version == 1
    assert claire.accepted_at == t.now
    assert not must_accept(t.state, "claire") and not sees_content(t.state, "claire")
    t.admit("claire")
    claire = t.state.people["claire"]
    assert claire.status is Status.ADMITTED and claire.admitted_at == t.now
    assert claire.admission_note == "Pratique discutée en visio."
    for person, name in MEMBERS[1:]:
        t.join(person, name)
    assert all(sees_content(t.state, person) for person, _ in MEMBERS)
    assert t.refolded() == t.state


def test_two_sessions_are_planned_and_the_next_narrator_is_suggested() -> None:
    """The second session opens on the first; the suggestion is the first admitted
    member who narrates no planned session."""
    t = gathered()
    assert rotation(t.state).suggested_narrator == "claire"
    t.do("nadia", g.PlanSession(session="s1", date="2025-01-14T09:30", narrator="claire"))
    assert rotation(t.state).suggested_narrator == "karim"
    t.do("nadia", g.PlanSession(session="s2", date="2025-02-11T09:30", narrator="karim"))
    assert previous_session(t.state, "s2", held={"s1"}) == "s1"
    assert previous_session(t.state, "s1", held={"s1"}) is None
    assert previous_session(t.state, "nowhere", held={"s1"}) is None
    # A session that never began has no situation to follow up: s2 opens the cycle.
    assert previous_session(t.state, "s2", held=set()) is None
    turn = rotation(t.state)
    assert turn.narrated == ("claire", "karim")
    assert turn.suggested_narrator == "sophie"
    assert t.state.sessions["s2"].planned_at == t.now


def test_sessions_are_ordered_by_date_then_by_planning() -> None:
    """A session planned later for an earlier date comes first; same dates keep the
    planning order; replanning moves a session and changes what it follows."""
    t = planned()
    t.do("nadia", g.PlanSession(session="s0", date="2024-12-10T18:00", narrator="sophie"))
    twin = g.PlanSession(session="s3", date="2025-02-11T09:30", narrator="aicha", same_date=True)
    t.do("nadia", twin)
    assert [s.id for s in ordered_sessions(t.state)] == ["s0", "s1", "s2", "s3"]
    assert previous_session(t.state, "s1", held=t.state.sessions) == "s0"
    t.do("nadia", g.ReplanSession(session="s0", date="2025-03-11T09:30", narrator="thomas"))
    assert [s.id for s in ordered_sessions(t.state)] == ["s1", "s2", "s3", "s0"]
    assert previous_session(t.state, "s0", held=t.state.sessions) == "s3"
    assert rotation(t.state).narrated == ("claire", "karim", "aicha", "thomas")
    assert rotation(t.state).suggested_narrator == "sophie"


def test_no_narrator_is_suggested_once_every_member_has_a_turn() -> None:
    """Suggestion is a help, not a rule: a member may be planned again."""
    t = planned()
    for number, (person, _) in enumerate(MEMBERS[2:], start=3):
        date = f"2025-06-{number:02}T09:30"
        t.do("nadia", g.PlanSession(session=f"s{number}", date=date, narrator=person))
    assert rotation(t.state).suggested_narrator is None
    t.do("nadia", g.PlanSession(session="s6", date="2025-07-01T09:30", narrator="claire"))
    assert rotation(t.state).narrated == ("claire", "karim", "sophie", "aicha", "thomas")


def test_an_invited_facilitator_is_admitted_on_accepting_the_charter() -> None:
    """A co-facilitator needs no admission: a facilitator invited them."""
    t = founded()
    t.invite("louis", "Louis Martin", GroupRole.FACILITATOR)
    assert t.refused("louis", g.SetPublished(published=True)).code is Code.CHARTER_REQUIRED
    t.accept("louis")
    assert t.state.people["louis"].status is Status.ADMITTED
    t.do("louis", g.SetPublished(published=True))


# --- the charter ----------------------------------------------------------------------------------


def test_a_charter_edit_makes_every_member_accept_the_new_version() -> None:
    """After an edit, no member sees content until they accept version 2; the editor
    accepted it by writing it; a co-facilitator must accept it too."""
    t = gathered()
    t.invite("louis", "Louis Martin", GroupRole.FACILITATOR)
    t.accept("louis")
    t.do("nadia", g.EditCharter(rules=(*RULES, "Bienveillance.")))
    assert t.state.charter.version == 2
    assert sees_content(t.state, "nadia")
    for person in ("louis", *(p for p, _ in MEMBERS)):
        assert must_accept(t.state, person) and not sees_content(t.state, person)
        assert t.state.people[person].accepted_version == 1  # kept until they accept
        assert visible_group(t.state, person).people == {}
    assert t.refused("claire", g.AcceptCharter(version=1)).code is Code.INVALID
    assert t.refused("claire", DRAFT).code is Code.CHARTER_REQUIRED
    assert t.refused("louis", g.EditCharter(rules=RULES)).code is Code.CHARTER_REQUIRED
    # Accepting, and correcting how one is written: rectification is a right.
    assert allowed(t.state, "claire") == {("accept_charter",), ("correct_person",)}
    for person in ("louis", *(p for p, _ in MEMBERS)):
        t.accept(person)
        assert sees_content(t.state, person)
        assert t.state.people[person].status is Status.ADMITTED  # no second admission
    assert t.refolded() == t.state


def test_a_waiting_member_accepts_again_and_still_waits() -> None:
    """A new version does not admit anyone: a waiting member who accepts it still waits."""
    t = founded()
    t.invite("claire", "Claire Moreau")
    t.accept("claire")
    t.do("nadia", g.EditCharter(rules=RULES[:2]))
    t.accept("claire")
    assert t.state.people["claire"].status is Status.WAITING
    assert t.refused("claire", DRAFT).code is Code.NOT_ADMITTED


# --- removal --------------------------------------------------------------------------------------


def test_a_removed_member_sees_nothing_and_does_nothing() -> None:
    """Removal revokes access at once: no content, no move, no charter to accept; the
    record stays (dated) for the facilitators."""
    t = planned()
    t.do("claire", DRAFT)
    t.do("nadia", g.RemovePerson(person="claire"))
    assert t.state.people["claire"].status is Status.REMOVED
    assert t.state.people["claire"].removed_at == t.now
    assert not sees_content(t.state, "claire") and not must_accept(t.state, "claire")
    seen = visible_group(t.state, "claire")
    assert seen.people == {} and seen.sessions == {} and seen.drafts == {}
    assert allowed(t.state, "claire") == frozenset()
    assert t.refused("claire", g.AcceptCharter(version=1)).code is Code.NOT_PARTICIPANT
    assert t.refused("claire", g.DeleteDraft(draft="d1")).code is Code.NOT_PARTICIPANT
    t.do("nadia", g.EditCharter(rules=RULES[:1]))
    assert not must_accept(t.state, "claire")


def test_a_facilitator_removes_anyone_but_themself() -> None:
    """An invitation can be withdrawn; a co-facilitator removed; never oneself, so a
    group always keeps the facilitator who acts."""
    t = gathered()
    t.invite("louis", "Louis Martin", GroupRole.FACILITATOR)
    t.invite("eve", "Eve Durand")
    t.do("nadia", g.RemovePerson(person="eve"))
    t.do("nadia", g.RemovePerson(person="louis"))
    error = t.refused("nadia", g.RemovePerson(person="nadia"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "self")
    error = t.refused("nadia", g.RemovePerson(person="eve"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "removed")


# --- applications ---------------------------------------------------------------------------------


def test_an_application_is_received_noted_and_turned_into_an_invitation() -> None:
    """From the published page: received new, noted after the preliminary discussion,
    then the applicant becomes an invited member with the application's name and
    e-mail, and the application records who they became."""
    t = gathered()
    t.do("nadia", g.SetPublished(published=True))
    t.do(
        SYSTEM,
        g.ReceiveApplication(
            application="a1",
            name="Inès Roussel",
            email="ines@example.org",
            practice="Consultante QVCT depuis 2019, surtout en EHPAD.",
        ),
    )
    application = t.state.applications["a1"]
    assert application.status is ApplicationStatus.NEW and application.received_at == t.now
    t.do("nadia", g.NoteApplication(application="a1", note="Appel le 3 mars : pratique solide."))
    assert t.state.applications["a1"].status is ApplicationStatus.DISCUSSED
    t.do("nadia", g.InviteApplicant(application="a1", person="ines"))
    ines = t.state.people["ines"]
    assert (ines.name, ines.email, ines.role, ines.status) == (
        "Inès Roussel",
        "ines@example.org",
        GroupRole.MEMBER,
        Status.INVITED,
    )
    assert ines.application == "a1"
    application = t.state.applications["a1"]
    assert application.status is ApplicationStatus.INVITED and application.person == "ines"
    assert application.decided_at == t.now
    error = t.refused("nadia", g.DeclineApplication(application="a1"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "invited")
    t.accept("ines")
    t.admit("ines")
    assert sees_content(t.state, "ines")


def test_an_application_is_declined_and_stays_closed() -> None:
    """A declined application can no longer be noted or turned into an invitation."""
    t = founded()
    t.do("nadia", g.SetPublished(published=True))
    t.do(SYSTEM, g.ReceiveApplication(application="a1", name="X Y", email="x@y.fr", practice="…"))
    t.do("nadia", g.DeclineApplication(application="a1"))
    assert t.state.applications["a1"].status is ApplicationStatus.DECLINED
    error = t.refused("nadia", g.InviteApplicant(application="a1", person="x"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "declined")
    assert t.refused("nadia", g.NoteApplication(application="a1", note="x")).code is Code.INVALID


def test_peoples_names_lose_their_bidirectional_controls() -> None:
    """The rule of a session's names holds for a group's: its founder, an invited
    person and an applicant are named without embeddings, overrides or isolates."""
    t = Table()
    t.do(
        SYSTEM,
        g.CreateGroup(
            name="GEP", facilitator="nadia", facilitator_name="Nadia\u202e B.", rules=RULES
        ),
    )
    t.invite("claire", "\u2067Claire\u2069")
    t.do("nadia", g.SetPublished(published=True))
    t.do(
        SYSTEM,
        g.ReceiveApplication(application="a1", name="X\u202dY", email="x@y.fr", practice="…"),
    )
    assert [p.name for p in t.state.people.values()] == ["Nadia B.", "Claire"]
    assert t.state.applications["a1"].name == "XY"
    assert t.refused("nadia", g.InvitePerson(person="eve", name="\u202e")).code is Code.INVALID


def test_applications_come_only_through_a_published_page() -> None:
    """Unpublished, the page and its form do not exist."""
    t = founded()
    application = g.ReceiveApplication(application="a1", name="X", email="x@y.fr", practice="…")
    assert t.refused(SYSTEM, application).params == {"what": "public_page"}
    t.do("nadia", g.SetPublished(published=True))
    t.do(SYSTEM, application)
    t.do("nadia", g.SetPublished(published=False))
    assert t.refused(SYSTEM, application).code is Code.NOT_FOUND


# --- drafts ---------------------------------------------------------------------------------------


def test_drafts_are_private_to_their_author() -> None:
    """Neither members nor facilitators see another's draft; the author sees theirs."""
    t = planned()
    t.do("claire", DRAFT)
    t.do("karim", g.SaveDraft(draft="d2", title="Une direction absente"))
    assert set(visible_group(t.state, "claire").drafts) == {"d1"}
    assert set(visible_group(t.state, "karim").drafts) == {"d2"}
    assert visible_group(t.state, "nadia").drafts == {}
    assert visible_group(t.state, "sophie").drafts == {}
    error = t.refused("karim", g.SaveDraft(draft="d1", title="Mine now"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "taken")
    assert t.refused("karim", g.DeleteDraft(draft="d1")).code is Code.NOT_AUTHOR
    assert ("delete_draft", "d1") not in allowed(t.state, "karim")
    assert ("delete_draft", "d2") in allowed(t.state, "karim")


def test_only_the_narrator_of_a_session_hands_it_their_draft() -> None:
    """Claire narrates s1: her draft goes to s1, not to Karim's s2; Karim cannot hand
    her draft; saving again keeps where it was handed; handing twice is refused."""
    t = planned()
    t.do("claire", DRAFT)
    assert t.refused("karim", g.UseDraft(draft="d1", session="s1")).code is Code.NOT_AUTHOR
    error = t.refused("claire", g.UseDraft(draft="d1", session="s2"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "not_narrator")
    assert t.refused("claire", g.UseDraft(draft="d1", session="s9")).code is Code.NOT_FOUND
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    assert t.state.drafts["d1"].used_in == "s1"
    t.do("claire", g.SaveDraft(draft="d1", title="Un CSE qui bloque (v2)"))
    assert t.state.drafts["d1"].used_in == "s1" and t.state.drafts["d1"].context == ""
    error = t.refused("claire", g.UseDraft(draft="d1", session="s1"))
    assert (error.code, error.params["reason"]) == (Code.INVALID, "unchanged")
    t.do("claire", g.DeleteDraft(draft="d1"))
    assert t.state.drafts == {}
    assert t.refolded() == t.state


def test_facilitators_and_waiting_members_have_no_drafts() -> None:
    """Facilitators hold sessions, they do not narrate; a member drafts once admitted."""
    t = founded()
    assert t.refused("nadia", DRAFT).code is Code.FORBIDDEN_ROLE
    t.invite("claire", "Claire Moreau")
    t.accept("claire")
    assert t.refused("claire", DRAFT).code is Code.NOT_ADMITTED


# --- views ----------------------------------------------------------------------------------------


def test_a_member_never_sees_emails_notes_applications_or_others_drafts() -> None:
    """Members see the group's people (names, roles, statuses), sessions, their drafts."""
    t = planned()
    t.do("nadia", g.SetPublished(published=True))
    t.do(SYSTEM, g.ReceiveApplication(application="a1", name="X", email="x@y.fr", practice="…"))
    t.do("karim", g.SaveDraft(draft="d2", title="Une direction absente"))
    seen = visible_group(t.state, "claire")
    assert set(seen.people) == set(t.state.people)
    assert all(p.email == "" and p.admission_note == "" for p in seen.people.values())
    assert seen.people["karim"].name == "Karim Haddad"
    assert seen.people["karim"].status is Status.ADMITTED
    assert seen.applications == {} and seen.drafts == {}
    assert seen.sessions == t.state.sessions and seen.charter == t.state.charter
    assert "x@y.fr" not in str(to_plain(seen)) and "example.org" not in str(to_plain(seen))


def test_facilitators_see_the_group_records() -> None:
    """E-mails, admission notes and applications are for facilitators."""
    t = planned()
    t.do("nadia", g.SetPublished(published=True))
    t.do(SYSTEM, g.ReceiveApplication(application="a1", name="X", email="x@y.fr", practice="…"))
    seen = visible_group(t.state, "nadia")
    assert seen.people == t.state.people and seen.applications == t.state.applications


@pytest.mark.parametrize("viewer", ["invited", "waiting", "stranger", SYSTEM])
def test_outsiders_see_only_name_charter_and_published_page(viewer: str) -> None:
    """Invited, waiting, a stranger: nothing of members, sessions, applications or
    drafts; the presentation only once published."""
    t = planned()
    t.do("claire", DRAFT)
    t.invite("invited", "Ida Invitée")
    t.invite("waiting", "Walid Attente")
    t.accept("waiting")
    t.do("nadia", g.EditPresentation(objectives="Échanger sur nos pratiques."))
    seen = visible_group(t.state, viewer)
    assert seen.name == t.state.name and seen.charter == t.state.charter
    assert seen.presentation.objectives == ""
    assert (seen.people, seen.sessions, seen.applications, seen.drafts) == ({}, {}, {}, {})
    t.do("nadia", g.SetPublished(published=True))
    assert visible_group(t.state, viewer).presentation == t.state.presentation


def test_the_public_page_shows_nothing_of_members_or_sessions() -> None:
    """Unpublished there is no page; published, only the facilitators' presentation."""
    t = planned()
    t.do("claire", DRAFT)
    assert public_page(t.state) is None
    t.do(
        "nadia",
        g.EditPresentation(
            objectives="Échanger sur nos pratiques de consultants QVCT.",
            method="Codéveloppement en quatre étapes.",
            prerequisites="Être consultant·e QVCT en exercice.",
            schedule="Six séances de 2 h 30, le mardi matin.",
        ),
    )
    t.do("nadia", g.SetPublished(published=True))
    page = public_page(t.state)
    assert page is not None and page.published
    text = str(to_plain(page))
    for secret in ("Claire", "claire", "s1", "2025-01-14", "CSE", "example.org"):
        assert secret not in text


# --- plain data -----------------------------------------------------------------------------------


def test_states_commands_and_events_survive_plain_data_and_msgpack() -> None:
    """Everything a store or the wire carries comes back equal, through msgpack too."""
    t = planned()
    t.do("claire", DRAFT)
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    t.do("nadia", g.SetPublished(published=True))
    t.do(SYSTEM, g.ReceiveApplication(application="a1", name="X", email="x@y.fr", practice="…"))
    t.do("nadia", g.InviteApplicant(application="a1", person="x"))
    for event in t.events:
        packed = msgpack.unpackb(msgpack.packb(event.to_plain()), raw=False)
        assert GroupEvent.from_plain(packed) == event
    packed = msgpack.unpackb(msgpack.packb(to_plain(t.state)), raw=False)
    assert from_plain(State, packed) == t.state
    command = g.EditCharter(rules=RULES)
    assert GroupCommand.from_plain(command.to_plain()) == command


def test_group_and_session_commands_are_separate_families() -> None:
    """A group command never decodes as a session command, nor the other way round."""
    with pytest.raises(PlainDataError):
        Command.from_plain({"type": "plan_session", "session": "s", "date": "d", "narrator": "n"})
    with pytest.raises(PlainDataError):
        GroupCommand.from_plain({"type": "end_session"})


# --- what may I do --------------------------------------------------------------------------------


def test_what_each_person_may_do() -> None:
    """Invited: accept the charter; waiting: nothing; member: drafts; facilitator:
    the group's business; the server: applications, once the page is published, and
    the log of copies. Everyone, bound or not: correct their own name and address."""
    t = gathered()
    t.invite("ida", "Ida")
    t.invite("walid", "Walid")
    t.accept("walid")
    t.do("claire", DRAFT)
    assert allowed(t.state, "ida") == {("accept_charter",), ("correct_person",)}
    assert allowed(t.state, "walid") == {("correct_person",)}
    assert allowed(t.state, "claire") == {
        ("correct_person",),
        ("save_draft",),
        ("delete_draft", "d1"),
        ("use_draft", "d1"),
        ("post_message",),  # answer_slot waits for a poll to open
    }
    facilitator = allowed(t.state, "nadia")
    assert ("plan_session",) in facilitator and ("edit_charter",) in facilitator
    assert ("save_draft",) not in facilitator and ("accept_charter",) not in facilitator
    assert allowed(t.state, SYSTEM) == {("record_export",)}
    t.do("nadia", g.SetPublished(published=True))
    assert allowed(t.state, SYSTEM) == {("receive_application",), ("record_export",)}
    assert allowed(State(), "nadia") == frozenset()


# --- every refusal, with its code -----------------------------------------------------------------


def peopled() -> Table:
    """The planned group, with Claire's draft, Ida invited, Walid waiting, Thomas
    removed, and one application declined."""
    t = planned()
    t.do("claire", DRAFT)
    t.invite("ida", "Ida Invitée")
    t.invite("walid", "Walid Attente")
    t.accept("walid")
    t.do("nadia", g.RemovePerson(person="thomas"))
    t.do("nadia", g.SetPublished(published=True))
    t.do(SYSTEM, g.ReceiveApplication(application="a1", name="X", email="x@y.fr", practice="…"))
    t.do("nadia", g.DeclineApplication(application="a1"))
    return t


def plan(
    session: str = "s9", date: str = "2025-04-08T09:30", narrator: str = "sophie"
) -> GroupCommand:
    return g.PlanSession(session=session, date=date, narrator=narrator)


def create(**changes: object) -> g.CreateGroup:
    fields: dict[str, object] = {
        "name": "G",
        "facilitator": "f",
        "facilitator_name": "F",
        "rules": RULES,
        **changes,
    }
    return g.CreateGroup(**fields)  # type: ignore[arg-type]


def test_fixing_a_date_plans_that_session_and_one_time_holds_one_session() -> None:
    """Fixing a poll's date is planning the session, with its narrator; the same time
    again is refused unless the facilitator means it; a cancelled session leaves the
    cycle (rotation, dates) and its date may be fixed anew."""
    t = planned()  # s1 on 2025-01-14, s2 on 2025-02-11
    t.do("nadia", g.ProposeSlots(dates=("2025-03-11T09:30", "2025-02-11T09:30")))
    assert ("fix_slot", "t1") in allowed(t.state, "nadia")
    assert ("fix_slot", "t1") not in allowed(t.state, "claire")
    fixed = t.do("nadia", g.FixSlot(slot="t1", session="s3", narrator="sophie"))
    assert [type(e) for e in fixed] == [ev.SessionPlanned, ev.SlotFixed]
    assert t.state.sessions["s3"].narrator == "sophie"
    assert ("fix_slot", "t1") not in allowed(t.state, "nadia")
    assert t.refused("nadia", g.FixSlot(slot="t1", session="s4", narrator="aicha")).code is (
        Code.CONFLICT
    )
    taken = t.refused("nadia", g.FixSlot(slot="t2", session="s4", narrator="aicha"))
    assert (taken.code, taken.params["session"]) == (Code.DATE_TAKEN, "s2")
    t.do("nadia", g.FixSlot(slot="t2", session="s4", narrator="aicha", same_date=True))
    assert [s.date for s in ordered_sessions(t.state)].count("2025-02-11T09:30") == 2

    t.do("nadia", g.CancelSession(session="s3"))
    assert "s3" not in [s.id for s in ordered_sessions(t.state)]
    assert "sophie" not in rotation(t.state).narrated  # her turn is to come again
    assert t.refused("nadia", g.CancelSession(session="s3")).params["reason"] == "cancelled"
    assert ("fix_slot", "t1") in allowed(t.state, "nadia")
    t.do("nadia", g.FixSlot(slot="t1", session="s5", narrator="thomas"))
    assert t.state.slots["t1"].session == "s5"
    assert t.refolded() == t.state


def test_numbers_and_the_previous_session_follow_the_sessions_held() -> None:
    """A date gone by without a session counts for nothing; a held one counts, erased
    or not; sessions to come are numbered after them."""
    t = planned()  # s1 on 2025-01-14, s2 on 2025-02-11
    t.do("nadia", g.PlanSession(session="s3", date="2025-03-11T09:30", narrator="sophie"))
    today = "2025-02-20T10:00"  # s1 and s2 are past; only s2 was held
    assert [session_number(t.state, s, {"s2"}, today) for s in ("s2", "s3")] == [1, 2]
    assert session_number(t.state, "s3", {"s1", "s2"}, today) == 3
    assert previous_session(t.state, "s3", held={"s2"}) == "s2"
    assert previous_session(t.state, "s2", held={"s2"}) is None
    t.do("nadia", g.CancelSession(session="s2"))
    assert previous_session(t.state, "s3", held={"s1", "s2"}) == "s1"


def test_a_person_confirms_their_own_presence_once() -> None:
    """Their word is theirs, dated, seen by them and the facilitators only."""
    t = planned()
    assert ("confirm_presence", "s1") in allowed(t.state, "claire")
    t.do("claire", g.ConfirmPresence(session="s1"))
    assert set(t.state.presence["s1"]) == {"claire"}
    assert ("confirm_presence", "s1") not in allowed(t.state, "claire")
    assert t.refused("claire", g.ConfirmPresence(session="s1")).code is Code.CONFLICT
    t.do("karim", g.ConfirmPresence(session="s1"))
    assert visible_group(t.state, "karim").presence == {"s1": {"karim": t.now}}
    assert set(visible_group(t.state, "nadia").presence["s1"]) == {"claire", "karim"}


REFUSALS: list[tuple[str, GroupCommand, Code]] = [
    # who
    ("stranger", g.AcceptCharter(version=1), Code.NOT_PARTICIPANT),
    ("thomas", g.SaveDraft(draft="d9", title="x"), Code.NOT_PARTICIPANT),
    (SYSTEM, plan(), Code.NOT_PARTICIPANT),
    ("claire", plan(), Code.FORBIDDEN_ROLE),
    (
        "claire",
        g.ReceiveApplication(application="a2", name="X", email="x@y.fr", practice="…"),
        Code.FORBIDDEN_ROLE,
    ),
    ("nadia", g.SaveDraft(draft="d9", title="x"), Code.FORBIDDEN_ROLE),
    ("claire", create(), Code.FORBIDDEN_ROLE),
    ("ida", g.SaveDraft(draft="d9", title="x"), Code.CHARTER_REQUIRED),
    ("walid", g.SaveDraft(draft="d9", title="x"), Code.NOT_ADMITTED),
    ("karim", g.UseDraft(draft="d1", session="s2"), Code.NOT_AUTHOR),
    ("karim", g.DeleteDraft(draft="d1"), Code.NOT_AUTHOR),
    ("claire", g.AcceptCharter(version=1), Code.CONFLICT),
    (SYSTEM, create(), Code.CONFLICT),
    # what: unknown ids
    ("nadia", g.AdmitPerson(person="nobody", note="x"), Code.NOT_FOUND),
    ("nadia", g.RemovePerson(person="nobody"), Code.NOT_FOUND),
    ("nadia", g.NoteApplication(application="a9", note="x"), Code.NOT_FOUND),
    (
        "nadia",
        g.ReplanSession(session="s9", date="2025-04-08T09:30", narrator="sophie"),
        Code.NOT_FOUND,
    ),
    ("nadia", plan(narrator="nobody"), Code.NOT_FOUND),
    ("claire", g.DeleteDraft(draft="d9"), Code.NOT_FOUND),
    # what: wrong arguments
    ("ida", g.AcceptCharter(version=2), Code.INVALID),
    ("nadia", g.AdmitPerson(person="ida", note="x"), Code.INVALID),  # not waiting yet
    ("nadia", g.AdmitPerson(person="claire", note="x"), Code.INVALID),  # already admitted
    ("nadia", g.AdmitPerson(person="walid", note="  "), Code.INVALID),  # no discussion noted
    ("nadia", g.InvitePerson(person="claire", name="C"), Code.INVALID),  # id taken
    ("nadia", g.InvitePerson(person="system", name="S"), Code.INVALID),
    ("nadia", g.InvitePerson(person="p", name="two\nlines"), Code.INVALID),
    ("nadia", g.InvitePerson(person="p", name="n" * 81), Code.INVALID),
    ("nadia", g.InvitePerson(person="p", name="P", email="not-an-address"), Code.INVALID),
    ("nadia", g.InvitePerson(person="p", name="P", email="a@b.fr\x07"), Code.INVALID),
    ("nadia", g.InvitePerson(person="p", name="P", email=f"{'a' * 250}@b.fr"), Code.INVALID),
    ("nadia", g.EditCharter(rules=()), Code.INVALID),
    ("nadia", g.EditCharter(rules=RULES), Code.INVALID),  # unchanged
    ("nadia", g.EditCharter(rules=("ok", "bell\x07")), Code.INVALID),
    ("nadia", g.EditCharter(rules=("r",) * 31), Code.INVALID),
    ("nadia", g.EditPresentation(objectives="x" * 5001), Code.INVALID),
    ("nadia", g.EditPresentation(), Code.INVALID),  # unchanged
    ("nadia", g.SetPublished(published=True), Code.INVALID),  # unchanged
    ("nadia", g.EditGroup(name="G", sessions=0, minutes=150, time_zone="UTC"), Code.INVALID),
    ("nadia", g.EditGroup(name="G", sessions=6, minutes=5, time_zone="UTC"), Code.INVALID),
    ("nadia", g.EditGroup(name="G", sessions=6, minutes=150, time_zone="../etc"), Code.INVALID),
    ("nadia", g.EditGroup(name="", sessions=6, minutes=150, time_zone="UTC"), Code.INVALID),
    ("nadia", g.RemovePerson(person="nadia"), Code.INVALID),
    ("nadia", g.RemovePerson(person="thomas"), Code.INVALID),  # already removed
    ("nadia", g.NoteApplication(application="a1", note="x"), Code.INVALID),  # declined
    (
        SYSTEM,
        g.ReceiveApplication(application="a1", name="X", email="x@y.fr", practice="…"),
        Code.INVALID,
    ),  # id taken
    (
        SYSTEM,
        g.ReceiveApplication(application="a2", name="X", email="", practice="…"),
        Code.INVALID,
    ),
    (
        SYSTEM,
        g.ReceiveApplication(application="a2", name="X", email="x@y.fr", practice=""),
        Code.INVALID,
    ),
    ("nadia", plan(session="s1"), Code.INVALID),  # id taken
    ("nadia", plan(date="2025-04-08 09:30"), Code.INVALID),
    ("nadia", plan(date="2025-13-08T09:30"), Code.INVALID),
    ("nadia", plan(date="2025-04-08T09:30+02:00"), Code.INVALID),
    ("nadia", plan(narrator="nadia"), Code.INVALID),  # a facilitator
    ("nadia", plan(narrator="walid"), Code.INVALID),  # not admitted
    ("nadia", plan(narrator="thomas"), Code.INVALID),  # removed
    (
        "nadia",
        g.ReplanSession(session="s1", date="2025-01-14T09:30", narrator="claire"),
        Code.INVALID,
    ),  # unchanged
    ("claire", g.SaveDraft(draft="d9", title=""), Code.INVALID),
    ("claire", g.SaveDraft(draft="d9", title="x", request="y" * 5001), Code.INVALID),
    ("claire", g.UseDraft(draft="d1", session="s2"), Code.INVALID),  # Karim narrates s2
    ("nadia", plan(date="2025-01-14T09:30"), Code.DATE_TAKEN),  # s1's time
    (
        "nadia",
        g.ReplanSession(session="s2", date="2025-01-14T09:30", narrator="karim"),
        Code.DATE_TAKEN,
    ),
    ("claire", g.CancelSession(session="s1"), Code.FORBIDDEN_ROLE),
    ("nadia", g.CancelSession(session="s9"), Code.NOT_FOUND),
    ("walid", g.ConfirmPresence(session="s1"), Code.NOT_ADMITTED),
    ("nadia", g.ConfirmPresence(session="s9"), Code.NOT_FOUND),
    (SYSTEM, create(facilitator="f", rules=()), Code.CONFLICT),  # exists: checked first
]


@pytest.mark.parametrize(("actor", "command", "code"), REFUSALS, ids=lambda v: str(v)[:40])
def test_refusal_codes(actor: str, command: GroupCommand, code: Code) -> None:
    """Each illegal move is refused with its stable code and leaves the state as it was."""
    t = peopled()
    assert t.refused(actor, command).code is code


def test_every_group_code_is_produced() -> None:
    """The table above meets every code the group's rules can refuse with, and every
    code is produced by the session's rules or the group's."""
    assert {code for _, _, code in REFUSALS} == GROUP_CODES
    assert GROUP_CODES | SESSION_CODES == set(Code)


@pytest.mark.parametrize(
    "command",
    [
        create(name=""),
        create(facilitator=""),
        create(facilitator_name="x" * 81),
        create(facilitator_email="nope"),
        create(rules=()),
        create(sessions=25),
        create(minutes=481),
        create(time_zone=""),
    ],
    ids=lambda v: str(v)[:60],
)
def test_creation_checks_its_arguments(command: g.CreateGroup) -> None:
    """The server's CreateGroup is held to the same limits as any command."""
    assert Table().refused(SYSTEM, command).code is Code.INVALID


def test_a_group_that_does_not_exist_refuses_everything_but_creation() -> None:
    """Before CreateGroup there is no group to act on."""
    assert Table().refused("nadia", g.AcceptCharter(version=1)).code is Code.NOT_FOUND


# --- personal data: rectification, retention, the log of copies -------------------------------


def test_a_person_corrects_their_own_name_and_address_and_no_one_else_s() -> None:
    """Rectification is by the person themself, bound or not; a name or address of the
    wrong shape, or nothing changed, is refused invalid; a removed person has no say."""
    t = gathered()
    t.invite("ida", "Ida")  # invited, bound by nothing yet
    t.do("ida", g.CorrectPerson(name="Ida Martin", email="ida@exemple.fr"))
    assert (t.state.people["ida"].name, t.state.people["ida"].email) == (
        "Ida Martin",
        "ida@exemple.fr",
    )
    t.do("claire", g.CorrectPerson(name="Claire D.", email=""))  # no more e-mail
    assert t.state.people["claire"].email == ""
    for bad, field in (
        (g.CorrectPerson(name="", email=""), "name"),
        (g.CorrectPerson(name="two\nlines"), "name"),
        (g.CorrectPerson(name="Claire", email="nope"), "email"),
    ):
        error = t.refused("claire", bad)
        assert (error.code, error.params["field"]) == (Code.INVALID, field)
    same = t.refused("claire", g.CorrectPerson(name="Claire D.", email=""))
    assert same.params == {"field": "person", "reason": "unchanged"}
    t.do("nadia", g.RemovePerson(person="ida"))
    assert t.refused("ida", g.CorrectPerson(name="Ida")).code is Code.NOT_PARTICIPANT
    assert t.refused("stranger", g.CorrectPerson(name="X")).code is Code.NOT_PARTICIPANT
    assert t.refolded() == t.state


def test_a_facilitator_sets_the_retention_period_within_bounds() -> None:
    """Twelve months by default, told even to those outside the content; one to 120
    months, set by a bound facilitator only."""
    t = gathered()
    assert t.state.retention_months == 12
    t.do("nadia", g.SetRetention(months=24))
    assert visible_group(t.state, "stranger").retention_months == 24
    for months in (0, 121, -1):
        error = t.refused("nadia", g.SetRetention(months=months))
        assert error.params == {"field": "months", "limit": 120}
    assert t.refused("nadia", g.SetRetention(months=24)).params["reason"] == "unchanged"
    assert t.refused("claire", g.SetRetention(months=6)).code is Code.FORBIDDEN_ROLE


def test_the_log_of_copies_is_written_by_the_server_and_read_by_facilitators() -> None:
    """Only SYSTEM writes a copy (as the download is served), naming known people and
    sessions; members see no log of copies."""
    t = planned()
    copy = g.RecordExport(person="claire", record=ExportedRecord.ACCESS_EXPORT, subject="claire")
    t.do(SYSTEM, copy)
    t.do(SYSTEM, g.RecordExport(person="nadia", record=ExportedRecord.SESSION_RECORD, session="s1"))
    assert [(e.person, e.record) for e in t.state.exports] == [
        ("claire", ExportedRecord.ACCESS_EXPORT),
        ("nadia", ExportedRecord.SESSION_RECORD),
    ]
    assert t.refused("nadia", copy).code is Code.FORBIDDEN_ROLE
    assert t.refused(SYSTEM, g.RecordExport(person="nobody", record=copy.record)).code is (
        Code.NOT_FOUND
    )
    wrong_session = g.RecordExport(person="nadia", record=copy.record, session="s9")
    assert t.refused(SYSTEM, wrong_session).code is Code.NOT_FOUND
    assert len(visible_group(t.state, "nadia").exports) == 2
    assert visible_group(t.state, "claire").exports == ()


def test_retention_counts_from_the_last_held_session_in_calendar_months() -> None:
    """The latest session that began (or was erased), never a cancelled or unheld one;
    a month short of a day ends on its last day."""
    t = planned()
    assert last_held(t.state, set()) is None
    assert last_held(t.state, {"s1"}) == "2025-01-14T09:30"
    assert last_held(t.state, {"s1", "s2"}) == "2025-02-11T09:30"
    t.do("nadia", g.EraseSession(session="s2"))
    assert last_held(t.state, {"s1"}) == "2025-02-11T09:30"  # erased: it was held
    start = datetime(2025, 3, 31, 14, 0, tzinfo=UTC)
    assert months_after(start, 1) == datetime(2025, 4, 30, 14, 0, tzinfo=UTC)
    assert months_after(start, 12) == datetime(2026, 3, 31, 14, 0, tzinfo=UTC)
    assert months_after(start, 11) == datetime(2026, 2, 28, 14, 0, tzinfo=UTC)
