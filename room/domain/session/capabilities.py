"""What may I do now? The moves ``decide`` would accept from an actor at a time.

The server answers this for each participant and sends it to their connections;
the browser never holds a copy of the rules (docs/architecture.md says why).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from immutables import Map

from room.domain.errors import DomainError
from room.domain.session.decide import (
    REISSUE_LINK,
    SERVER_TYPES,
    TOKEN_TAKEOVER_SECONDS,
    TYPES_FOR_ROLE,
    Move,
    check_move,
)
from room.domain.session.reach import EVERYONE, NOTHING, Reach
from room.domain.session.roles import Kind, Role
from room.domain.session.state import State
from room.domain.session.templates import TEMPLATES
from room.domain.text import SYSTEM

_TARGETED = ("post", "edit", "withdraw", "remove_participant", REISSUE_LINK)


def candidate_moves(state: State, actor: str) -> list[Move]:
    """Every move worth asking about that names no contribution: each command type the
    actor's role may issue, each kind the current step lets the author post, each
    participant targeted. The role and step tables are the guards' first tests, so
    leaving out what they refuse changes no answer — only the time. (Edits and
    withdrawals are asked about one contribution at a time: ``_change_moves``.)"""
    role = state.role_of(actor)
    if role is None and actor != SYSTEM:
        return []  # a stranger or a removed participant: refused whatever they ask
    types = SERVER_TYPES if role is None else TYPES_FOR_ROLE[role]
    moves: list[Move] = [(kind,) for kind in types if kind not in _TARGETED]
    if "post" in types:
        moves += [("post", kind.value) for kind in _postable(state, actor)]
    if role is Role.FACILITATOR:
        for participant in state.participants.values():
            if state.role_of(participant.id) in (Role.MEMBER, Role.NARRATOR):
                kinds = _postable(state, participant.id)
                moves += [("post", kind.value, participant.id) for kind in kinds]
    for kind in ("remove_participant", REISSUE_LINK):
        if kind in types:
            moves += [(kind, p) for p in state.participants if state.role_of(p) is not None]
    return moves


def _postable(state: State, author: str) -> frozenset[Kind]:
    """The kinds the current step lets ``author``'s role post (the follow-up's teller
    posts it as a member, as the post guard says)."""
    role = state.role_of(author)
    template = TEMPLATES.get(state.template)
    if role is None or template is None or not template.has_phase(state.phase):
        return frozenset(Kind)  # let the guard give its refusal
    posts = template.phase(state.phase).posts
    kinds = posts.get(role, frozenset())
    if author == state.follow_up_by:
        kinds = kinds | (posts.get(Role.MEMBER, frozenset()) & {Kind.FOLLOW_UP})
    return kinds


@dataclass(frozen=True, slots=True)
class Answer:
    """One participant's moves, in the two parts that events change apart: those that
    name no contribution, and the edit and withdrawal open on each contribution (only
    the actor's own of the current step can be open). Iterating gives every move."""

    general: frozenset[Move] = frozenset()
    changes: Map[str, tuple[Move, ...]] = field(default_factory=Map)  # none empty

    def __iter__(self) -> Iterator[Move]:
        yield from self.general
        for moves in self.changes.values():
            yield from moves


NO_MOVES = Answer()


def allowed(state: State, actor: str, now: float) -> frozenset[Move]:
    """The moves open to ``actor`` at ``now``: exactly those ``decide`` would not refuse
    for who or when (it may still refuse a move's arguments: empty text, unknown ids)."""
    return frozenset(answer(state, actor, now))


def answer(state: State, actor: str, now: float) -> Answer:
    """``allowed``, in parts: asked whole."""
    if not _may_act(state, actor):
        return NO_MOVES
    changes: Map[str, tuple[Move, ...]] = Map()
    with changes.mutate() as opening:
        for contribution in state.changeable_in_step(actor):
            moves = _change_moves(state, actor, contribution, now)
            if moves:
                opening[contribution] = moves
        changes = opening.finish()
    return Answer(general=_general_moves(state, actor, now), changes=changes)


def answer_after(
    previous: Answer | None, state: State, actor: str, now: float, reach: Reach
) -> Answer:
    """``actor``'s answer in ``state``, from ``previous``, their answer before events
    that can change no more than ``reach`` (``reach_in_time`` adds what time alone
    opened): only those parts are asked again. ``previous`` itself when nothing
    changed, so that the server need not even compare."""
    if previous is None or reach.whole:
        return answer(state, actor, now)
    if not _may_act(state, actor):
        return NO_MOVES  # removed by one of the events, or an observer
    general = previous.general
    if reach.everyone or actor in reach.people:
        general = _general_moves(state, actor, now)
        if general == previous.general:
            general = previous.general
    changes = previous.changes
    if actor in reach.changers:
        for contribution in reach.contributions:
            moves = _change_moves(state, actor, contribution, now)
            if moves == changes.get(contribution, ()):
                continue
            changes = changes.set(contribution, moves) if moves else changes.delete(contribution)
    if general is previous.general and changes is previous.changes:
        return previous
    return Answer(general=general, changes=changes)


def _may_act(state: State, actor: str) -> bool:
    """Observers (the large audiences) and people not or no longer in the session may
    do nothing; the server may do its own moves."""
    if not state.created:
        return False
    role = state.role_of(actor)
    return role is not Role.OBSERVER and (role is not None or actor == SYSTEM)


def _general_moves(state: State, actor: str, now: float) -> frozenset[Move]:
    return frozenset(
        move for move in candidate_moves(state, actor) if _opens(state, actor, move, now)
    )


def _change_moves(state: State, actor: str, contribution: str, now: float) -> tuple[Move, ...]:
    """The edit and withdrawal of ``contribution`` open to ``actor``: none unless it is
    theirs to change and of the current step (as ``changeable_in_step``)."""
    known = state.contributions.get(contribution)
    if known is None or known.phase != state.phase or not known.may_be_changed_by(actor):
        return ()
    moves = (("edit", contribution), ("withdraw", contribution))
    return tuple(move for move in moves if _opens(state, actor, move, now))


def _opens(state: State, actor: str, move: Move, now: float) -> bool:
    try:
        check_move(state, actor, move, now)
    except DomainError:
        return False
    return True


def to_plain(moves: Iterable[Move]) -> dict[str, Any]:
    """The wire form: {"do": [types], "post": [kinds], "on_behalf": {id: [kinds]},
    "edit": [ids], "withdraw": [ids], "remove_participant": [ids], "reissue_link": [ids]},
    each list sorted so equal sets encode equally."""
    plain: dict[str, Any] = {
        "do": [],
        "post": [],
        "on_behalf": {},
        "edit": [],
        "withdraw": [],
        "remove_participant": [],
        REISSUE_LINK: [],
    }
    for move in moves:
        if move[0] == "post" and len(move) == 3:
            plain["on_behalf"].setdefault(move[2], []).append(move[1])
        elif move[0] in _TARGETED:
            plain[move[0]].append(move[1])
        else:
            plain["do"].append(move[0])
    for key in ("do", "post", "edit", "withdraw", "remove_participant", REISSUE_LINK):
        plain[key].sort()
    for kinds in plain["on_behalf"].values():
        kinds.sort()
    return plain


def next_change(state: State, now: float) -> float | None:
    """The next time at which ``allowed`` may answer differently with no new event.

    Only the token's take-over depends on time alone; the server re-asks then.
    """
    holder = state.participants.get(state.token_holder)
    if holder is None or holder.present or holder.removed or state.ended:
        return None
    opens_at = (holder.absent_since or state.created_at) + TOKEN_TAKEOVER_SECONDS
    return opens_at if opens_at > now else None


def reach_in_time(state: State, since: float, now: float) -> Reach:
    """What time alone can have changed of answers given at ``since`` in ``state``: the
    token's take-over, once its window opened. (An event that moves the window — the
    holder's coming or going, a new holder — reaches everyone by itself.)"""
    opens_at = next_change(state, since)
    return EVERYONE if opens_at is not None and opens_at <= now else NOTHING
