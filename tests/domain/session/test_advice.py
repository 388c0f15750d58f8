"""Questions that are questions: each rule with its examples, and the rules' precision and
recall on the labelled sets ``advice_fr.tsv`` and ``advice_en.tsv``.

Run ``python -m pytest tests/domain/session/test_advice.py -s -k labelled`` to read the
figures (docs/architecture.md states them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from room.domain.plain import to_plain
from room.domain.session.advice import (
    JUDGEMENT,
    PROPOSAL,
    RULES,
    STATEMENT,
    Rule,
    normalise,
    reads_as_advice,
    rules_as_data,
)
from room.domain.session.roles import Kind, Role
from room.domain.session.state import Contribution
from room.domain.session.visibility import visible_state
from tests.domain.session.table import seated

HERE = Path(__file__).parent
CATALOGUES = Path(__file__).resolve().parents[3] / "room" / "catalogue"


def labelled(lang: str) -> list[tuple[str, str]]:
    rows = []
    for line in (HERE / f"advice_{lang}.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            label, sentence = line.split("\t")
            assert label in {"question", "advice", "judgement"}, line
            rows.append((label, sentence))
    return rows


@pytest.mark.parametrize(("lang", "least"), [("fr", 150), ("en", 50)])
def test_the_labelled_sets_flag_advice_and_spare_questions(lang: str, least: int) -> None:
    """On the labelled set, what the rules flag is advice or judgement at least 9 times
    in 10 (precision), and they flag at least 6 in 10 of those (recall)."""
    rows = labelled(lang)
    assert len(rows) >= least
    flagged = [(label, bool(reads_as_advice(sentence))) for label, sentence in rows]
    true_pos = sum(1 for label, hit in flagged if hit and label != "question")
    false_pos = sum(1 for label, hit in flagged if hit and label == "question")
    false_neg = sum(1 for label, hit in flagged if not hit and label != "question")
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    print(
        f"\nadvice rules, {lang}: {len(rows)} sentences, precision {precision:.2f}, "
        f"recall {recall:.2f} (flagged = advice or judgement)"
    )
    assert precision >= 0.9
    assert recall >= 0.6


EXAMPLES = {
    "fr.tu_devrais": (
        ["Tu devrais en parler à ta directrice.", "Ne devrais-tu pas refuser ?"],
        ["Que devrait faire le CSE selon l'accord ?", "Que devrais-tu livrer en juin ?"],
    ),
    "fr.tu_pourrais": (
        ["Tu pourrais essayer de lui écrire ?", "Ne pourrais-tu pas déléguer ?"],
        ["Tu pourrais nous dire qui était là ?", "Pourrais-tu préciser ?"],
    ),
    "fr.il_faudrait": (
        [
            "Il faudrait recadrer, non ?",
            "Ne faudrait-il pas attendre ?",
            "Une médiation ne serait-elle pas plus adaptée ?",
        ],
        [
            "Qu'est-ce qu'il faut livrer en juin ?",
            "Selon toi, qu'est-ce qu'il faudrait pour que ça change ?",
        ],
    ),
    "fr.ce_serait_mieux": (
        ["Ce serait bien d'en parler ?", "Ça vaudrait le coup d'essayer ?"],
        ["Ce serait quand, la restitution ?"],
    ),
    "fr.pourquoi_ne_pas": (
        ["Pourquoi ne pas changer de prestataire ?", "Pourquoi tu ne l'appelles pas ?"],
        ["Pourquoi as-tu choisi ce prestataire ?", "Pourquoi le CSE a-t-il refusé ?"],
    ),
    "fr.as_tu_pense_a": (
        [
            "As-tu pensé à en parler à ton N+1 ?",
            "Est-ce que tu as essayé de l'appeler ?",
            "Et en parler au CSE, tu y as pensé ?",
        ],
        [
            "Qu'as-tu pensé de sa réaction ?",
            "Qu'as-tu essayé jusqu'ici ?",
            "Tu as pensé à quoi à ce moment-là ?",
        ],
    ),
    "fr.a_ta_place": (
        ["À ta place, je partirais ?", "Si j'étais toi, j'attendrais ?"],
        ["Quelle est ta place dans l'équipe ?"],
    ),
    "fr.moi_je": (
        ["Moi je lui dirais non ?", "Je te conseille d'attendre ?"],
        [
            "Qu'est-ce que je peux vous préciser ?",
            "Moi je me demande qui a décidé ?",
            "J'aurais aimé savoir qui était là ?",
        ],
    ),
    "fr.et_si": (
        ["Et si tu lui proposais un café ?"],
        ["Et si tu refuses, que se passe-t-il ?"],
    ),
    "fr.tu_n_as_qu_a": (
        ["Tu n'as qu'à refuser ?", "N'hésite pas à relancer ?"],
        ["Qu'as-tu à perdre ?"],
    ),
    "fr.ne_penses_tu_pas": (
        ["Ne penses-tu pas que c'est trop ?", "C'est trop tôt, non ?"],
        ["Que penses-tu de sa réponse ?"],
    ),
    "fr.tu_aurais_du": (
        [
            "Tu aurais dû refuser ?",
            "C'est inadmissible ?",
            "Tu es trop gentille ?",
            "Ce n'est pas un peu risqué de continuer ?",
        ],
        ["Qu'aurais-tu aimé lui dire ?", "Est-ce que c'est normal, dans ce secteur ?"],
    ),
    "en.you_should": (
        ["You should ask her?", "Shouldn't you wait?"],
        ["What should the report contain?", "Could you tell us more?"],
    ),
    "en.why_not": (["Why not ask him?", "Why don't you call?"], ["Why did you accept?"]),
    "en.have_you_tried": (
        ["Have you tried asking?", "Did you consider a mediator?"],
        ["What have you tried so far?"],
    ),
    "en.if_i_were_you": (
        ["If I were you, I'd wait?", "I'd talk to the CEO?"],
        ["I'd like to understand who decided?"],
    ),
    "en.how_about": (
        ["How about asking the board?", "It would be better to wait?", "Wouldn't a mediator help?"],
        ["What about the budget?"],
    ),
    "en.dont_you_think": (
        ["Don't you think it's risky?", "It's too early, right?"],
        ["What do you think of it?"],
    ),
    "no_question": (
        ["Parle-lui.", "Ce dirigeant est toxique.", "Ask her to write it down."],
        [
            "Combien sont-ils",
            "How many are they",
            "Qui décide ?",
            "Peux-tu préciser le contexte",
            "Ton manager est-il au courant",
            "Raconte-nous la réunion",
            "Tell us more about the board",
            "Depuis quand tu travailles avec eux",
        ],
    ),
}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.id)
def test_each_rule_matches_its_examples_and_spares_its_questions(rule: Rule) -> None:
    """A rule matches the advice it names and none of the questions beside it."""
    assert rule.id in EXAMPLES
    matches, spares = EXAMPLES[rule.id]
    for text in matches:
        assert rule.id in reads_as_advice(text), text
    for text in spares:
        assert rule.id not in reads_as_advice(text), text


def test_rules_are_data_the_browser_reads_alike() -> None:
    """Every rule has a unique id, a reason the catalogues name in both languages, and a
    pattern without the syntax where Python and JavaScript part: no lookbehind, no
    inline flag, no named group, no possessive or atomic group."""
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))
    for lang in ("fr", "en"):
        catalogue = json.loads((CATALOGUES / f"{lang}.json").read_text(encoding="utf-8"))
        for reason in (PROPOSAL, JUDGEMENT, STATEMENT):
            assert f"advice.reason.{reason}" in catalogue
        assert "advice.note" in catalogue
    for rule in RULES:
        assert rule.reason in {PROPOSAL, JUDGEMENT, STATEMENT}
        re.compile(rule.pattern, re.ASCII)
        for bad in ("(?<", "(?P", "(?i", "(?a", "(?>", "*+", "++", "?+", "\\A", "\\Z"):
            assert bad not in rule.pattern, (rule.id, bad)
    assert json.loads(json.dumps(rules_as_data()))[0]["id"] == RULES[0].id


def test_typography_does_not_change_the_reading() -> None:
    """Curly apostrophes, no-break spaces and capitals read as their plain forms."""
    typed = "  As\u2011tu  PENSÉ\u00a0à l\u2019appeler\u202f? "
    assert normalise(typed) == "as-tu pensé à l'appeler ?"
    assert reads_as_advice("As-tu pensé à l\u2019appeler\u202f?") == ("fr.as_tu_pense_a",)
    assert reads_as_advice("") == ()
    assert reads_as_advice("   ") == ()


@given(st.text(max_size=200))
def test_the_rules_read_any_text(text: str) -> None:
    """Any text is read without error, and reading is the same twice."""
    assert reads_as_advice(text) == reads_as_advice(text)


# --- what the facilitator sees: a count per step, never whose ---------------------------


def test_the_state_counts_the_flagged_questions_posted_in_each_step() -> None:
    """Questions the rules flag are counted in their step, and only questions: a genuine
    question, a hypothesis or a proposal later on leaves the count as it was; a replay
    of the log counts the same."""
    t = seated()
    t.to("expose")
    t.to("questions")
    t.post("karim", Kind.QUESTION, "Pourquoi ne pas en parler au DRH ?")
    t.post("sophie", Kind.QUESTION, "Pourquoi as-tu choisi ce prestataire ?")
    t.post("aicha", Kind.HYPOTHESIS, "Tu devrais peut-être partir.")
    t.post("aicha", Kind.QUESTION, "As-tu pensé à ton N+1 ?")
    assert t.state.advice_posted == {"questions": 2}
    t.to("understanding")
    t.to("possibilities")
    t.post("karim", Kind.PROPOSAL, "Tu devrais en parler au DRH.")
    assert t.state.advice_posted == {"questions": 2}
    assert t.refolded().advice_posted == {"questions": 2}


@pytest.mark.parametrize("role", [Role.NARRATOR, Role.MEMBER, Role.OBSERVER, None])
def test_only_facilitators_see_the_count_and_no_one_sees_whose(role: Role | None) -> None:
    """Every other reader gets no count at all; the facilitator gets the count, and no
    contribution carries anything the member's own would not."""
    t = seated()
    t.to("expose")
    t.to("questions")
    asked = t.post("karim", Kind.QUESTION, "Pourquoi ne pas en parler au DRH ?")
    assert visible_state(t.state, role).advice_posted == {}
    shown = visible_state(t.state, Role.FACILITATOR)
    assert shown.advice_posted == {"questions": 1}
    plain = to_plain(shown)
    assert plain["advice_posted"] == {"questions": 1}
    assert set(plain["contributions"][asked]) == set(
        to_plain(Contribution(id="c0", kind=Kind.QUESTION, phase="questions", author="karim"))
    )
