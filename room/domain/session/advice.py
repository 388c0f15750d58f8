"""Questions that are questions: when a step-1 text reads as advice or judgement.

In the questions step the method asks for questions that make the situation factual and
understandable; a proposal ("pourquoi ne pas…", "have you tried…") or a judgement
("tu aurais dû…") waits for its own step, or has no place at all. These rules say when
a text *reads* so, for the composer to tell its writer gently before they post (they
may post anyway). They are data, small and explainable, not a model: each is a named
regular expression over a normalised text, with the key of its reason in the
catalogue.

The same patterns run in the browser (``static/room/advice.js``, given them as JSON by
the room page), so each is written in the syntax both Python's ``re`` and JavaScript's
``RegExp`` read alike: compiled with ``re.ASCII`` here and no flag there, so ``\\b`` and
``\\w`` are ASCII on both sides — a boundary is never put next to an accented letter,
which is not a word character for either. No lookbehind, no inline flag.

French and English rules apply together: a text is written in one or the other, and a
French pattern does not match English words, nor the reverse.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

# What a reason says, in the catalogue (``advice.reason.<reason>``).
PROPOSAL = "proposal"  # a solution in disguise: the method keeps them for step 3
JUDGEMENT = "judgement"  # an opinion on the narrator's doing: the charter says no
STATEMENT = "statement"  # no question at all


@dataclass(frozen=True, slots=True)
class Rule:
    id: str  # stable, e.g. "fr.pourquoi_ne_pas"
    reason: str  # PROPOSAL, JUDGEMENT or STATEMENT
    pattern: str  # over the normalised text (see `normalise`)


# A clause's start: the text's, or after punctuation, "et"/"and" or "est-ce que" — so
# "As-tu essayé de…" reads as advice, "Qu'as-tu essayé ?" does not.
_FR_START = r"(?:^|[.!?,;:(]\s*|\bet\s+|^est-ce que\s+|[.!?,;:]\s*est-ce que\s+)"
_EN_START = r"(?:^|[.!?,;:(]\s*|\band\s+|\bso\s+)"
# The end of a word that may end on an accented letter.
_END = r"(?![a-z0-9\u00c0-\u024f])"

RULES: tuple[Rule, ...] = (
    # French: proposals in disguise.
    Rule(
        "fr.tu_devrais",
        PROPOSAL,
        r"\b(?:tu|vous) (?:ne )?(?:devrais|devriez)\b|\bne (?:devrais|devriez)-(?:tu|vous) pas\b"
        r"|" + _FR_START + r"(?:devrais|devriez)-(?:tu|vous)\b",
    ),
    Rule(
        "fr.tu_pourrais",
        PROPOSAL,
        r"\b(?:tu|vous) (?:ne )?(?:pourrais|pourriez) (?:pas )?(?:peut-\S+ |aussi |simplement |"
        r"tout simplement |d'abord )?(?:essayer|proposer|demander|lui|leur|en parler|mettre|"
        r"organiser|appeler|aller|prendre|envisager|tenter|profiter|commencer|refuser|"
        r"recadrer|poser|solliciter|d\S+guer|faire appel|faire un|faire une|t'appuyer|"
        r"vous appuyer|te faire|vous faire)"
        r"|\bne (?:pourrais|pourriez)-(?:tu|vous) pas\b",
    ),
    Rule(
        "fr.il_faudrait",
        PROPOSAL,
        r"(?:^|[^'a-z])il (?:faudrait|suffirait|suffit|vaudrait mieux|vaut mieux|"
        r"serait (?:bien|bon|utile|judicieux|pr\u00e9f\u00e9rable|int\u00e9ressant|temps|"
        r"peut-\S+ (?:bien|bon|utile|temps|mieux)|plus))"
        r"|\bne (?:faudrait|faut|suffirait|vaudrait|serait)-(?:il|elle|ce) pas\b",
    ),
    Rule(
        "fr.ce_serait_mieux",
        PROPOSAL,
        r"(?:^|\s)(?:ce|\u00e7a|cela) (?:ne )?(?:serait|vaudrait)(?:-il)? (?:pas )?"
        r"(?:peut-\S+ |quand m\u00eame |vraiment )?(?:bien|mieux|plus|utile|int\u00e9ressant|"
        r"le coup|la peine|judicieux|une bonne id\u00e9e|une piste)",
    ),
    Rule(
        "fr.pourquoi_ne_pas",
        PROPOSAL,
        r"\bpourquoi (?:ne )?pas\b|\bpourquoi (?:tu|vous) (?:ne|n')"
        r"|\bpourquoi (?:ne|n')\S*-(?:tu|vous)\b",
    ),
    Rule(
        "fr.as_tu_pense_a",
        PROPOSAL,
        _FR_START + r"(?:as-tu|avez-vous|tu as|vous avez|t'as) (?:d\u00e9j\u00e0 |bien |aussi )?"
        r"(?:pens\u00e9 (?:\u00e0|a|aux|au)"
        + _END
        + r"(?! quoi| qui)|song\u00e9|essay\u00e9|envisag\u00e9|"
        r"tent\u00e9|pr\u00e9vu de|r\u00e9fl\u00e9chi \u00e0)"
        r"|\b(?:tu y as|vous y avez|t'y as|y as-tu|y avez-vous) (?:d\u00e9j\u00e0 )?pens\u00e9",
    ),
    Rule(
        "fr.a_ta_place",
        PROPOSAL,
        r"(?:^|\s)(?:\u00e0|a) (?:ta|votre) place\b|\bsi j'\u00e9tais (?:toi|vous|\u00e0)"
        r"|\bsi c'\u00e9tait moi\b",
    ),
    Rule(
        "fr.moi_je",
        PROPOSAL,
        r"\b(?:moi|personnellement|perso),? (?:je |j')(?!me demande|voudrais|aimerais|n'ai pas|"
        r"ne comprends|ne vois pas|suis curieu|m'interroge)"
        r"|\bj'aurais (?!aim|voulu|besoin|souhait|une question)"
        r"|\bje (?:ferais|dirais|proposerais|conseillerais|tenterais|commencerais|irais|"
        r"essaierais|essayerais|mettrais|prendrais|demanderais|appellerais)\b"
        r"|\bje (?:te|vous) (?:conseille|sugg\u00e8re|propose|recommande|invite)\b",
    ),
    Rule(
        "fr.et_si",
        PROPOSAL,
        r"\bet si (?:tu|vous|on) (?:lui |leur |en |te |vous |le |la |les )?\S+(?:ais|ait|iez)\b",
    ),
    Rule(
        "fr.tu_n_as_qu_a",
        PROPOSAL,
        r"\b(?:tu n'as qu'\u00e0|vous n'avez qu'\u00e0|t'as qu'\u00e0|il n'y a qu'\u00e0|"
        r"n'h\u00e9site pas|n'h\u00e9sitez pas)",
    ),
    # French: judgements, and questions that carry their answer.
    Rule(
        "fr.ne_penses_tu_pas",
        JUDGEMENT,
        r"\bne (?:penses|crois|trouves)-tu pas\b|\bne (?:pensez|croyez|trouvez)-vous pas\b"
        r"|\b(?:tu|vous) ne (?:penses|crois|trouves|pensez|croyez|trouvez) pas que\b"
        r"|\bn'est-ce pas\b|,\s*(?:non|hein)\s*\?",
    ),
    Rule(
        "fr.tu_aurais_du",
        JUDGEMENT,
        r"\b(?:tu|vous) (?:n')?(?:aurais|auriez) (?:pas )?(?:d\u00fb|du)"
        + _END
        + r"|\b(?:tu|vous) (?:as|avez) eu (?:tort|raison)\b"
        r"|(?:^|[^e] )c'est (?:pas |un peu |quand m\u00eame |vraiment )?"
        r"(?:normal|anormal|inadmissible|"
        r"inacceptable|scandaleux|\u00e9vident|une erreur|de ta faute|de votre faute|"
        r"ta faute|na\u00eff|maladroit|risqu\u00e9)"
        r"|\bce n'est (?:pas|vraiment pas) (?:un peu |trop |quand m\u00eame )?(?:normal|acceptable|"
        r"risqu|dangereux|na\u00eff|ton r\u00f4le|ta mission|\u00e0 toi)"
        r"|\bje (?:pense|crois|trouve) (?:que )?(?:tu|vous|c'est)\b"
        r"|\b(?:tu es|vous \u00eates|t'es) (?:trop|un peu trop|bien trop|vraiment trop|"
        r"s\u00fbrement trop)\b|\btu (?:manques|as manqu\u00e9) de\b",
    ),
    # English: proposals in disguise.
    Rule(
        "en.you_should",
        PROPOSAL,
        r"\byou (?:really |probably |definitely |just )?(?:should|ought to|might want to|"
        r"may want to|could try|could always|could just|could ask|could talk|could tell)\b"
        r"|\b(?:shouldn't|couldn't|should|mustn't) you\b|^you (?:just )?(?:need|have) to\b",
    ),
    Rule(
        "en.why_not",
        PROPOSAL,
        r"\bwhy (?:not|don't you|don't we|wouldn't you|not just)\b",
    ),
    Rule(
        "en.have_you_tried",
        PROPOSAL,
        _EN_START + r"(?:have|did) you (?:ever |already |also )?(?:thought of|thought about|"
        r"think of|think about|considered|consider|tried|try)\b",
    ),
    Rule(
        "en.if_i_were_you",
        PROPOSAL,
        r"\bif i were (?:you|in your)\b|\bin your (?:shoes|place|position),? i\b"
        r"|\bif it were me\b|\bpersonally,? i\b|\bi (?:suggest|recommend|advise)\b|\bmy advice\b"
        r"|\bi(?:'d| would) (?:have |probably |definitely |just |simply )?(?:do|go|say|tell|"
        r"talk|call|ask|start|try|push|suggest|recommend|propose|escalate|set|make|give|take|"
        r"get|write|send|organi[sz]e|meet|speak|insist|refuse|accept|bring|involve)\b",
    ),
    Rule(
        "en.how_about",
        PROPOSAL,
        r"\b(?:how|what) about (?:you|asking|talking|telling|trying|going|getting|having|"
        r"setting|making|calling|speaking|bringing|involving|offering|letting)\b"
        r"|\bit(?: would|'d| might| could) be (?:better|good|wise|worth|useful|helpful|best|"
        r"easier|a good idea)\b|\b(?:wouldn't|couldn't) (?:it|a|an|that|this|some)\b"
        r"|\bmaybe you (?:should|could|can)\b",
    ),
    # English: judgements, and questions that carry their answer.
    Rule(
        "en.dont_you_think",
        JUDGEMENT,
        r"\b(?:don't|do not) you (?:think|feel|agree)\b|\bisn't it (?:obvious|clear|time)\b"
        r"|,\s*(?:right|no|surely)\s*\?"
        r"|\byou (?:were|are) (?:wrong|right|too)\b|\b(?:that's|it's|that is|it is) "
        r"(?:obvious|normal|not normal|unacceptable|a mistake|your fault|naive|clumsy)\b"
        r"|\bi (?:think|feel|believe) (?:that )?you\b|\byou (?:shouldn't|should not) have\b",
    ),
    # Either language: no question at all — no question mark, not begun as one, and no
    # inverted subject ("Peux-tu préciser", "y a-t-il") that makes it one. The question
    # word may come second ("Depuis quand…", "And who…").
    Rule(
        "no_question",
        STATEMENT,
        r"^(?!(?:\S+ )?(?:combien|comment|qui|quand|o\u00f9|quel|quelle|quels|quelles|pourquoi|"
        r"est-ce|qu'|que|quoi|dis|dites|raconte|racontez|explique|expliquez|d\u00e9cris|"
        r"d\u00e9crivez|pr\u00e9cise|pr\u00e9cisez|how|what|who|when|where|why|which|do|"
        r"does|did|is|are|was|were|have|has|can|could|would|tell|describe|explain)"
        + _END
        + r")(?![^?]*-(?:tu|vous|t-il|t-elle|t-on|il|elle|ils|elles|on)"
        + _END
        + r")[^?]*$",
    ),
)

_SPACES = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u2011": "-"})


def normalise(text: str) -> str:
    """Lowercase, one kind of apostrophe and hyphen, single spaces (no-break ones too),
    trimmed; accents kept. The browser's ``normalise`` does the same."""
    return _SPACES.sub(" ", text.lower().translate(_APOSTROPHES)).strip()


@cache
def _compiled() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((rule.id, re.compile(rule.pattern, re.ASCII)) for rule in RULES)


# Kept: every fold of a session (the server's, each replay, each client of a bench's
# load process) reads the same posted texts again, at ~70 µs a text.
@lru_cache(maxsize=1024)
def reads_as_advice(text: str) -> tuple[str, ...]:
    """The ids of the rules ``text`` matches, in the rules' order; empty for a question."""
    plain = normalise(text)
    if not plain:
        return ()
    return tuple(rule_id for rule_id, pattern in _compiled() if pattern.search(plain))


def rules_as_data() -> list[dict[str, str]]:
    """The rules for the browser: id, reason, pattern."""
    return [{"id": rule.id, "reason": rule.reason, "pattern": rule.pattern} for rule in RULES]
