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
    values = {
        "values": "La loyauté",
        "intentions": "",
        "expectations": "Un plan",
        "stakes": "Ma place",
    }
    t.post("claire", Kind.STATEMENT, body=values)
    t.to("possibilities")
    p = t.post("aicha", Kind.PROPOSAL, "Un comité <script>alert(1)</script> [x](javascript:y)")
    t.do("claire", c.WelcomeProposal(proposal=p, mark=Welcome.KEPT))
    t.to("action")
    t.post("claire", Kind.ACTION, body={"what": "Proposer le comité", "when": "mardi"}, cites=(p,))
    t.to("closing")
    t.post("karim", Kind.TAKEAWAY, "Écouter avant de proposer.")
    t.post("aicha", Kind.TAKEAWAY, "Le CSE est un allié.")
    t.post("karim", Kind.TAKEAWAY, "Demander qui a sollicité.")
    return t


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in plain(text).splitlines()]


def test_markdown_holds_every_visible_contribution_and_no_hidden_one() -> None:
    """Situation, request, question with its answer, proposal with its mark, action."""
    text = plain(markdown(record(_played().state), "fr"))
    for expected in (
        "# Un CSE en retrait",
        "Comment l'associer ?",
        "Qui a sollicité ?",
        "*Réponse* — Le dirigeant.",
        "*retenue*",
        "issue de « Un comité",
    ):
        assert expected in text, expected
    assert "salarié malade" not in text and "Donnée personnelle" not in text


def test_the_record_says_where_when_and_who_as_a_consultant_files_it() -> None:
    """The group, the date in words, the narrator, the facilitators and who came, above
    the request; names in the roster's order, one who never came left out."""
    played = _played()
    r = record(
        played.state,
        group="Codev Nord",
        present={"nadia", "claire", "karim", "aicha", "louis"},
        time_zone="Europe/Paris",
    )
    lines = lines_of(markdown(r, "fr"))
    assert "- **Groupe** : Codev Nord" in lines
    assert "- **Narrateur·rice** : Claire Moreau" in lines
    assert "- **Animation** : Nadia, Louis Martin" in lines
    assert (
        "- **Présent·es** : Nadia, Claire Moreau, Karim Haddad, Aïcha Traoré, Louis Martin" in lines
    )
    # The session began at its first step change, 1,000 s and a few after the epoch.
    assert "- **Date** : jeudi 1er janvier 1970 à 01:16" in lines
    assert lines.index(
        "- **Présent·es** : Nadia, Claire Moreau, Karim Haddad, Aïcha Traoré, Louis Martin"
    ) < lines.index("**Demande au groupe** — Comment l'associer ?")
    english = lines_of(markdown(r, "en"))
    assert "- **Date** : Thursday, January 1, 1970 at 1:16\u202fAM" in english


def test_nobody_present_is_said_and_an_unknown_presence_is_not_guessed() -> None:
    state = _played().state
    assert "- **Présent·es** : personne" in lines_of(markdown(record(state, present=()), "fr"))
    assert not any("Présent" in line for line in lines_of(markdown(record(state), "fr")))


def test_each_part_of_a_statement_and_an_action_has_its_own_line() -> None:
    """Values, expectations and stakes each on a line (the part left empty not at all);
    the action's what and when likewise, then the proposals it comes from."""
    lines = lines_of(markdown(record(_played().state), "fr"))
    statement = lines.index("- **Valeurs, intentions, attentes et enjeux** (Claire Moreau)")
    assert lines[statement + 1 : statement + 4] == [
        "- Valeurs : La loyauté",
        "- Attentes : Un plan",
        "- Enjeux : Ma place",
    ]
    action = lines.index("- **Action** (Claire Moreau)")
    assert lines[action + 1 : action + 3] == ["- Quoi : Proposer le comité", "- Quand : mardi"]
    assert lines[action + 3].startswith("- issue de « Un comité")


def test_each_persons_takeaways_are_under_their_name_and_not_in_a_step() -> None:
    """Karim's two takeaways under his name, Aïcha's under hers, in the order said."""
    lines = lines_of(markdown(record(_played().state), "fr"))
    heading = lines.index("## Ce que chacun·e retient")
    after = [i for i, line in enumerate(lines) if line.startswith("## ") and i > heading]
    assert lines[heading + 1 : after[0] if after else None] == [
        "",
        "### Karim Haddad",
        "",
        "- Écouter avant de proposer.",
        "- Demander qui a sollicité.",
        "",
        "### Aïcha Traoré",
        "",
        "- Le CSE est un allié.",
        "",
    ]
    assert not any(line.startswith("## Clôture") for line in lines)


def test_markdown_shows_markup_as_text() -> None:
    """A script tag or a javascript: link in a contribution stays literal text."""
    text = plain(markdown(record(_played().state), "fr"))
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
    text = markdown(record(t.state), "fr")
    line = next(line for line in text.splitlines() if "live" in line)
    assert "(\u2068\u05e9\u05e8\u05d4\u2069)" in line
    assert "\u2068\u202elive \u2067open\u2069\u2069" in line
    assert all(contained(line) for line in text.splitlines()), text


def test_isolating_a_text_changes_nothing_of_how_it_reads_alone() -> None:
    """Balanced isolates are kept; only a stray end is dropped, and one left open closed."""
    assert isolated("a \u2067b\u2069 c") == "\u2068a \u2067b\u2069 c\u2069"
    assert isolated("\u2069a\u2066") == "\u2068a\u2066\u2069\u2069"
    assert isolated("") == "\u2068\u2069"
