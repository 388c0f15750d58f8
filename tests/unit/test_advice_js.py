"""The browser's composer reads a text as the domain does: ``static/room/advice.js``
run by Node on the rules as the room page gives them, over every labelled sentence and
rule example, matches exactly the rules ``room/domain/session/advice.py`` matches."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from room.domain.session.advice import reads_as_advice, rules_as_data
from tests.domain.session.test_advice import EXAMPLES, labelled

ROOT = Path(__file__).resolve().parents[2]
NODE = shutil.which("node")

# Imports the module from its source (a data: URL, so no package.json is needed),
# loads the rules as the page does, and answers each text's rule ids.
SCRIPT = """
const fs = await import("node:fs");
const source = fs.readFileSync(process.argv[1], "utf8");
const mod = await import("data:text/javascript," + encodeURIComponent(source));
const input = JSON.parse(fs.readFileSync(0, "utf8"));
mod.loadAdviceRules({ textContent: JSON.stringify(input.rules) });
const out = input.texts.map((text) => mod.readsAsAdvice(text).map((rule) => rule.id));
process.stdout.write(JSON.stringify(out));
"""


@pytest.mark.skipif(NODE is None, reason="Node is not installed")
def test_the_browser_flags_what_the_domain_flags() -> None:
    """Same ids, in the same order, for every sentence of both sets and every example,
    with typography the normalisation must even out."""
    texts = [sentence for lang in ("fr", "en") for _, sentence in labelled(lang)]
    for matches, spares in EXAMPLES.values():
        texts += [*matches, *spares]
    texts += ["As\u2011tu  PENSÉ\u00a0à l\u2019appeler\u202f?", "", "  "]
    assert NODE is not None
    done = subprocess.run(
        [NODE, "--input-type=module", "-e", SCRIPT, str(ROOT / "static/room/advice.js")],
        input=json.dumps({"rules": rules_as_data(), "texts": texts}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    browser = json.loads(done.stdout)
    assert browser == [list(reads_as_advice(text)) for text in texts]
