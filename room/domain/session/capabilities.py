"""What may I do now? The moves ``decide`` would accept from an actor at a time.

The server answers this for each participant and sends it to their connections;
the browser never holds a copy of the rules (docs/architecture.md says why).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
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
from room.domain.session.reach import EVERYONE, NOTHING, Reach
from room.domain.session.roles import Kind, Role
from room.domain.session.state import State
from room.domain.session.templates import TEMPLATES
from room.domain.text import SYSTEM

_TARGETED = ("post", "edit", "withdraw", "remove_participant", REISSUE_LINK, "write_draft")


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
    if "write_draft" in types:
        moves += [("write_draft", kind.value) for kind in _postable(state, actor)]
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
    """One participant's moves, in the parts that events change apart: those that name
    no contribution, and the contributions whose edit, or withdrawal, is open (only
    the actor's own of the current step can be). The ids are kept sorted, as the wire
    form lists them, so that one more costs an insertion, not a sort of them all.
    Iterating gives every move."""

    general: frozenset[Move] = frozenset()
    edits: tuple[str, ...] = ()  # sorted
    withdrawals: tuple[str, ...] = ()  # sorted

    def __iter__(self) -> Iterator[Move]:
        yield from self.general
        yield from (("edit", contribution) for contribution in self.edits)
        yield from (("withdraw", contribution) for contribution in self.withdrawals)


NO_MOVES = Answer()


def allowed(state: State, actor: str, now: float) -> frozenset[Move]:
    """The moves open to ``actor`` at ``now``: exactly those ``decide`` would not refuse
    for who or when (it may still refuse a move's arguments: empty text, unknown ids)."""
    return frozenset(answer(state, actor, now))


def answer(state: State, actor: str, now: float) -> Answer:
    """``allowed``, in parts: asked whole."""
    if not _may_act(state, actor):
        return NO_MOVES
    edits, withdrawals = [], []
    for contribution in state.changeable_in_step(actor):
        edit, withdraw = _change_moves(state, actor, contribution, now)
        if edit:
            edits.append(contribution)
        if withdraw:
            withdrawals.append(contribution)
    return Answer(
        general=_general_moves(state, actor, now),
        edits=tuple(sorted(edits)),
        withdrawals=tuple(sorted(withdrawals)),
    )


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
    edits, withdrawals = previous.edits, previous.withdrawals
    if actor in reach.changers:
        for contribution in reach.contributions:
            edit, withdraw = _change_moves(state, actor, contribution, now)
            edits = _with_or_without(edits, contribution, edit)
            withdrawals = _with_or_without(withdrawals, contribution, withdraw)
    if (general, edits, withdrawals) == (previous.general, previous.edits, previous.withdrawals):
        return previous
    return Answer(general=general, edits=edits, withdrawals=withdrawals)


def _with_or_without(ids: tuple[str, ...], key: str, present: bool) -> tuple[str, ...]:
    """Sorted ``ids`` with ``key`` in or out, as ``present`` says; the same tuple if so."""
    at = bisect_left(ids, key)
    if (at < len(ids) and ids[at] == key) == present:
        return ids
    return (*ids[:at], key, *ids[at:]) if present else ids[:at] + ids[at + 1 :]


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


def _change_moves(state: State, actor: str, contribution: str, now: float) -> tuple[bool, bool]:
    """Whether the edit, and the withdrawal, of ``contribution`` are open to ``actor``:
    neither unless it is theirs to change and of the current step (as
    ``changeable_in_step``)."""
    known = state.contributions.get(contribution)
    if known is None or known.phase != state.phase or not known.may_be_changed_by(actor):
        return False, False
    edit = _opens(state, actor, ("edit", contribution), now)
    return edit, _opens(state, actor, ("withdraw", contribution), now)


def _opens(state: State, actor: str, move: Move, now: float) -> bool:
    try:
        check_move(state, actor, move, now)
    except DomainError:
        return False
    return True


def to_plain(moves: Answer | Iterable[Move]) -> dict[str, Any]:
    """The wire form: {"do": [types], "post": [kinds], "on_behalf": {id: [kinds]},
    "edit": [ids], "withdraw": [ids], "remove_participant": [ids], "reissue_link": [ids]},
    each list sorted so equal sets encode equally. An ``Answer``'s edits and withdrawals,
    the long lists of a long session, are sorted already."""
    if isinstance(moves, Answer):
        general = to_plain(moves.general)
        general["edit"], general["withdraw"] = list(moves.edits), list(moves.withdrawals)
        return general
    plain: dict[str, Any] = {
        "do": [],
        "post": [],
        "on_behalf": {},
        "edit": [],
        "withdraw": [],
        "remove_participant": [],
        REISSUE_LINK: [],
        "write_draft": [],
    }
    for move in moves:
        if move[0] == "post" and len(move) == 3:
            plain["on_behalf"].setdefault(move[2], []).append(move[1])
        elif move[0] in _TARGETED:
            plain[move[0]].append(move[1])
        else:
            plain["do"].append(move[0])
    for key in plain:
        if key != "on_behalf":
            plain[key].sort()
    for kinds in plain["on_behalf"].values():
        kinds.sort()
    return plain


def next_change(state: State, now: float) -> float | None:
    """The next time at which ``allowed`` may answer differently with no new event.

    Only time alone changes two answers: the token's take-over, and the holder's
    borrow_time, which the step's countdown opens as it runs out. The server re-asks then.
    """
    times = [at for at in (_takeover_opens(state), _overrun_begins(state)) if at is not None]
    later = [at for at in times if at > now]
    return min(later) if later else None


def _takeover_opens(state: State) -> float | None:
    holder = state.participants.get(state.token_holder)
    if holder is None or holder.present or holder.removed or state.ended:
        return None
    return (holder.absent_since or state.created_at) + TOKEN_TAKEOVER_SECONDS


def _overrun_begins(state: State) -> float | None:
    """When the running countdown passes its end (from then on the step overruns)."""
    timer = state.timer
    if state.ended or not timer.running or timer.deadline is None:
        return None
    return timer.deadline


def reach_in_time(state: State, since: float, now: float) -> Reach:
    """What time alone can have changed of answers given at ``since`` in ``state``: the
    token's take-over, once its window opened; the holder's borrow, once the countdown
    ran out. (An event that moves either — the holder's coming or going, a new holder,
    the timer — reaches whom it changes by itself.)"""
    opens_at = _takeover_opens(state)
    if opens_at is not None and since < opens_at <= now:
        return EVERYONE
    overrun_at = _overrun_begins(state)
    if overrun_at is not None and since <= overrun_at < now:
        return Reach(people=frozenset({state.token_holder}))
    return NOTHING
