"""The session record: what the narrator takes away, as Markdown or a printable page.

Built from the state as a participant who is not a facilitator sees it, so hidden
contributions are never in an export, whoever makes it. Every name and text in it is
isolated from the line around it (``isolated`` here; ``<bdi>`` and ``dir="auto"`` in
the printable page), so that no direction written in one reorders another.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from room.domain.session import Contribution, Kind, Role, State, budget
from room.domain.session.state import DEFAULT_TIME_ZONE
from room.domain.session.templates import TEMPLATES
from room.domain.session.visibility import visible_state
from room.i18n import message, moment_date

EXPORTERS = (Role.FACILITATOR, Role.NARRATOR)  # "nobody else can"


def may_export(state: State, participant: str) -> bool:
    return state.role_of(participant) in EXPORTERS


@dataclass(frozen=True)
class StepMinutes:
    phase: str
    planned: int  # the time box as the session was created
    box: int  # the time box as it stands (set again, or borrowed from or into)
    actual: int  # the time the session spent in the step, rounded to the minute


@dataclass
class Record:
    """The record's content, in the order it is told; templates and Markdown read it.

    Takeaways are not a step's section: each person's are told under their name, last.
    """

    title: str
    session_title: str
    group: str = ""  # the group's name, for a session of a cycle
    held_at: float | None = None  # when the session began (or was created, if never)
    time_zone: str = DEFAULT_TIME_ZONE
    narrator: str = ""
    facilitators: list[str] = field(default_factory=list)
    present: list[str] | None = None  # who came, in the roster's order; None: not known
    request: str = ""
    situation: dict[str, str] = field(default_factory=dict)  # context, problem, question
    sections: list[tuple[str, list[Contribution]]] = field(default_factory=list)
    answers: dict[str, list[Contribution]] = field(default_factory=dict)
    takeaways: list[tuple[str, list[str]]] = field(default_factory=list)  # name, texts
    names: dict[str, str] = field(default_factory=dict)
    by_id: dict[str, Contribution] = field(default_factory=dict)
    # The narrator's own record only: their notes, and the questions they marked.
    notes: str = ""
    marked: frozenset[str] = frozenset()
    # Each step's time: planned (its box at creation), its box at the end, actual; in
    # whole minutes. Empty until the session began.
    times: list[StepMinutes] = field(default_factory=list)
    # The closing round's weather, once revealed: name, mood (1 to 5), word.
    weather: list[tuple[str, int, str]] = field(default_factory=list)

    def excerpt(self, contribution_id: str, length: int = 80) -> str:
        """A cited proposal, by its words rather than its id."""
        cited = self.by_id.get(contribution_id)
        text = cited.body.get("text", "") if cited is not None else ""
        return text if len(text) <= length else text[: length - 1].rstrip() + "…"

    def fields(self, contribution: Contribution) -> list[tuple[str, str]]:
        """A statement's or an action's parts that were written, each told on its own."""
        return [(name, value) for name, value in contribution.body.items() if value.strip()]


FIELDED = frozenset({Kind.STATEMENT, Kind.ACTION})  # bodies of named parts, not one text


def record(
    state: State,
    *,
    group: str = "",
    present: Collection[str] | None = None,
    time_zone: str = DEFAULT_TIME_ZONE,
    notes: str = "",
    marked: Collection[str] = (),
    now: float | None = None,
) -> Record:
    """The visible content, section by section, in the template's phase order.

    ``present`` holds who came (from the session's attendance, which the log tells and
    the state does not); ``group`` names the cycle the session belongs to; ``now``, the
    server's time, counts the current step's time so far in a session not ended.
    ``notes`` and ``marked`` are the narrator's own, for the record only they download.
    """
    shown = visible_state(state, Role.MEMBER)
    visible = [c for c in shown.contributions.values() if c.hidden is None]
    answers: dict[str, list[Contribution]] = {}
    for contribution in visible:
        if contribution.kind is Kind.ANSWER and contribution.answers is not None:
            answers.setdefault(contribution.answers, []).append(contribution)
    told = [c for c in visible if c.kind not in (Kind.ANSWER, Kind.TAKEAWAY)]
    sections = []
    for phase in TEMPLATES[state.template].phases:
        here = [c for c in told if c.phase == phase.key]
        if here:
            sections.append((phase.key, here))
    names = {p.id: p.name for p in shown.participants.values()}
    takeaways: dict[str, list[str]] = {}
    for contribution in visible:
        if contribution.kind is Kind.TAKEAWAY:
            name = names.get(contribution.author, contribution.author)
            takeaways.setdefault(name, []).append(contribution.body.get("text", ""))
    seated = [p for p in shown.participants.values() if not p.removed]
    about = shown.situation
    return Record(
        title=about.title if about else shown.title,
        session_title=shown.title,
        group=group,
        held_at=shown.started_at if shown.started_at is not None else shown.created_at,
        time_zone=time_zone,
        narrator=next((p.name for p in seated if p.role is Role.NARRATOR), ""),
        facilitators=[p.name for p in seated if p.role is Role.FACILITATOR],
        present=None if present is None else [p.name for p in seated if p.id in present],
        request=about.request if about else "",
        situation={
            key: value
            for key, value in (
                ("context", about.context if about else ""),
                ("problem", about.problem if about else ""),
                ("question", about.question if about else ""),
            )
            if value.strip()
        },
        sections=sections,
        answers=answers,
        takeaways=list(takeaways.items()),
        names=names,
        by_id={c.id: c for c in visible},
        notes=notes,
        marked=frozenset(marked),
        times=_times(shown, now),
        weather=[
            (names.get(who, who), given.mood, given.word)
            for who, given in shown.weather.items()
            if given.mood  # sealed (not revealed): in no record
        ],
    )


def _times(state: State, now: float | None) -> list[StepMinutes]:
    """Planned and actual time per step, once the session began."""
    if state.started_at is None:
        return []
    until = now if now is not None else (state.ended_at or state.started_at)
    return [
        StepMinutes(step.phase, step.planned, step.box, int(step.spent / 60.0 + 0.5))
        for step in budget.steps(state, until)
    ]


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


def markdown(r: Record, lang: str) -> str:
    """The record as Markdown: every user text literal and in its own isolate."""
    lines = [f"# {md_user(r.title)}", "", f"*{message(lang, 'export.confidential')}*", ""]
    lines += [f"- **{label}** : {value}" for label, value in _about(r, lang)]
    lines.append("")
    if r.request:
        lines += [f"**{message(lang, 'export.request')}** — {md_user(r.request)}", ""]
    for key, value in r.situation.items():
        lines += [f"**{message(lang, f'export.{key}')}** — {md_user(value)}", ""]
    for phase, contributions in r.sections:
        lines += [f"## {message(lang, f'phase.{phase}')}", ""]
        for contribution in contributions:
            lines += _markdown_contribution(contribution, r, lang)
        lines.append("")
    if r.takeaways:
        lines += [f"## {message(lang, 'export.takeaways')}", ""]
        for name, texts in r.takeaways:
            lines += [f"### {md_user(name)}", ""]
            lines += [f"- {md_user(text)}" for text in texts]
            lines.append("")
    if r.weather:
        lines += [f"## {message(lang, 'weather.record')}", ""]
        for name, mood, word in r.weather:
            lines.append(f"- **{md_user(name)}** — {mood_words(lang, mood)} — {md_user(word)}")
        lines.append("")
    if r.times:
        lines += _markdown_times(r, lang)
    if r.notes:
        lines += [f"## {message(lang, 'notes.title')}", "", f"*{message(lang, 'notes.yours')}*", ""]
        lines += [md_user(r.notes), ""]
    return "\n".join(lines).rstrip() + "\n"


def _about(r: Record, lang: str) -> list[tuple[str, str]]:
    """Where and when the session was, and who was there: the lines a consultant files
    it by, each a label and its (isolated) value."""
    about = [(message(lang, "export.session"), md_user(r.session_title))]
    if r.group:
        about.append((message(lang, "export.group"), md_user(r.group)))
    if r.held_at:
        about.append((message(lang, "export.date"), moment_date(lang, r.held_at, r.time_zone)))
    if r.narrator:
        about.append((message(lang, "export.narrator"), md_user(r.narrator)))
    if r.facilitators:
        about.append(
            (message(lang, "export.facilitators"), ", ".join(map(md_user, r.facilitators)))
        )
    if r.present is not None:
        who = ", ".join(map(md_user, r.present)) or message(lang, "export.nobody")
        about.append((message(lang, "export.present"), who))
    return about


def _markdown_contribution(c: Contribution, r: Record, lang: str) -> list[str]:
    author = md_user(r.names.get(c.author, c.author))
    head = f"- **{message(lang, f'kind.{c.kind.value}')}** ({author})"
    if c.id in r.marked:
        head += f" — *{message(lang, 'notes.marked')}*"
    if c.kind not in FIELDED:
        head += f" — {md_user(c.body.get('text', ''))}"
    if c.welcome is not None:
        head += f" — *{message(lang, f'welcome.{c.welcome.value}')}*"
    lines = [head]
    if c.kind in FIELDED:
        lines += [
            f"  - {message(lang, f'export.{name}')} : {md_user(value)}"
            for name, value in r.fields(c)
        ]
    if c.cites:
        cited = " ; ".join(f"« {md_user(r.excerpt(cite))} »" for cite in c.cites)
        lines.append(f"  - {message(lang, 'export.from_proposals')} {cited}")
    for answer in r.answers.get(c.id, []):
        lines.append(
            f"  - *{message(lang, 'kind.answer')}* — {md_user(answer.body.get('text', ''))}"
        )
    return lines


def mood_words(lang: str, mood: int) -> str:
    """A mood as words, never an icon alone: "Ensoleillé (5 sur 5)"."""
    return message(lang, "weather.mood_of", mood=message(lang, f"weather.mood.{mood}"), level=mood)


def _markdown_times(r: Record, lang: str) -> list[str]:
    head = [message(lang, f"budget.record.{name}") for name in ("step", "planned", "box", "actual")]
    lines = [f"## {message(lang, 'budget.record')}", ""]
    lines += ["| " + " | ".join(head) + " |", "| --- | ---: | ---: | ---: |"]
    for step in r.times:
        cells = [message(lang, f"phase.{step.phase}")]
        cells += [message(lang, "budget.minutes", minutes=m) for m in (step.planned, step.box)]
        cells.append(message(lang, "budget.minutes", minutes=step.actual))
        lines.append("| " + " | ".join(cells) + " |")
    total = [sum(s.planned for s in r.times), sum(s.box for s in r.times)]
    total.append(sum(s.actual for s in r.times))
    cells = [message(lang, "budget.record.total")]
    cells += [message(lang, "budget.minutes", minutes=m) for m in total]
    lines += ["| " + " | ".join(cells) + " |", ""]
    return lines
