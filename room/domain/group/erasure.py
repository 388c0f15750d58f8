"""What erasing a session takes out of its group's own log: the situation its narrator
handed to it.

A draft's words are in the group's log, in each ``DraftSaved`` of it; the session reads
them from there, never copies them. When the session is erased, those events are
rewritten in place, under their seqs (the store's ``rewrite``): the same ``DraftSaved``,
every text emptied and ``erased`` set. The log stays gapless, keeps who saved what when,
and folds as before but for the words; ``SessionErased`` then drops the draft.

A draft is followed through its life: from the save that creates it to its deletion, or
to the erasure of the session it was handed to; its id may then be saved again as a new
draft, which is another life. A life is erased with a session if that session is the
last one it was handed to: handed on to another since, it is that session's situation;
deleted since, its words are still in the log and go all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from room.domain.group import events as ev


@dataclass
class _Life:
    """One draft, from the save that created it."""

    saves: list[tuple[int, ev.DraftSaved]] = field(default_factory=list)  # (seq, event)
    used_in: str | None = None  # the session it was last handed to


def handed_draft(
    log: Iterable[tuple[int, ev.GroupEvent]], session: str
) -> dict[int, ev.DraftSaved]:
    """The events of a group's ``log`` (seq, event, in order) that hold the words of a
    draft handed to ``session``, each with what it becomes.

    Already erased ones are named again, unchanged: a retry of an erasure that failed
    after the rewrite rewrites the same bytes, and so finishes scrubbing them.
    """
    lives = [life for life in _lives(log) if life.used_in == session]
    return {seq: _erased(event) for life in lives for seq, event in life.saves}


def _lives(log: Iterable[tuple[int, ev.GroupEvent]]) -> list[_Life]:
    """Every draft's life in the log, ended or not. Trusts the log, as the fold does."""
    current: dict[str, _Life] = {}
    ended: list[_Life] = []
    for seq, event in log:
        if isinstance(event, ev.DraftSaved):
            current.setdefault(event.draft, _Life()).saves.append((seq, event))
        elif isinstance(event, ev.DraftUsed):
            current[event.draft].used_in = event.session
        elif isinstance(event, ev.DraftDeleted):
            ended.append(current.pop(event.draft))
        elif isinstance(event, ev.SessionErased):
            for draft in [d for d, life in current.items() if life.used_in == event.session]:
                ended.append(current.pop(draft))
    return [*ended, *current.values()]


def _erased(event: ev.DraftSaved) -> ev.DraftSaved:
    return replace(event, title="", context="", problem="", question="", request="", erased=True)
