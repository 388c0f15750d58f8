"""Whole sessions, from opening to closing, in each method template."""

from __future__ import annotations

from room.domain.session import commands as c
from room.domain.session.roles import Kind, Welcome
from room.domain.session.templates import FLYER, SIX_STEP
from room.domain.session.timing import floor_time
from tests.domain.session.table import seated


def test_flyer_session_from_opening_to_closing() -> None:
    """A facilitator, a narrator and three members play the flyer's method end to end."""
    t = seated("flyer")
    t.post("sophie", Kind.FOLLOW_UP, "Le comité de direction a accepté le diagnostic.")
    t.to("expose")
    t.do(
        "claire",
        c.WriteSituation(
            title="Une démarche QVCT déjà « décidée »",
            context="PME de logistique de 120 salariés.",
            problem="Le CSE se sent mis à l'écart.",
            question="Comment ramener la démarche vers le travail réel ?",
            request="Des façons concrètes de reformuler la commande.",
        ),
    )
    t.to("questions")
    t.do("nadia", c.StartRound(order=("karim", "sophie", "aicha")))
    q1 = t.post("karim", Kind.QUESTION, "Qui t'a sollicitée au départ ?")
    t.do("karim", c.PassTurn())
    q2 = t.post("sophie", Kind.QUESTION, "Qu'est-ce qui est écrit sur le périmètre ?")
    t.do("nadia", c.NextSpeaker())
    t.post("aicha", Kind.HYPOTHESIS, "Le groupe lui demande des comptes.")
    t.do("nadia", c.NextSpeaker())
    assert not t.state.floor.in_round

    t.to("understanding")
    t.post("claire", Kind.ANSWER, "Le dirigeant directement.", answers=q1)
    t.post("claire", Kind.ANSWER, "« Accompagnement de la démarche QVCT ».", answers=q2)
    t.post(
        "claire",
        Kind.STATEMENT,
        body={"values": "Partir du travail réel.", "stakes": "Ma crédibilité auprès du CSE."},
    )
    t.post("sophie", Kind.REMARK, "La commande et la demande ne se recouvrent pas.")

    t.to("possibilities")
    p1 = t.post("karim", Kind.PROPOSAL, "Un comité de pilotage paritaire.")
    p2 = t.post("aicha", Kind.PROPOSAL, "Deux demi-journées d'observation sur le quai.")
    t.post("sophie", Kind.SIMILAR_SITUATION, "Dans un EHPAD, même pression.")
    t.do("claire", c.WelcomeProposal(proposal=p1, mark=Welcome.KEPT))
    t.do("claire", c.WelcomeProposal(proposal=p2, mark=Welcome.EXPLORE))

    t.to("action")
    action = t.post(
        "claire",
        Kind.ACTION,
        body={
            "what": "Proposer un comité de pilotage",
            "how": "Chiffres à l'appui",
            "when": "17/12",
        },
        cites=(p1, p2),
    )
    t.to("closing")
    for who in ("karim", "sophie", "aicha", "claire", "nadia"):
        t.post(who, Kind.TAKEAWAY, f"Ce que {who} retient.")
    t.do("nadia", c.EndSession())

    state = t.state
    assert state.ended
    assert state.situation is not None and state.situation.request.startswith("Des façons")
    assert state.contributions[action].cites == (p1, p2)
    assert state.contributions[p1].welcome is Welcome.KEPT
    assert [c.kind for c in state.contributions.values()].count(Kind.TAKEAWAY) == 5
    assert t.refolded() == state


def test_six_step_session_from_expose_to_learnings() -> None:
    """The six-step method: questions and answers together, a contract, a consultation."""
    t = seated("six_step")
    assert t.state.phase == "expose"
    t.do("claire", c.WriteSituation(title="Un CSE en retrait", request="M'aider à l'associer."))
    t.to("clarifying")
    q = t.post("karim", Kind.QUESTION, "Depuis quand ?")
    t.post("claire", Kind.ANSWER, "Six mois.", answers=q)
    t.to("contract")
    t.post("claire", Kind.CONTRACT, "J'attends des façons d'associer le CSE.")
    t.post("sophie", Kind.REFORMULATION, "Tu veux une méthode pour rouvrir la commande.")
    t.to("consultation")
    p = t.post("aicha", Kind.PROPOSAL, "Un comité paritaire.")
    t.post("claire", Kind.OFF_CONTRACT, "Nous sortons du contrat.")
    t.to("synthesis")
    t.do("claire", c.WelcomeProposal(proposal=p, mark=Welcome.KEPT))
    t.post("claire", Kind.ACTION, body={"what": "Proposer le comité"}, cites=(p,))
    t.to("learnings")
    for who in ("karim", "sophie", "aicha", "claire"):
        t.post(who, Kind.TAKEAWAY, "Une leçon.")
    t.do("nadia", c.EndSession())
    assert t.state.ended and t.refolded() == t.state


def test_templates_fit_two_and_a_half_hours() -> None:
    """Each template's default time boxes fit a 2 h 30 session; the flyer's exposé is 10-15."""
    for template in (FLYER, SIX_STEP):
        assert sum(phase.minutes for phase in template.phases) <= 150
    assert 10 <= FLYER.phase("expose").minutes <= 15
    assert [p.key for p in FLYER.phases] == [
        "opening", "expose", "questions", "understanding", "possibilities", "action", "closing"
    ]  # fmt: skip


def test_facilitator_posts_on_behalf_of_a_member() -> None:
    """A member whose connection failed still contributes, attributed as posted for them."""
    t = seated()
    t.to("questions")
    q = t.post("nadia", Kind.QUESTION, "La question de Karim.", on_behalf_of="karim")
    contribution = t.state.contributions[q]
    assert (contribution.author, contribution.posted_by) == ("karim", "nadia")
    t.do("karim", c.Edit(contribution=q, body={"text": "Ma question, reformulée."}))
    assert t.state.contributions[q].body == {"text": "Ma question, reformulée."}


def test_floor_time_adds_up_each_members_turns() -> None:
    """How long each member held the floor counts every turn, the current one included."""
    t = seated()
    t.to("questions")
    t.do("nadia", c.StartRound(order=("karim", "sophie")), after=0)
    t.do("karim", c.PassTurn(), after=90)
    t.do("nadia", c.GiveFloor(to="karim"), after=30)
    t.now += 15
    times = floor_time(t.state, t.now)
    assert times == {"karim": 105.0, "sophie": 30.0}


def test_raised_hands_form_a_queue_and_the_floor_takes_from_it() -> None:
    """Hands are queued in the order raised; giving the floor lowers that hand."""
    t = seated()
    t.do("sophie", c.RaiseHand())
    t.do("karim", c.RaiseHand())
    assert t.state.floor.hands == ("sophie", "karim")
    t.do("nadia", c.GiveFloor(to="sophie"))
    assert t.state.floor.hands == ("karim",) and t.state.floor.speaker == "sophie"
    t.do("karim", c.LowerHand())
    assert t.state.floor.hands == ()


def test_everyone_may_post_during_a_round_when_the_setting_says_so() -> None:
    """With speaker-only posting off, a round table does not silence the other members."""
    t = seated()
    t.to("questions")
    t.do("nadia", c.SetRoundPosting(speaker_only=False))
    t.do("nadia", c.StartRound(order=("karim", "sophie")))
    t.post("sophie", Kind.QUESTION, "Une question hors tour.")


def test_a_removed_member_is_skipped_by_the_round() -> None:
    """The round passes over a member who has left the session."""
    t = seated()
    t.to("questions")
    t.do("nadia", c.StartRound(order=("karim", "sophie", "aicha")))
    t.do("nadia", c.RemoveParticipant(participant="sophie"))
    t.do("nadia", c.NextSpeaker())
    assert t.state.floor.speaker == "aicha"
