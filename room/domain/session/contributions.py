"""A session's contributions: a persistent map, and the indexes "what may I do" reads.

``evolve`` makes a new map for every event, and every state before it stays as it was.
A dict would have to be copied whole each time — the longer the session, the dearer
each event. This map is built on ``immutables.Map`` (the hash array mapped trie that
CPython's contextvars are made of): a new version shares everything with the old one
but the few nodes on the path to what changed, so adding, changing or withdrawing a
contribution costs the same at c10000 as at c10. The two indexes the guards ask about
after every event — which contributions of a step each participant may change, and
which are answered or cited — are updated by the same change, never rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from immutables import Map

from room.domain.session.roles import Kind, Welcome

_NOTHING: Map[str, None] = Map()
T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Contribution:
    id: str
    kind: Kind
    phase: str
    author: str  # the participant it speaks for
    posted_by: str | None = None  # a facilitator who posted it on the author's behalf
    body: dict[str, str] = field(default_factory=dict)
    answers: str | None = None  # for an answer: the question's id
    cites: tuple[str, ...] = ()  # for an action: the proposals it comes from
    welcome: Welcome | None = None  # for a proposal: the narrator's mark
    hidden: str | None = None  # the facilitator's reason, shown to all, when hidden
    at: float = 0.0
    edited_at: float | None = None

    def may_be_changed_by(self, participant: str) -> bool:
        return participant in (self.author, self.posted_by)

    def changers(self) -> tuple[str, ...]:
        """Who may change it: its author, and the facilitator who posted it for them."""
        if self.posted_by is None or self.posted_by == self.author:
            return (self.author,)
        return (self.author, self.posted_by)

    def references(self) -> tuple[str, ...]:
        """The contributions it refers to: the question it answers, the proposals it cites."""
        return self.cites if self.answers is None else (self.answers, *self.cites)


class Contributions(Mapping[str, Contribution]):
    """Contributions by id, iterated in the order they came; equal when their contents
    are (the indexes and the arrival ranks are derived, and compared by no one)."""

    __slots__ = ("_items", "_rank", "_next", "_changeable", "_references")

    # As plain data, the map from id to contribution, in arrival order (room.domain.plain).
    PLAIN_TYPE = dict[str, Contribution]

    _items: Map[str, Contribution]
    _rank: Map[str, int]  # arrival order, for iteration: the trie's own order is by hash
    _next: int  # the rank of the next one to arrive
    _changeable: Map[tuple[str, str], Map[str, None]]  # (participant, phase) -> ids
    _references: Map[str, int]  # id -> how many answers and citations point to it

    def __init__(self, items: Mapping[str, Contribution] | None = None) -> None:
        """Built once from a whole map (plain data, a snapshot); evolve adds one by one."""
        contributions: Map[str, Contribution] = Map()
        ranks: Map[str, int] = Map()
        with contributions.mutate() as adding, ranks.mutate() as ranking:
            for rank, (key, contribution) in enumerate((items or {}).items()):
                adding[key] = contribution
                ranking[key] = rank
            self._items, self._rank = adding.finish(), ranking.finish()
        self._next = len(self._items)
        self._changeable = Map()
        self._references = Map()
        for contribution in self._items.values():
            self._changeable = _indexed(self._changeable, contribution, add=True)
            self._references = _counted(self._references, contribution.references(), 1)

    # --- reading ---

    def __getitem__(self, key: str) -> Contribution:
        return self._items[key]

    @overload
    def get(self, key: str, /) -> Contribution | None: ...
    @overload
    def get(self, key: str, /, default: Contribution | T) -> Contribution | T: ...
    def get(self, key: str, /, default: Any = None) -> Any:
        return self._items.get(key, default)  # the trie's own get: no KeyError raised

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items, key=self._rank.__getitem__))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Contributions):
            return self._items == other._items
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # a map, unhashable as a dict is

    def __repr__(self) -> str:
        return f"Contributions({dict(self.items())!r})"

    def changeable(self, participant: str, phase: str) -> Iterable[str]:
        """The ids of ``phase``'s contributions that ``participant`` may change."""
        return self._changeable.get((participant, phase), _NOTHING)

    def is_referred_to(self, key: str) -> bool:
        """Whether an answer answers it or an action cites it."""
        return key in self._references

    # --- changing: each a new map sharing all but the path to the change ---

    def added(self, contribution: Contribution) -> Contributions:
        return self._with(
            items=self._items.set(contribution.id, contribution),
            rank=self._rank.set(contribution.id, self._next),
            next=self._next + 1,
            changeable=_indexed(self._changeable, contribution, add=True),
            references=_counted(self._references, contribution.references(), 1),
        )

    def replaced(self, contribution: Contribution) -> Contributions:
        """The contribution of the same id, changed."""
        old = self._items[contribution.id]
        changeable = self._changeable
        if (old.phase, old.changers()) != (contribution.phase, contribution.changers()):
            changeable = _indexed(changeable, old, add=False)
            changeable = _indexed(changeable, contribution, add=True)
        references = _counted(self._references, old.references(), -1)
        return self._with(
            items=self._items.set(contribution.id, contribution),
            changeable=changeable,
            references=_counted(references, contribution.references(), 1),
        )

    def without(self, key: str) -> Contributions:
        old = self._items[key]
        return self._with(
            items=self._items.delete(key),
            rank=self._rank.delete(key),
            changeable=_indexed(self._changeable, old, add=False),
            references=_counted(self._references, old.references(), -1),
        )

    def _with(self, **parts: Any) -> Contributions:
        new = object.__new__(Contributions)
        for name in self.__slots__:
            setattr(new, name, parts.get(name[1:], getattr(self, name)))
        return new


def _indexed(
    index: Map[tuple[str, str], Map[str, None]], contribution: Contribution, *, add: bool
) -> Map[tuple[str, str], Map[str, None]]:
    for participant in contribution.changers():
        key = (participant, contribution.phase)
        ids = index.get(key, _NOTHING)
        ids = ids.set(contribution.id, None) if add else ids.delete(contribution.id)
        index = index.set(key, ids) if ids else index.delete(key)
    return index


def _counted(counts: Map[str, int], keys: Iterable[str], step: int) -> Map[str, int]:
    """``counts`` with each of ``keys`` counted ``step`` more times; none kept at zero."""
    for key in keys:
        count = counts.get(key, 0) + step
        counts = counts.set(key, count) if count else counts.delete(key)
    return counts
