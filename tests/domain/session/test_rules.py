"""The phase token, the timer, editing and hiding, and every refusal with its code."""

from __future__ import annotations

import pytest

from room.domain.errors import Code
from room.domain.session import SYSTEM, allowed, next_change
from room.domain.session import commands as c
from room.domain.session.capabilities import to_plain
from room.domain.session.roles import Kind, Role, Welcome
from room.domain.session.timing import overrun, remaining
from room.domain.session.visibility import visible_event, visible_state
from tests.domain.session.table import Table, seated

# --- the phase token --------------------------------------------------------------------


def test_only_the_token_holder_changes_the_phase() -> None:
    """A co-facilitator without the token is refused; after a hand-off they may."""
    t = seated()
    assert t.refused("louis", c.GoToPhase(phase="expose")).code is Code.NOT_TOKEN_HOLDER
    assert t.refused("karim", c.GoToPhase(phase="expose")).code is Code.FORBIDDEN_ROLE
    t.do("nadia", c.PassToken(to="louis"))
    t.do("louis", c.GoToPhase(phase="expose"))
    assert t.state.phase == "expose"


def test_the_token_passes_only_to_another_facilitator() -> None:
    """Handing the token to a member is an invalid argument, not a silent reassignment."""
    t = seated()
    assert t.refused("nadia", c.PassToken(to="karim")).code is Code.INVALID
    assert t.refused("nadia", c.PassToken(to="nobody")).code is Code.NOT_FOUND


def test_token_is_taken_only_after_two_minutes_of_absence() -> None:
    """A dropped holder keeps the token for two minutes; then a co-facilitator may take it."""
    t = seated()
    t.do(SYSTEM, c.Connect(participant="nadia"))
    assert t.refused("louis", c.TakeToken()).code is Code.HOLDER_PRESENT
    t.do(SYSTEM, c.Disconnect(participant="nadia"), after=0)
    dropped_at = t.now
    assert next_change(t.state, t.now) == dropped_at + 120
    assert t.refused("louis", c.TakeToken(), after=119).code is Code.HOLDER_PRESENT
    assert ("take_token",) not in allowed(t.state, "louis", t.now)
    t.now += 1
    assert ("take_token",) in allowed(t.state, "louis", t.now)
    t.do("louis", c.TakeToken(), after=0)
    assert t.state.token_holder == "louis"
    assert t.events[-1].previous == "nadia"  # type: ignore[attr-defined]


def test_a_holder_who_comes_back_in_time_keeps_the_token() -> None:
    """Reconnecting within two minutes closes the window for a take-over."""
    t = seated()
    t.do(SYSTEM, c.Connect(participant="nadia"))
    t.do(SYSTEM, c.Disconnect(participant="nadia"))
    t.do(SYSTEM, c.Connect(participant="nadia"), after=60)
    assert t.refused("louis", c.TakeToken(), after=300).code is Code.HOLDER_PRESENT


# --- time ---------------------------------------------------------------------------------


def test_moving_to_a_step_starts_its_countdown_from_the_server_clock() -> None:
    """The step change carries the countdown's end, so every client counts to the same
    moment; the time running out never moves the step; the session began with the
    first move, and a facilitator may keep countdowns manual."""
    t = seated()
    assert t.state.started_at is None and t.state.budget_minutes == 150
    moved = t.to("expose")
    assert moved[-1].deadline == t.now + 15 * 60  # type: ignore[attr-defined]
    assert t.state.timer.running and t.state.started_at == t.now
    assert remaining(t.state, t.now + 600) == 300
    assert overrun(t.state, t.now + 15 * 60 + 133) == 133
    assert t.refused("nadia", c.StartTimer()).code is Code.CONFLICT
    assert t.state.phase == "expose"
    began = t.state.started_at
    t.do("nadia", c.SetTimerMode(auto=False))
    t.to("questions")
    assert not t.state.timer.running and remaining(t.state, t.now + 999) == 25 * 60
    assert t.state.started_at == began
    assert t.refused("nadia", c.SetTimerMode(auto=False)).code is Code.INVALID
    assert t.refused("louis", c.SetTimerMode(auto=True)).code is Code.NOT_TOKEN_HOLDER
    assert t.refused("karim", c.SetTimerMode(auto=True)).code is Code.FORBIDDEN_ROLE


def test_a_session_s_budget_is_set_at_creation_within_bounds() -> None:
    """2 h 30 unless said otherwise, from a quarter of an hour to a day."""
    for minutes, accepted in ((15, True), (480, True), (14, False), (481, False)):
        table = Table()
        create = c.CreateSession(
            template="flyer", title="S", facilitator="nadia", name="Nadia", budget_minutes=minutes
        )
        if accepted:
            table.do(SYSTEM, create)
            assert table.state.budget_minutes == minutes
        else:
            assert table.refused(SYSTEM, create).code is Code.INVALID


def test_timer_counts_down_from_the_server_deadline_and_shows_overrun() -> None:
    """Remaining time is computed from the deadline and now; past it, it is overrun."""
    t = seated(auto_timer=False)
    t.to("expose")
    assert remaining(t.state, t.now) == 15 * 60
    t.do("nadia", c.StartTimer(), after=0)
    started = t.now
    assert remaining(t.state, started + 600) == 300
    assert overrun(t.state, started + 960) == 60
    assert t.state.phase == "expose"  # timers never advance the phase


def test_pause_extend_and_time_box_change_the_countdown() -> None:
    """Pausing freezes the remaining time; extending and a new time box add to it."""
    t = seated(auto_timer=False)
    t.to("expose")
    t.do("nadia", c.StartTimer(), after=0)
    t.do("nadia", c.PauseTimer(), after=300)
    assert remaining(t.state, t.now + 1000) == 600
    t.do("nadia", c.ExtendTimer(seconds=120))
    assert remaining(t.state, t.now) == 720
    t.do("nadia", c.SetTimeBox(phase="expose", minutes=20))
    assert remaining(t.state, t.now) == 1020
    t.do("nadia", c.SetTimeBox(phase="questions", minutes=40))
    t.to("questions")
    assert remaining(t.state, t.now) == 40 * 60


# --- editing, withdrawing, hiding -------------------------------------------------------------


def test_authors_edit_and_withdraw_only_while_the_phase_is_open() -> None:
    """Once the step is over, a contribution stays as it was said."""
    t = seated()
    t.to("questions")
    q = t.post("karim", Kind.QUESTION, "Première version ?")
    t.do("karim", c.Edit(contribution=q, body={"text": "Seconde version ?"}))
    assert t.refused("sophie", c.Edit(contribution=q, body={"text": "x"})).code is Code.NOT_AUTHOR
    t.to("understanding")
    assert t.refused("karim", c.Withdraw(contribution=q)).code is Code.PHASE_CLOSED


def test_an_answered_question_can_be_edited_not_withdrawn() -> None:
    """Withdrawing a question would orphan its answer."""
    t = seated("six_step")
    t.to("clarifying")
    q = t.post("karim", Kind.QUESTION, "Depuis quand ?")
    t.post("claire", Kind.ANSWER, "Six mois.", answers=q)
    assert t.refused("karim", c.Withdraw(contribution=q)).code is Code.IN_USE
    t.do("karim", c.Edit(contribution=q, body={"text": "Depuis quand, exactement ?"}))


def test_a_cited_proposal_can_be_edited_not_withdrawn() -> None:
    """Reopening step 3 after the action plan cites a proposal keeps that proposal."""
    t = seated()
    t.to("possibilities")
    p = t.post("karim", Kind.PROPOSAL, "Un comité paritaire.")
    t.to("action")
    t.post("claire", Kind.ACTION, body={"what": "Proposer le comité"}, cites=(p,))
    t.to("possibilities")
    assert t.refused("karim", c.Withdraw(contribution=p)).code is Code.IN_USE
    t.do("karim", c.Edit(contribution=p, body={"text": "Un comité de pilotage paritaire."}))


def test_hidden_text_reaches_only_facilitators() -> None:
    """A hidden contribution keeps its reason for all; its text only for facilitators."""
    t = seated()
    t.to("questions")
    q = t.post("karim", Kind.QUESTION, "Le nom du salarié est X ?")
    posted = t.events[-1]
    t.do("nadia", c.Hide(contribution=q, reason="Nom d'une personne"))
    member_view = visible_state(t.state, Role.MEMBER).contributions[q]
    assert member_view.body == {} and member_view.hidden == "Nom d'une personne"
    assert visible_state(t.state, Role.FACILITATOR).contributions[q].body["text"].startswith("Le")
    replayed = visible_event(posted, {q}, Role.OBSERVER)
    assert replayed.contribution.body == {}  # type: ignore[attr-defined]
    assert t.refused("karim", c.Edit(contribution=q, body={"text": "x"})).code is Code.HIDDEN
    t.do("nadia", c.Unhide(contribution=q))
    assert t.events[-1].body == {"text": "Le nom du salarié est X ?"}  # type: ignore[attr-defined]


def test_video_link_must_be_http() -> None:
    """Only an http(s) link is kept as the group's video call."""
    t = seated()
    refused = t.refused("nadia", c.SetVideoLink(url="javascript:alert(1)"))
    assert refused.code is Code.INVALID
    t.do("nadia", c.SetVideoLink(url="https://visio.example.org/gep-qvct"))
    assert t.state.video_link == "https://visio.example.org/gep-qvct"


# --- a group's session: the follow-up and the roster ----------------------------------------


def test_in_a_group_only_the_previous_narrator_posts_the_follow_up() -> None:
    """Sophie narrated the session this one follows: she tells what became of it, herself
    or through a facilitator; another member is refused, and ``allowed`` agrees."""
    t = seated(follow_up_by="sophie")
    assert (t.state.group, t.state.follows, t.state.follow_up_by) == ("g1", "s1", "sophie")
    refused = t.refused("karim", c.Post(kind=Kind.FOLLOW_UP, body={"text": "Mon retour."}))
    assert refused.code is Code.FORBIDDEN_ROLE
    on_behalf = c.Post(kind=Kind.FOLLOW_UP, body={"text": "x"}, on_behalf_of="karim")
    assert t.refused("nadia", on_behalf).code is Code.FORBIDDEN_ROLE
    assert ("post", "follow_up") in allowed(t.state, "sophie", t.now)
    assert ("post", "follow_up") not in allowed(t.state, "karim", t.now)
    assert to_plain(allowed(t.state, "nadia", t.now))["on_behalf"] == {"sophie": ["follow_up"]}
    t.post("sophie", Kind.FOLLOW_UP, "Le comité de direction a accepté le diagnostic.")
    t.post("nadia", Kind.FOLLOW_UP, "Dit à l'oral.", on_behalf_of="sophie")
    posted = [(x.author, x.posted_by) for x in t.state.contributions.values()]
    assert posted == [("sophie", None), ("sophie", "nadia")]
    assert t.refolded() == t.state


def test_a_narrator_twice_in_a_row_still_tells_the_follow_up() -> None:
    """Claire narrated the previous session and narrates this one: the opening's
    follow-up is still hers to post, as the member who narrated before."""
    t = seated(follow_up_by="claire")
    assert t.state.role_of("claire") is Role.NARRATOR
    assert ("post", "follow_up") in allowed(t.state, "claire", t.now)
    t.post("claire", Kind.FOLLOW_UP, "Le client a signé l'avenant.")
    assert t.refused("karim", c.Post(kind=Kind.FOLLOW_UP, body={"text": "x"})).code is (
        Code.FORBIDDEN_ROLE
    )


def test_in_a_standalone_session_any_member_posts_a_follow_up() -> None:
    """Without a group, the follow-up is open to every member, as before."""
    t = seated()
    assert t.state.follow_up_by == ""
    for member in ("karim", "sophie", "aicha"):
        assert ("post", "follow_up") in allowed(t.state, member, t.now)
        t.post(member, Kind.FOLLOW_UP, f"Retour de {member}.")


def test_the_server_adds_and_removes_people_even_after_the_end() -> None:
    """A member admitted to the group later is seated in its past sessions to read them;
    a removed one leaves them. Facilitators no longer change an ended session's roster."""
    t = seated(follow_up_by="sophie")
    t.do("nadia", c.EndSession())
    late = c.AddParticipant(participant="ines", name="Inès Roux", role=Role.MEMBER)
    assert t.refused("nadia", late).code is Code.SESSION_ENDED
    t.do(SYSTEM, late)
    assert t.state.role_of("ines") is Role.MEMBER
    assert t.events[-1].by == SYSTEM
    assert t.refused("nadia", c.RemoveParticipant(participant="karim")).code is (Code.SESSION_ENDED)
    t.do(SYSTEM, c.RemoveParticipant(participant="karim"))
    assert t.state.role_of("karim") is None
    assert {("add_participant",), ("remove_participant", "sophie")} <= allowed(
        t.state, SYSTEM, t.now
    )
    assert ("add_participant",) not in allowed(t.state, "nadia", t.now)
    assert t.refolded() == t.state


def test_only_the_server_and_facilitators_change_the_roster() -> None:
    """While the session is open, a facilitator seats people as before; a member cannot,
    and the server's arguments are checked like anyone's."""
    t = seated()
    t.do("louis", c.AddParticipant(participant="ines", name="Inès", role=Role.MEMBER))
    seat = c.AddParticipant(participant="paul", name="Paul", role=Role.MEMBER)
    assert t.refused("karim", seat).code is Code.FORBIDDEN_ROLE
    assert t.refused("stranger", seat).code is Code.NOT_PARTICIPANT
    taken = c.AddParticipant(participant="karim", name="Karim", role=Role.MEMBER)
    assert t.refused(SYSTEM, taken).code is Code.INVALID
    assert t.refused(SYSTEM, c.RemoveParticipant(participant="nobody")).code is Code.NOT_FOUND
    t.do(SYSTEM, seat)
    assert t.state.role_of("paul") is Role.MEMBER


# --- names ----------------------------------------------------------------------------------

SPOOFED = "Jean\u202eevil"  # a right-to-left override: the rest of the line reversed


def test_names_lose_their_bidirectional_controls() -> None:
    """Whoever names a participant (the server creating, a facilitator seating, the
    participant renaming), embeddings, overrides and isolates are dropped from the
    name; a name of nothing else is empty. Texts keep theirs."""
    t = Table()
    t.do(SYSTEM, c.CreateSession(template="flyer", title="T", facilitator="nadia", name=SPOOFED))
    t.do("nadia", c.AddParticipant(participant="karim", name="\u2067Karim\u2069", role=Role.MEMBER))
    t.do("karim", c.Rename(name="\u202aKarim\u202c \u202dH\u2066."))
    names = {p.id: p.name for p in t.state.participants.values()}
    assert names == {"nadia": "Jeanevil", "karim": "Karim H."}
    refused = t.refused("karim", c.Rename(name="\u202e\u2068"))
    assert (refused.code, refused.params) == (Code.INVALID, {"field": "name", "reason": "empty"})
    t.do("karim", c.Rename(name="\u05e9\u05e8\u05d4 Cohen"))  # right-to-left letters stay
    assert t.state.participants["karim"].name == "\u05e9\u05e8\u05d4 Cohen"
    posted = t.post("karim", Kind.FOLLOW_UP, "\u202bRetour\u202c")
    assert t.state.contributions[posted].body["text"] == "\u202bRetour\u202c"


# --- every refusal, with its code ------------------------------------------------------------

REFUSALS = [
    ("stranger", c.RaiseHand(), Code.NOT_PARTICIPANT),
    ("thomas", c.Post(kind=Kind.FOLLOW_UP, body={"text": "x"}), Code.FORBIDDEN_ROLE),
    ("karim", c.Post(kind=Kind.PROPOSAL, body={"text": "x"}), Code.WRONG_PHASE),
    ("karim", c.Post(kind=Kind.ANSWER, body={"text": "x"}, answers="c1"), Code.FORBIDDEN_ROLE),
    ("louis", c.StartTimer(), Code.NOT_TOKEN_HOLDER),
    ("karim", c.PassTurn(), Code.NOT_YOUR_TURN),
    ("nadia", c.LowerHand(), Code.FORBIDDEN_ROLE),
    ("karim", c.LowerHand(), Code.CONFLICT),
    ("nadia", c.PauseTimer(), Code.CONFLICT),
    ("nadia", c.NextSpeaker(), Code.CONFLICT),
    ("nadia", c.TakeToken(), Code.CONFLICT),
    ("karim", c.Post(kind=Kind.FOLLOW_UP, body={"text": "  "}), Code.INVALID),
    ("karim", c.Post(kind=Kind.FOLLOW_UP, body={"txt": "x"}), Code.INVALID),
    ("karim", c.Post(kind=Kind.FOLLOW_UP, body={"text": "a\x00b"}), Code.INVALID),
    ("karim", c.Post(kind=Kind.FOLLOW_UP, body={"text": "x" * 5001}), Code.INVALID),
    ("karim", c.Edit(contribution="c99", body={"text": "x"}), Code.NOT_FOUND),
    ("nadia", c.GoToPhase(phase="nowhere"), Code.INVALID),
    ("nadia", c.GoToPhase(phase="opening"), Code.INVALID),
    ("nadia", c.StartRound(order=("claire",)), Code.INVALID),
    ("nadia", c.AddParticipant(participant="eve", name="Eve", role=Role.NARRATOR), Code.INVALID),
    ("nadia", c.Hide(contribution="c42", reason="x"), Code.NOT_FOUND),
    ("claire", c.WelcomeProposal(proposal="c1", mark=Welcome.KEPT), Code.WRONG_PHASE),
    ("karim", c.Connect(participant="karim"), Code.FORBIDDEN_ROLE),
    (
        SYSTEM,
        c.CreateSession(template="flyer", title="x", facilitator="a", name="A"),
        Code.CONFLICT,
    ),
]


@pytest.mark.parametrize(("actor", "command", "code"), REFUSALS, ids=lambda v: str(v)[:40])
def test_refusal_codes(actor: str, command: c.Command, code: Code) -> None:
    """Each illegal move is refused with its stable code and leaves the state as it was."""
    t = seated()
    assert t.refused(actor, command).code is code


def test_nothing_but_hiding_after_the_end() -> None:
    """An ended session refuses contributions but lets a facilitator still hide one."""
    t = seated()
    q = t.post("sophie", Kind.FOLLOW_UP, "Un retour.")
    t.do("nadia", c.EndSession())
    assert t.refused("sophie", c.Post(kind=Kind.FOLLOW_UP, body={"text": "x"})).code is (
        Code.SESSION_ENDED
    )
    t.do("nadia", c.Hide(contribution=q, reason="Hors sujet"))


def test_a_role_is_refused_before_its_arguments_are_read() -> None:
    """A command its role never issues is refused forbidden_role whether its target
    exists or not, and even after the end: an observer cannot probe which ids exist."""
    t = seated()
    t.to("questions")
    question = t.post("karim", Kind.QUESTION, "Une question ?")
    for target in (question, "c99"):
        edit = c.Edit(contribution=target, body={"text": "x"})
        assert t.refused("thomas", edit).code is Code.FORBIDDEN_ROLE, target
        assert t.refused("thomas", c.Withdraw(contribution=target)).code is Code.FORBIDDEN_ROLE
        hide = c.Hide(contribution=target, reason="x")
        assert t.refused("karim", hide).code is Code.FORBIDDEN_ROLE, target
    for person in ("sophie", "nobody"):
        remove = c.RemoveParticipant(participant=person)
        assert t.refused("claire", remove).code is Code.FORBIDDEN_ROLE, person
    t.do("nadia", c.EndSession())
    edit = c.Edit(contribution=question, body={"text": "x"})
    assert t.refused("thomas", edit).code is Code.FORBIDDEN_ROLE


def test_observers_may_do_nothing_at_all() -> None:
    """An observer's set of open moves is empty in every phase."""
    t = seated()
    for phase in ("questions", "possibilities", "closing"):
        t.to(phase)
        assert allowed(t.state, "thomas", t.now) == frozenset()


def test_capabilities_travel_as_sorted_plain_data() -> None:
    """What a member may do now is plain, sorted data the browser can mirror."""
    t = seated()
    t.to("questions")
    q = t.post("karim", Kind.QUESTION, "Une question ?")
    plain = to_plain(allowed(t.state, "karim", t.now))
    assert plain["post"] == ["hypothesis", "question"]
    assert plain["edit"] == [q] and plain["withdraw"] == [q]
    assert "raise_hand" in plain["do"] and "go_to_phase" not in plain["do"]
    facilitator = to_plain(allowed(t.state, "nadia", t.now))
    assert facilitator["on_behalf"]["karim"] == ["hypothesis", "question"]


def test_the_server_removing_the_token_holder_hands_the_token_on() -> None:
    """A facilitator removed from the group leaves its sessions even holding the token:
    it goes to another facilitator. A facilitator removing the holder is still refused."""
    t = seated()
    assert t.state.token_holder == "nadia"
    holder = c.RemoveParticipant(participant="nadia")
    assert t.refused("louis", holder).code is Code.INVALID
    t.do(SYSTEM, holder)
    assert t.state.token_holder == "louis" and t.state.role_of("nadia") is None
    assert t.refused(SYSTEM, c.RemoveParticipant(participant="louis")).code is Code.INVALID
    assert t.refolded() == t.state


def test_who_may_be_removed_is_in_the_answer_not_only_who_removes() -> None:
    """A co-facilitator is offered the removal of everyone in the session but the token's
    holder, whom the server would refuse, and themselves; the holder is offered everyone
    else, and once the token passes, the answers follow it."""
    t = seated()
    assert t.state.token_holder == "nadia"
    offered = to_plain(allowed(t.state, "louis", t.now))["remove_participant"]
    assert "nadia" not in offered and "louis" not in offered
    assert {"karim", "sophie"} <= set(offered)
    assert "louis" in to_plain(allowed(t.state, "nadia", t.now))["remove_participant"]
    t.do("nadia", c.PassToken(to="louis"))
    assert "nadia" in to_plain(allowed(t.state, "louis", t.now))["remove_participant"]
    assert "louis" not in to_plain(allowed(t.state, "nadia", t.now))["remove_participant"]
    assert to_plain(allowed(t.state, "karim", t.now))["remove_participant"] == []


def test_a_groups_first_session_offers_no_follow_up() -> None:
    """The cycle begins: a group's session that follows none has no situation to follow
    up, so nobody is offered the follow-up, and a client posting one is told why. A
    session outside any group keeps its opening follow-up for the members."""
    first = Table()
    create = c.CreateSession(
        template="flyer", title="Séance 1", facilitator="nadia", name="Nadia", group="g1"
    )
    first.do(SYSTEM, create)
    first.do("nadia", c.AddParticipant(participant="karim", name="Karim", role=Role.MEMBER))
    assert first.state.phase == "opening"
    assert ("post", Kind.FOLLOW_UP.value) not in allowed(first.state, "karim", first.now)
    follow_up = c.Post(kind=Kind.FOLLOW_UP, body={"text": "Depuis la dernière fois…"})
    assert first.refused("karim", follow_up).code is Code.NO_PREVIOUS_SESSION

    standalone = seated()
    assert ("post", Kind.FOLLOW_UP.value) in allowed(standalone.state, "karim", standalone.now)


def test_every_event_says_whose_moves_it_can_change() -> None:
    """The room asks "what may I do" again only where an event reaches: an event type
    the reach table forgets would fail in the live room on its first occurrence (as
    timer_mode_set did when the two landed side by side)."""
    from room.domain.session import events as ev
    from room.domain.session.reach import _REACH

    assert set(ev.Event.registry.values()) == set(_REACH)
