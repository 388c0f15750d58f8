"""What may I do now? The moves ``decide`` would accept from an actor at a time.

The server answers this for each participant and sends it to their connections;
the browser never holds a copy of the rules (docs/architecture.md says why).
"""

from __future__ import annotations

from typing import Any

from room.domain.errors import DomainError
from room.domain.session.decide import (
    REISSUE_LINK,
    SERVER_TYPES,
    TOKEN_TAKEOVER_SECONDS,
    TYPES_FOR_ROLE,
    Move,
    check_move,
)
from room.domain.session.roles import Kind, Role
from room.domain.session.state import State
from room.domain.session.templates import TEMPLATES
from room.domain.text import SYSTEM

_TARGETED = ("post", "edit", "withdraw", "remove_participant", REISSUE_LINK)


def candidate_moves(state: State, actor: str) -> list[Move]:
    """Every move worth asking about: each command type the actor's role may issue,
    each kind the current step lets the author post, each target. The role and step
    tables are the guards' first tests, so leaving out what they refuse changes no
    answer — only the time: this runs for every connected participant after every
    event."""
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
    # Only the actor's own contributions of the current step can be edited or withdrawn;
    # the guards refuse every other one, so asking about them would only cost time.
    for contribution in state.changeable_in_step(actor):
        moves += [("edit", contribution), ("withdraw", contribution)]
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


def allowed(state: State, actor: str, now: float) -> frozenset[Move]:
    """The moves open to ``actor`` at ``now``: exactly those ``decide`` would not refuse
    for who or when (it may still refuse a move's arguments: empty text, unknown ids)."""
    if state.role_of(actor) is Role.OBSERVER or not state.created:
        return frozenset()  # the common case for large audiences: nothing, cheaply
    open_moves = []
    for move in candidate_moves(state, actor):
        try:
            check_move(state, actor, move, now)
        except DomainError:
            continue
        open_moves.append(move)
    return frozenset(open_moves)


def to_plain(moves: frozenset[Move]) -> dict[str, Any]:
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
