"""The session record: every visible contribution, no hidden one, no live markup."""

from __future__ import annotations

from room.domain.session import Kind, Welcome
from room.domain.session import commands as c
from room.records.session import isolated, markdown, may_export, record
from tests.domain.session.table import seated

ISOLATES = "\u2066\u2067\u2068"  # LRI, RLI, FSI
POP = "\u2069"  # PDI
EMBEDDINGS = "\u202a\u202b\u202d\u202e"  # LRE, RLE, LRO, RLO


def plain(markdown_text: str) -> str:
    """The record without its isolates, to read its words."""
    return markdown_text.translate({ord(char): None for char in ISOLATES + POP})


def contained(line: str) -> bool:
    """Every isolate on ``line`` is closed on it, none closes what it did not open, and
    every embedding or override sits inside one: nothing reorders the line outside."""
    depth = 0
    for char in line:
        if char in ISOLATES:
            depth += 1
        elif char == POP:
            if depth == 0:
                return False
            depth -= 1
        elif char in EMBEDDINGS and depth == 0:
            return False
    return depth == 0


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
    text = plain(markdown(_played().state, "fr"))
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
    text = plain(markdown(_played().state, "fr"))
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


def test_every_name_and_text_in_markdown_is_isolated_from_its_line() -> None:
    """A name written right to left, and a text holding an override after a stray
    isolate's end (which would close the record's isolate early), each stay in their
    own isolate: no line of the record lets a direction escape."""
    t = seated()
    t.do("karim", c.Rename(name="\u05e9\u05e8\u05d4"))
    t.to("questions")
    t.post("karim", Kind.QUESTION, f"{POP}\u202elive{POP}{POP} \u2067open")
    text = markdown(t.state, "fr")
    line = next(line for line in text.splitlines() if "live" in line)
    assert "(\u2068\u05e9\u05e8\u05d4\u2069)" in line
    assert "\u2068\u202elive \u2067open\u2069\u2069" in line
    assert all(contained(line) for line in text.splitlines()), text


def test_isolating_a_text_changes_nothing_of_how_it_reads_alone() -> None:
    """Balanced isolates are kept; only a stray end is dropped, and one left open closed."""
    assert isolated("a \u2067b\u2069 c") == "\u2068a \u2067b\u2069 c\u2069"
    assert isolated("\u2069a\u2066") == "\u2068a\u2066\u2069\u2069"
    assert isolated("") == "\u2068\u2069"
