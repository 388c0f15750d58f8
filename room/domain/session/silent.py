"""Silent writing, then reveal: a round in which every member writes alone.

While a silent round is open, what a member writes is no contribution but a *draft*:
the server keeps it for its author alone, outside the session's log (the store's
private texts), so that no state, frame, replay or export can hold it — not the
facilitator's, not the narrator's, not an observer's. The reveal brings every draft of
the round into the log at once, as contributions of one event, in the order the
facilitator chose; the round table then reads them in turn. A round closed without
reveal leaves nothing of its drafts: the store erases them for real.

Here are the parts that are rules: which drafts a round may hold, and in which order
a reveal lays them out. Where drafts are kept is the live layer's business.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from room.domain.session.roles import Kind

ORDERS = ("rotation", "shuffled")
ROUND_MINUTES = (1, 60)  # a silent round's writing time
DRAFTS_MAX = 20  # per author and round: more is no longer a round's worth
# Where a round's drafts are kept, under the session: "round/3/…", one key per draft.
ROUND_PREFIX = "round"


@dataclass(frozen=True, kw_only=True)
class Draft:
    id: str  # chosen by the author's client, unique among their drafts of the round
    author: str
    kind: Kind
    body: dict[str, str] = field(default_factory=dict)
    at: float = 0.0  # when it was last written


def round_key(number: int) -> str:
    """The private key under which round ``number``'s drafts are kept."""
    return f"{ROUND_PREFIX}/{number}"


def draft_key(number: int, draft: str) -> str:
    return f"{round_key(number)}/{draft}"


def round_of(key: str) -> int | None:
    """The round a private key belongs to, or None if it is no draft's."""
    parts = key.split("/", 2)
    if len(parts) == 3 and parts[0] == ROUND_PREFIX and parts[1].isdigit():
        return int(parts[1])
    return None


def reveal_order(
    drafts: Iterable[Draft], roster: Sequence[str], order_by: str, seed: int
) -> list[Draft]:
    """The drafts as the reveal lays them out.

    "rotation": each author's first text in the roster's order, then each one's
    second, and so on, so that no one is read twice before everyone was read once;
    "shuffled": in an order drawn from ``seed``, which says nothing of who wrote first.
    """
    place = {participant: index for index, participant in enumerate(roster)}
    by_author: dict[str, list[Draft]] = {}
    for draft in sorted(drafts, key=lambda d: (place.get(d.author, len(place)), d.at, d.id)):
        by_author.setdefault(draft.author, []).append(draft)
    if order_by == "shuffled":
        return shuffled([draft for own in by_author.values() for draft in own], seed)
    rotation: list[Draft] = []
    for turn in range(max((len(own) for own in by_author.values()), default=0)):
        rotation += [own[turn] for own in by_author.values() if turn < len(own)]
    return rotation


_MASK = 2**64 - 1


def shuffled(items: list[Draft], seed: int) -> list[Draft]:
    """``items`` in the order a Fisher–Yates shuffle draws from ``seed``, by splitmix64
    (the server draws the seed; the domain, which reads no randomness, only lays out)."""
    laid, state = list(items), seed & _MASK
    for last in range(len(laid) - 1, 0, -1):
        state = (state + 0x9E3779B97F4A7C15) & _MASK
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        pick = (z ^ (z >> 31)) % (last + 1)
        laid[last], laid[pick] = laid[pick], laid[last]
    return laid


def reading_turns(authors_and_ids: Sequence[tuple[str, str]]) -> list[tuple[str, list[str]]]:
    """The round table that reads revealed texts: one turn per run of texts by the same
    author, in order, each reading its texts."""
    turns: list[tuple[str, list[str]]] = []
    for author, contribution in authors_and_ids:
        if turns and turns[-1][0] == author:
            turns[-1][1].append(contribution)
        else:
            turns.append((author, [contribution]))
    return turns
