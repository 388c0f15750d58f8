"""docs/protocol.md holds tables made from the code: the methods with their phases and
who may post which kind in each, who issues each command, the limits of what is typed,
and each event's fields. Each is rebuilt here from the code and must equal the doc's,
so that a client written from the doc alone never has to read ids off the wire.

``python -m tests.test_protocol_doc`` rewrites the tables in the doc after a change.
"""

from __future__ import annotations

import re
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

from room.domain.session import commands as cmd
from room.domain.session.commands import Command
from room.domain.session.decide import (
    BUDGET_MINUTES,
    EXTEND_MAX_SECONDS,
    REASON_MAX,
    ROUND_MAX,
    SERVER_TYPES,
    TIME_BOX_MAX_MINUTES,
    TYPES_FOR_ROLE,
    URL_MAX,
)
from room.domain.session.events import Event
from room.domain.session.roles import Role
from room.domain.session.state import Contribution, Situation
from room.domain.session.templates import TEMPLATES
from room.domain.text import ID_MAX, NAME_MAX, TEXT_MAX, TITLE_MAX
from room.i18n import message
from room.protocol import MAX_KEY_LENGTH

DOC = Path(__file__).resolve().parents[1] / "docs" / "protocol.md"
POSTERS = (Role.FACILITATOR, Role.NARRATOR, Role.MEMBER)
BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n)(.*?)(<!-- end: \2 -->)", re.DOTALL)


def _codes(values: Any) -> str:
    return ", ".join(f"`{value}`" for value in sorted(values)) or "—"


def methods() -> str:
    """Each template's id, then its phases in order: time box, what each role may post,
    and the narrator's own acts there."""
    lines: list[str] = []
    for template in TEMPLATES.values():
        lines += [
            f"`{template.key}` — {message('en', template.label)}:",
            "",
            "| phase | minutes | facilitator posts | narrator posts | member posts "
            "| the narrator's acts |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for phase in template.phases:
            posts = [_codes(kind.value for kind in phase.posts.get(role, ())) for role in POSTERS]
            acts = [
                name
                for name, on in (("write_situation", phase.situation), ("welcome", phase.welcome))
                if on
            ]
            lines.append(
                f"| `{phase.key}` | {phase.minutes} | {' | '.join(posts)} | {_codes(acts)} |"
            )
        lines.append("")
    return "\n".join(lines)


def issuers() -> str:
    """Who issues each command type; the ones no role issues are the server's own."""
    roles = [role for role in Role if role is not Role.OBSERVER]
    lines = ["| command | issued by |", "| --- | --- |"]
    for name in Command.registry:
        issued = [role.value for role in roles if name in TYPES_FOR_ROLE[role]]
        if name in SERVER_TYPES or name == cmd.CreateSession.type:
            issued.append("the server")
        lines.append(f"| `{name}` | {', '.join(issued)} |")
    return "\n".join(lines) + "\n"


def limits() -> str:
    """What is typed, with the limits the domain and the wire check."""
    rows = [
        (
            "a display name (`name` of `rename`, `add_participant`, an invitation, a new session)",
            f"{NAME_MAX:,} characters, one line, bidirectional controls dropped",
        ),
        ("a title (the session's, the situation's `title`)", f"{TITLE_MAX:,} characters, one line"),
        (
            "each field of a post's `body` (`text`; a statement's or an action's fields)",
            f"{TEXT_MAX:,} characters",
        ),
        (
            "each of the situation's `context`, `problem`, `question`, `request`",
            f"{TEXT_MAX:,} characters",
        ),
        ("a `hide` reason", f"{REASON_MAX:,} characters, one line"),
        (
            "`set_video_link` `url`",
            f"{URL_MAX:,} characters, `http://` or `https://`, or empty to remove it",
        ),
        ("`start_round` `order`", f"1 to {ROUND_MAX} distinct members"),
        ("`extend_timer` `seconds`", f"not 0, at most {EXTEND_MAX_SECONDS:,} either way"),
        ("`set_time_box` `minutes`", f"1 to {TIME_BOX_MAX_MINUTES}"),
        ("a new session's `budget_minutes`", "{} to {}".format(*BUDGET_MINUTES)),
        (
            "an id a client chooses (`add_participant` `participant`)",
            f"1 to {ID_MAX} printable characters, never `system`",
        ),
        ("a command's `key`", f"1 to {MAX_KEY_LENGTH} characters"),
    ]
    lines = ["| what | limit |", "| --- | --- |"]
    lines += [f"| {what} | {limit} |" for what, limit in rows]
    return "\n".join(lines) + "\n"


def _fields(cls: Any, skip: tuple[str, ...] = ()) -> str:
    return ", ".join(f"`{f.name}`" for f in fields(cls) if f.name not in skip) or "—"


def events() -> str:
    """Each event type with the fields it carries beside `type`, `at`, `by` and `v`."""
    lines = ["| event | fields |", "| --- | --- |"]
    for name, cls in Event.registry.items():
        assert is_dataclass(cls)
        lines.append(f"| `{name}` | {_fields(cls, ('at', 'by'))} |")
    lines += [
        "",
        f"A contribution (`contribution_posted`'s `contribution`): {_fields(Contribution)}.",
        f"A situation (`situation_written`'s `situation`): {_fields(Situation)}.",
    ]
    return "\n".join(lines) + "\n"


TABLES = {"methods": methods, "issuers": issuers, "limits": limits, "events": events}


def rewritten(doc: str) -> str:
    return BLOCK.sub(lambda m: m[1] + TABLES[m[2]]() + m[4], doc)


def test_the_protocol_docs_tables_are_the_codes() -> None:
    """Every table the doc holds is the one the code gives, and none is missing; run
    ``python -m tests.test_protocol_doc`` to rewrite them."""
    doc = DOC.read_text()
    assert {m[2] for m in BLOCK.finditer(doc)} == set(TABLES)
    for m in BLOCK.finditer(doc):
        assert m[3] == TABLES[m[2]](), f"docs/protocol.md's {m[2]} table differs from the code"


if __name__ == "__main__":
    DOC.write_text(rewritten(DOC.read_text()))
    sys.exit(0)
