"""The session record: what the narrator takes away, as Markdown or a printable page.

Built from the state as a participant who is not a facilitator sees it, so hidden
contributions are never in an export, whoever makes it. Every name and text in it is
isolated from the line around it (``isolated`` here; ``<bdi>`` and ``dir="auto"`` in
the printable page), so that no direction written in one reorders another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from room.domain.session import Contribution, Kind, Role, State
from room.domain.session.templates import TEMPLATES
from room.domain.session.visibility import visible_state
from room.i18n import message

EXPORTERS = (Role.FACILITATOR, Role.NARRATOR)  # "nobody else can"


def may_export(state: State, participant: str) -> bool:
    return state.role_of(participant) in EXPORTERS


@dataclass
class Record:
    """The record's content, in the order it is told; templates and Markdown read it."""

    title: str
    situation: dict[str, str]
    sections: list[tuple[str, list[Contribution]]] = field(default_factory=list)
    answers: dict[str, list[Contribution]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, Contribution] = field(default_factory=dict)

    def excerpt(self, contribution_id: str, length: int = 80) -> str:
        """A cited proposal, by its words rather than its id."""
        cited = self.by_id.get(contribution_id)
        text = cited.body.get("text", "") if cited is not None else ""
        return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def record(state: State) -> Record:
    """The visible content, section by section, in the template's phase order."""
    shown = visible_state(state, Role.MEMBER)
    visible = [c for c in shown.contributions.values() if c.hidden is None]
    answers: dict[str, list[Contribution]] = {}
    for contribution in visible:
        if contribution.kind is Kind.ANSWER and contribution.answers is not None:
            answers.setdefault(contribution.answers, []).append(contribution)
    sections = []
    for phase in TEMPLATES[state.template].phases:
        here = [c for c in visible if c.phase == phase.key and c.kind is not Kind.ANSWER]
        if here:
            sections.append((phase.key, here))
    situation = {}
    if shown.situation is not None:
        situation = {
            key: value
            for key, value in (
                ("context", shown.situation.context),
                ("problem", shown.situation.problem),
                ("question", shown.situation.question),
                ("request", shown.situation.request),
            )
            if value.strip()
        }
    return Record(
        title=shown.situation.title if shown.situation else shown.title,
        situation=situation,
        sections=sections,
        answers=answers,
        names={p.id: p.name for p in shown.participants.values()},
        by_id={c.id: c for c in visible},
    )


_INLINE = re.compile(r"([\\`*_\[\]<>!|~&])")  # emphasis, code, links, images, HTML, entities
_BLOCK_MARK = re.compile(r"^(\s*)([#+=-])", re.MULTILINE)  # headings, lists, rules
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)  # ordered lists


def md_text(text: str) -> str:
    """User text as literal Markdown: nothing in it becomes a link, a tag or a heading,
    and ordinary punctuation stays readable in a text editor."""
    escaped = _INLINE.sub(r"\\\1", text)
    escaped = _NUMBERED.sub(r"\1\\\2", _BLOCK_MARK.sub(r"\1\\\2", escaped))
    return escaped.replace("\n", "  \n")


_ISOLATE, _POP = "\u2068", "\u2069"  # FIRST STRONG ISOLATE, POP DIRECTIONAL ISOLATE
_OPENERS = frozenset("\u2066\u2067\u2068")  # the isolates a text may open itself


def isolated(text: str) -> str:
    """``text`` in an isolate of its own, so that its direction neither takes from nor
    gives to the line around it: a name written right to left, or a text holding an
    override, reorders nothing beside it. The text's own isolates are balanced first —
    a stray POP would end ours early — which changes nothing of how it reads alone."""
    kept, opened = [], 0
    for char in text:
        if char == _POP:
            if not opened:
                continue
            opened -= 1
        elif char in _OPENERS:
            opened += 1
        kept.append(char)
    return _ISOLATE + "".join(kept) + _POP * opened + _POP


def md_user(text: str) -> str:
    """User text in the record: literal Markdown, in its own isolate."""
    return isolated(md_text(text))


def markdown(state: State, lang: str) -> str:
    r = record(state)
    lines = [f"# {md_user(r.title)}", "", f"*{md_user(state.title)}*", ""]
    for key, value in r.situation.items():
        lines += [f"**{message(lang, f'export.{key}')}** — {md_user(value)}", ""]
    for phase, contributions in r.sections:
        lines += [f"## {message(lang, f'phase.{phase}')}", ""]
        for contribution in contributions:
            lines += _markdown_contribution(contribution, r, lang)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _markdown_contribution(c: Contribution, r: Record, lang: str) -> list[str]:
    author = md_user(r.names.get(c.author, c.author))
    kind = message(lang, f"kind.{c.kind.value}")
    if c.kind is Kind.STATEMENT or c.kind is Kind.ACTION:
        parts = [
            f"{message(lang, f'export.{name}')} : {md_user(value)}"
            for name, value in c.body.items()
            if value.strip()
        ]
        lines = [f"- **{kind}** ({author}) — " + " ; ".join(parts)]
    else:
        lines = [f"- **{kind}** ({author}) — {md_user(c.body.get('text', ''))}"]
    if c.welcome is not None:
        lines[0] += f" — *{message(lang, f'welcome.{c.welcome.value}')}*"
    if c.cites:
        cited = " ; ".join(f"« {md_user(r.excerpt(cite))} »" for cite in c.cites)
        lines[0] += f" — {message(lang, 'export.from_proposals')} {cited}"
    for answer in r.answers.get(c.id, []):
        lines.append(
            f"  - *{message(lang, 'kind.answer')}* — {md_user(answer.body.get('text', ''))}"
        )
    return lines
