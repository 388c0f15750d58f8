"""French as a French person writes it: every catalogue sentence, filled with values
that begin with a vowel and with a consonant, elides where French elides and nowhere
else, and leaves no placeholder behind."""

from __future__ import annotations

import re

import pytest

from room.i18n import catalogue, elide, message

PLACEHOLDER = re.compile(r"\{(\w+)\}")
SAMPLES = {"vowel": "Alice Martin", "accented vowel": "Élodie Roux", "consonant": "Marc Un"}


@pytest.mark.parametrize("sample", sorted(SAMPLES))
def test_every_french_sentence_reads_right_with_any_value(sample: str) -> None:
    value = SAMPLES[sample]
    checked = 0
    for key, text in catalogue("fr").items():
        names = PLACEHOLDER.findall(text) if isinstance(text, str) else []
        if not names:
            continue
        out = message("fr", key, **dict.fromkeys(names, value))
        assert not PLACEHOLDER.search(out), (key, out)
        if sample == "consonant":
            assert f"'{value}" not in out, (key, out)  # "d'Marc" is no French
        else:
            unelided = re.search(rf"\b(de|que|jusque|lorsque|puisque) {value}", out, re.I)
            assert not unelided, (key, out)  # "de Alice" is no French either
        checked += 1
    assert checked > 80  # the walk reached the catalogue, not an empty one


def test_elision_is_the_rule_not_a_list_of_sentences() -> None:
    assert elide("la question de {name}", {"name": "Inès"}) == "la question d'{name}"
    assert elide("en tant que {role}", {"role": "observateur·rice"}) == "en tant qu'{role}"
    assert elide("De {name} :", {"name": "Yasmine"}) == "D'{name} :"
    assert elide("la question de {name}", {"name": "Hugo"}) == "la question de {name}"
    assert elide("la question de {name}", {}) == "la question de {name}"
    assert elide("le dé {name}", {"name": "Alice"}) == "le dé {name}"
