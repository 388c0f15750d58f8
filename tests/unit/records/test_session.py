"""The session record: every visible contribution, no hidden one, no live markup."""

from __future__ import annotations

from room.domain.session import Kind, Welcome
from room.domain.session import commands as c
from room.records.session import markdown, may_export, record
from tests.domain.session.table import seated


def _played():
    t = seated()
    t.to("expose")
    t.do("claire", c.WriteSituation(title="Un CSE en retrait", request="Comment l'associer ?"))
    t.to("questions")
    q = t.post("karim", Kind.QUESTION, "Qui a sollicité ?")
    hidden = t.post("sophie", Kind.QUESTION, "Le nom du salarié malade ?")
    t.do("nadia", c.Hide(contribution=hidden, reason="Donnée personnelle"))
    t.to("understanding")
    t.post("claire", Kind.ANSWER, "Le dirigeant.", answers=q)
    t.to("possibilities")
    p = t.post("aicha", Kind.PROPOSAL, "Un comité <script>alert(1)</script> [x](javascript:y)")
    t.do("claire", c.WelcomeProposal(proposal=p, mark=Welcome.KEPT))
    t.to("action")
    t.post("claire", Kind.ACTION, body={"what": "Proposer le comité", "when": "mardi"}, cites=(p,))
    return t


def test_markdown_holds_every_visible_contribution_and_no_hidden_one() -> None:
    """Situation, request, question with its answer, proposal with its mark, action."""
    text = markdown(_played().state, "fr")
    for expected in (
        "# Un CSE en retrait",
        "Comment l'associer ?",
        "Qui a sollicité ?",
        "*Réponse* — Le dirigeant.",
        "*retenue*",
        "Quoi : Proposer le comité ; Quand : mardi",
        "issue de « Un comité",
    ):
        assert expected in text, expected
    assert "salarié malade" not in text and "Donnée personnelle" not in text


def test_markdown_shows_markup_as_text() -> None:
    """A script tag or a javascript: link in a contribution stays literal text."""
    text = markdown(_played().state, "fr")
    assert "<script>" not in text and "[x](javascript:" not in text
    assert r"\<script\>" in text


def test_record_leaves_hidden_contributions_out_even_for_a_facilitator() -> None:
    """An export never holds hidden text, whoever makes it."""
    r = record(_played().state)
    texts = [c.body.get("text", "") for _, section in r.sections for c in section]
    assert not any("salarié" in text for text in texts)


def test_only_the_narrator_and_facilitators_may_export() -> None:
    state = _played().state
    assert may_export(state, "claire") and may_export(state, "nadia")
    assert not may_export(state, "karim") and not may_export(state, "thomas")
