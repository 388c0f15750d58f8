"""commands -> events: the rules of a co-development session.

Each command is judged in two steps. Its *move* — the command type, plus the kind
of a post, the member a post speaks for, or the contribution an edit targets — is
checked first for who acts (does their role ever issue this type? nothing else is
looked at before), then by a guard that looks only at when, and in which state. Then
its handler checks the rest of the arguments and produces events. ``allowed`` runs
the same checks over every possible move, so "what may I do now?" cannot drift from
what ``decide`` accepts.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from room.domain.errors import Code, DomainError
from room.domain.session import budget, weather
from room.domain.session import commands as cmd
from room.domain.session import events as ev
from room.domain.session.commands import Command
from room.domain.session.roles import Kind, Role, body_fields, required_fields
from room.domain.session.silent import DRAFTS_MAX, ORDERS, ROUND_MINUTES, Draft, reading_turns
from room.domain.session.silent import reveal_order as laid_out
from room.domain.session.state import Contribution, Situation, State, Weather
from room.domain.session.templates import TEMPLATES, Template
from room.domain.text import (
    SYSTEM,
    TEXT_MAX,
    TITLE_MAX,
    checked_identifier,
    checked_name,
    checked_text,
)

# How long the token holder must have been gone before another facilitator may take it.
TOKEN_TAKEOVER_SECONDS = 120.0

# Limits of the session's own fields, beside the shared ones in room.domain.text.
REASON_MAX = 500
URL_MAX = 500
ROUND_MAX = 64
EXTEND_MAX_SECONDS = 3600
TIME_BOX_MAX_MINUTES = 240
BUDGET_MINUTES = (15, 480)  # a session's whole time: a quarter of an hour to a day
NOTES_MAX = 20_000  # the narrator's notes: a notebook, longer than any one post

Move = tuple[str, ...]


def move_of(command: Command) -> Move:
    """The part of a command that says what is done, not with which words."""
    if isinstance(command, cmd.Post):
        if command.on_behalf_of is not None:
            return ("post", command.kind.value, command.on_behalf_of)
        return ("post", command.kind.value)
    if isinstance(command, cmd.Edit | cmd.Withdraw):
        return (command.type, command.contribution)
    if isinstance(command, cmd.RemoveParticipant):
        return (command.type, command.participant)
    if isinstance(command, cmd.WriteDraft):
        return (command.type, command.kind.value)
    return (command.type,)


def decide(state: State, actor: str, command: Command, now: float) -> list[ev.Event]:
    """The events that ``command`` by ``actor`` at server time ``now`` produces.

    Raises DomainError, leaving nothing changed, when the command is refused.
    """
    rule = _RULES[type(command)]
    if not isinstance(command, cmd.CreateSession):
        check_move(state, actor, move_of(command), now)
    return rule(state, actor, command, now)


def check_move(state: State, actor: str, move: Move, now: float) -> None:
    """Raise the refusal ``move`` by ``actor`` meets now, if any.

    Who issues the command type is asked first, before the guard looks at a target or
    the state: a role that never issues a type learns nothing from its refusal (not
    even which contribution ids exist).
    """
    if not state.created:
        raise DomainError(Code.NOT_FOUND, what="session")
    guard = _GUARDS.get(move[0])
    if guard is None:
        raise DomainError(Code.INVALID, field="type")
    if actor == SYSTEM:
        if move[0] not in SERVER_TYPES:
            raise DomainError(Code.NOT_PARTICIPANT)  # the server is no participant
    elif move[0] not in TYPES_FOR_ROLE[_role(state, actor)]:
        raise DomainError(Code.FORBIDDEN_ROLE)
    guard(state, actor, move, now)


# --- guards: when, and in which state (who issues each type is checked before) ----------


def _role(state: State, actor: str) -> Role:
    role = state.role_of(actor)
    if role is None:
        raise DomainError(Code.NOT_PARTICIPANT)
    return role


def _open(state: State) -> None:
    if state.ended:
        raise DomainError(Code.SESSION_ENDED)


def _any_time(state: State, actor: str, move: Move, now: float) -> None:
    """Nothing to check beyond who issues it: the server's presence reports, and a
    facilitator's tidying of the record, which stays possible after the end."""


def _while_open(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)


def _holder(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    if state.token_holder != actor:
        raise DomainError(Code.NOT_TOKEN_HOLDER, holder=state.token_holder)


def _holder_not_writing(state: State, actor: str, move: Move, now: float) -> None:
    """The holder's moves that would leave a silent round's drafts behind: a new step,
    the end. The round is revealed or closed first, so that no one's text is lost."""
    _holder(state, actor, move, now)
    if state.silent is not None:
        raise DomainError(Code.CONFLICT, what="silent_round_open")


def _silent_round_opens(state: State, actor: str, move: Move, now: float) -> None:
    _holder_not_writing(state, actor, move, now)
    if not _silent_kinds(state):
        raise DomainError(Code.WRONG_PHASE, phase=state.phase)


def _silent_round_on(state: State, actor: str, move: Move, now: float) -> None:
    _holder(state, actor, move, now)
    if state.silent is None:
        raise DomainError(Code.CONFLICT, what="no_silent_round")


def _drafting(state: State, actor: str, move: Move, now: float) -> None:
    """A member writes drafts while a silent round is open, in the kinds the step lets
    them post (a drop names no kind)."""
    _open(state)
    if state.silent is None:
        raise DomainError(Code.CONFLICT, what="no_silent_round")
    if len(move) > 1:
        try:
            kind = Kind(move[1])
        except ValueError:
            raise DomainError(Code.INVALID, field="kind") from None
        if kind not in _silent_kinds(state):
            raise DomainError(Code.WRONG_PHASE, phase=state.phase, kind=kind.value)


def _own_space(state: State, actor: str, move: Move, now: float) -> None:
    """The narrator's notes and marks are theirs at any time, after the end too: nothing
    to check beyond who they are."""


def _silent_kinds(state: State) -> frozenset[Kind]:
    """What members write in a silent round of the current step: the kinds they post
    there, if the step is one of questions or proposals (the method's rounds)."""
    kinds = _template(state).phase(state.phase).posts.get(Role.MEMBER, frozenset())
    return kinds if kinds & {Kind.QUESTION, Kind.PROPOSAL} else frozenset()


def _timer_idle(state: State, actor: str, move: Move, now: float) -> None:
    _holder(state, actor, move, now)
    if state.timer.running:
        raise DomainError(Code.CONFLICT, what="timer_running")


def _timer_running(state: State, actor: str, move: Move, now: float) -> None:
    _holder(state, actor, move, now)
    if not state.timer.running:
        raise DomainError(Code.CONFLICT, what="timer_stopped")


def _round_on(state: State, actor: str, move: Move, now: float) -> None:
    _holder(state, actor, move, now)
    if not state.floor.in_round:
        raise DomainError(Code.CONFLICT, what="no_round")


def _floor_taken(state: State, actor: str, move: Move, now: float) -> None:
    _holder(state, actor, move, now)
    if not state.floor.in_round and state.floor.speaker is None:
        raise DomainError(Code.CONFLICT, what="floor_free")


def _take_token(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    if state.token_holder == actor:
        raise DomainError(Code.CONFLICT, what="already_holder")
    holder = state.participants[state.token_holder]
    if holder.removed:
        return
    if holder.present or (holder.absent_since or 0.0) + TOKEN_TAKEOVER_SECONDS > now:
        raise DomainError(Code.HOLDER_PRESENT, holder=holder.id)


def _raise_hand(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    if actor in state.floor.hands:
        raise DomainError(Code.CONFLICT, what="hand_raised")


def _lower_hand(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    if actor not in state.floor.hands:
        raise DomainError(Code.CONFLICT, what="hand_down")


def _pass_turn(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    if not state.floor.in_round or state.floor.speaker != actor:
        raise DomainError(Code.NOT_YOUR_TURN, speaker=state.floor.speaker)


def _narrator_in(flag: str) -> Callable[[State, str, Move, float], None]:
    """The narrator's own acts, each open in the phases whose ``flag`` is set."""

    def guard(state: State, actor: str, move: Move, now: float) -> None:
        _open(state)
        if not getattr(_template(state).phase(state.phase), flag):
            raise DomainError(Code.WRONG_PHASE, phase=state.phase)

    return guard


def _post(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    role = _role(state, actor)  # the author's role, when posting for oneself
    try:
        kind = Kind(move[1])
    except ValueError:
        raise DomainError(Code.INVALID, field="kind") from None
    author = actor
    if len(move) > 2:
        author = move[2]
        if role is not Role.FACILITATOR:
            raise DomainError(Code.FORBIDDEN_ROLE)
        if state.role_of(author) not in (Role.MEMBER, Role.NARRATOR):
            raise DomainError(Code.NOT_FOUND, what="participant", id=author)
        role = state.participants[author].role
    if kind is Kind.FOLLOW_UP and state.follow_up_by:
        # In a group's cycle, what became of a situation is its narrator's to tell, as
        # a member tells it — even when they narrate this session too.
        if author != state.follow_up_by:
            raise DomainError(Code.FORBIDDEN_ROLE, kind=kind.value)
        role = Role.MEMBER
    template = _template(state)
    if not template.phase(state.phase).may_post(role, kind):
        if kind in template.kinds_for(role):
            raise DomainError(Code.WRONG_PHASE, phase=state.phase, kind=kind.value)
        raise DomainError(Code.FORBIDDEN_ROLE, kind=kind.value)
    if kind is Kind.FOLLOW_UP and state.group and not state.follows:
        raise DomainError(Code.NO_PREVIOUS_SESSION)  # the cycle begins: nothing to tell
    if state.silent is not None and role is Role.MEMBER and kind in _silent_kinds(state):
        raise DomainError(Code.WRITING_SILENTLY)
    floor = state.floor
    if floor.in_round and floor.speaker_only and role is Role.MEMBER and author != floor.speaker:
        raise DomainError(Code.NOT_YOUR_TURN, speaker=floor.speaker)


def _own_open_contribution(state: State, actor: str, move: Move) -> Contribution:
    _open(state)
    contribution = state.contributions.get(move[1])
    if contribution is None:
        raise DomainError(Code.NOT_FOUND, what="contribution", id=move[1])
    if not contribution.may_be_changed_by(actor):
        raise DomainError(Code.NOT_AUTHOR)
    if contribution.phase != state.phase:
        raise DomainError(Code.PHASE_CLOSED, phase=contribution.phase)
    return contribution


def _edit(state: State, actor: str, move: Move, now: float) -> None:
    if _own_open_contribution(state, actor, move).hidden is not None:
        raise DomainError(Code.HIDDEN)


def _withdraw(state: State, actor: str, move: Move, now: float) -> None:
    contribution = _own_open_contribution(state, actor, move)
    if state.is_referred_to(contribution.id):
        raise DomainError(Code.IN_USE)


def _roster(state: State, actor: str, move: Move, now: float) -> None:
    """Facilitators add and remove people while the session is open; the server keeps a
    group session's roster in step with the group's members, even after its end, so
    that a member admitted later can read the group's past sessions."""
    if actor != SYSTEM:
        _open(state)


def _remove(state: State, actor: str, move: Move, now: float) -> None:
    """Who may be removed, not only who removes: the token's holder passes it first,
    unless the server removes them (from the group) and another facilitator takes it."""
    _roster(state, actor, move, now)
    participant = _participant_id(state, move[1])
    if participant == actor:
        raise _invalid("participant", reason="self")  # one leaves by closing the room
    if participant == state.token_holder and (actor != SYSTEM or _heir(state, participant) is None):
        raise _invalid("participant", reason="token_holder")


# A move that is no command: a facilitator's new link for a participant, made by the
# server's HTTP API (links are not in the log). It has a guard so that ``allowed`` lists
# it, and the console offers it only where the server would make it.
REISSUE_LINK = "reissue_link"


def _relink(state: State, actor: str, move: Move, now: float) -> None:
    """A new link for someone else of the session; in a group's session only for whom
    the session itself invited (an observer): the group's people hold the group's link,
    which the group's page reissues."""
    participant = _participant_id(state, move[1])
    if participant == actor:
        raise _invalid("participant", reason="self")
    if state.group and state.role_of(participant) is not Role.OBSERVER:
        raise _invalid("participant", reason="group_link")


# --- guards of the time budget and of the closing round's weather ---------------------


def _borrow(state: State, actor: str, move: Move, now: float) -> None:
    """The holder's, in any step but the last (nothing comes after it to borrow from),
    while the step overruns: time alone opens it, at the countdown's end, which
    ``next_change`` tells the server to ask again at."""
    _holder(state, actor, move, now)
    if not budget.later_phases(state):
        raise DomainError(Code.WRONG_PHASE, phase=state.phase)
    if budget.overrun_minutes(state, now) <= 0:
        raise DomainError(Code.CONFLICT, what="no_overrun")


def _give_weather(state: State, actor: str, move: Move, now: float) -> None:
    _open(state)
    if not _template(state).phase(state.phase).weather:
        raise DomainError(Code.WRONG_PHASE, phase=state.phase)


def _reveal_weather(state: State, actor: str, move: Move, now: float) -> None:
    _holder(state, actor, move, now)
    if state.weather_revealed:
        raise DomainError(Code.CONFLICT, what="weather_revealed")
    if not state.weather:
        raise DomainError(Code.CONFLICT, what="no_weather")


_GUARDS: dict[str, Callable[[State, str, Move, float], None]] = {
    REISSUE_LINK: _relink,
    cmd.AddParticipant.type: _roster,
    cmd.RemoveParticipant.type: _remove,
    cmd.Rename.type: _while_open,
    cmd.Connect.type: _any_time,
    cmd.Disconnect.type: _any_time,
    cmd.GoToPhase.type: _holder_not_writing,
    cmd.StartTimer.type: _timer_idle,
    cmd.PauseTimer.type: _timer_running,
    cmd.ExtendTimer.type: _holder,
    cmd.SetTimeBox.type: _holder,
    cmd.SetTimerMode.type: _holder,
    cmd.PassToken.type: _holder,
    cmd.TakeToken.type: _take_token,
    cmd.StartRound.type: _holder,
    cmd.NextSpeaker.type: _round_on,
    cmd.PassTurn.type: _pass_turn,
    cmd.GiveFloor.type: _holder,
    cmd.EndRound.type: _floor_taken,
    cmd.RaiseHand.type: _raise_hand,
    cmd.LowerHand.type: _lower_hand,
    cmd.SetRoundPosting.type: _holder,
    cmd.WriteSituation.type: _narrator_in("situation"),
    cmd.Post.type: _post,
    cmd.Edit.type: _edit,
    cmd.Withdraw.type: _withdraw,
    cmd.WelcomeProposal.type: _narrator_in("welcome"),
    cmd.Hide.type: _any_time,
    cmd.Unhide.type: _any_time,
    cmd.SetVideoLink.type: _while_open,
    cmd.OpenSilentRound.type: _silent_round_opens,
    cmd.RevealSilentRound.type: _silent_round_on,
    cmd.CloseSilentRound.type: _silent_round_on,
    cmd.WriteDraft.type: _drafting,
    cmd.DropDraft.type: _drafting,
    cmd.WriteNotes.type: _own_space,
    cmd.MarkQuestion.type: _own_space,
    cmd.EndSession.type: _holder_not_writing,
    # The time budget and the closing round's weather.
    cmd.BorrowTime.type: _borrow,
    cmd.GiveWeather.type: _give_weather,
    cmd.RevealWeather.type: _reveal_weather,
}


# --- argument checks -------------------------------------------------------------------


def _template(state: State) -> Template:
    return TEMPLATES[state.template]


def _invalid(field: str, **params: Any) -> DomainError:
    return DomainError(Code.INVALID, field=field, **params)


def _body(kind: Kind, body: dict[str, str]) -> dict[str, str]:
    allowed = body_fields(kind)
    for name in body:
        if name not in allowed:
            raise _invalid(f"body.{name}")
    for name in allowed:
        checked_text(
            f"body.{name}", body.get(name, ""), TEXT_MAX, required=name in required_fields(kind)
        )
    if not any(value.strip() for value in body.values()):
        raise _invalid("body", reason="empty")
    return {name: body[name] for name in allowed if name in body}


def _references(state: State, kind: Kind, answers: str | None, cites: tuple[str, ...]) -> None:
    if kind is Kind.ANSWER:
        if answers is None:
            raise _invalid("answers", reason="required")
        question = state.contributions.get(answers)
        if question is None or question.kind is not Kind.QUESTION:
            raise DomainError(Code.NOT_FOUND, what="question", id=answers)
    elif answers is not None:
        raise _invalid("answers", reason="not_an_answer")
    if kind is not Kind.ACTION and cites:
        raise _invalid("cites", reason="not_an_action")
    if len(set(cites)) != len(cites):
        raise _invalid("cites", reason="repeated")
    for cited in cites:
        proposal = state.contributions.get(cited)
        if proposal is None or proposal.kind is not Kind.PROPOSAL:
            raise DomainError(Code.NOT_FOUND, what="proposal", id=cited)


def _target(state: State, contribution_id: str) -> Contribution:
    contribution = state.contributions.get(contribution_id)
    if contribution is None:
        raise DomainError(Code.NOT_FOUND, what="contribution", id=contribution_id)
    return contribution


def _participant_id(state: State, participant: str) -> str:
    if state.role_of(participant) is None:
        raise DomainError(Code.NOT_FOUND, what="participant", id=participant)
    return participant


def _video_link(url: str) -> str:
    if url and not (
        len(url) <= URL_MAX and re.fullmatch(r"https?://[^\s<>\"'`\\]+", url, flags=re.IGNORECASE)
    ):
        raise _invalid("url", reason="http_link")
    return url


# --- handlers: arguments -> events -----------------------------------------------------


def _create_session(state: State, actor: str, c: cmd.CreateSession, now: float) -> list[ev.Event]:
    if actor != SYSTEM:
        raise DomainError(Code.FORBIDDEN_ROLE)
    if state.created:
        raise DomainError(Code.CONFLICT, what="session_exists")
    template = TEMPLATES.get(c.template)
    if template is None:
        raise _invalid("template")
    facilitator = checked_identifier("facilitator", c.facilitator)
    boxes = {phase.key: phase.minutes for phase in template.phases}
    return [
        ev.SessionCreated(
            at=now,
            by=facilitator,
            template=template.key,
            title=checked_text("title", c.title, TITLE_MAX, lines=False),
            time_boxes=boxes,
            group=c.group and checked_identifier("group", c.group),
            follows=c.follows and checked_identifier("follows", c.follows),
            follow_up_by=c.follow_up_by and checked_identifier("follow_up_by", c.follow_up_by),
            budget_minutes=_budget(c.budget_minutes),
            auto_timer=c.auto_timer,
        ),
        ev.ParticipantAdded(
            at=now,
            by=facilitator,
            participant=facilitator,
            name=checked_name("name", c.name),
            role=Role.FACILITATOR,
        ),
    ]


def _add_participant(state: State, actor: str, c: cmd.AddParticipant, now: float) -> list[ev.Event]:
    participant = checked_identifier("participant", c.participant)
    if participant in state.participants:
        raise _invalid("participant", reason="taken")
    if c.role is Role.NARRATOR and state.narrator() is not None:
        raise _invalid("role", reason="one_narrator")
    name = checked_name("name", c.name)
    return [ev.ParticipantAdded(at=now, by=actor, participant=participant, name=name, role=c.role)]


def _remove_participant(
    state: State, actor: str, c: cmd.RemoveParticipant, now: float
) -> list[ev.Event]:
    removed = ev.ParticipantRemoved(at=now, by=actor, participant=c.participant)
    heir = _heir(state, c.participant)
    if c.participant != state.token_holder or heir is None:  # the guard let the server by
        return [removed]
    # The server, removing someone from a group, hands the token to another facilitator
    # so that the session is never without one.
    return [ev.TokenPassed(at=now, by=actor, to=heir), removed]


def _heir(state: State, participant: str) -> str | None:
    """Another facilitator still in the session, to take the token from ``participant``."""
    return next(
        (
            p.id
            for p in state.participants.values()
            if p.role is Role.FACILITATOR and not p.removed and p.id != participant
        ),
        None,
    )


def _rename(state: State, actor: str, c: cmd.Rename, now: float) -> list[ev.Event]:
    name = checked_name("name", c.name)
    return [ev.ParticipantRenamed(at=now, by=actor, participant=actor, name=name)]


def _connect(state: State, actor: str, c: cmd.Connect, now: float) -> list[ev.Event]:
    participant = _participant_id(state, c.participant)
    if state.participants[participant].present:
        raise _invalid("participant", reason="present")
    return [ev.Connected(at=now, by=actor, participant=participant)]


def _disconnect(state: State, actor: str, c: cmd.Disconnect, now: float) -> list[ev.Event]:
    participant = c.participant
    if participant not in state.participants:
        raise DomainError(Code.NOT_FOUND, what="participant", id=participant)
    if not state.participants[participant].present:
        raise _invalid("participant", reason="absent")
    return [ev.Disconnected(at=now, by=actor, participant=participant)]


def _budget(minutes: int) -> int:
    low, high = BUDGET_MINUTES
    if isinstance(minutes, bool) or not low <= minutes <= high:
        raise _invalid("budget_minutes", low=low, high=high)
    return minutes


def _go_to_phase(state: State, actor: str, c: cmd.GoToPhase, now: float) -> list[ev.Event]:
    if not _template(state).has_phase(c.phase) or c.phase == state.phase:
        raise _invalid("phase")
    # The step's countdown starts as one moves to it, unless the session keeps it manual;
    # never the other way round: time running out never moves the step.
    deadline = now + state.time_boxes[c.phase] * 60.0 if state.auto_timer else None
    return [ev.PhaseChanged(at=now, by=actor, phase=c.phase, deadline=deadline)]


def _set_timer_mode(state: State, actor: str, c: cmd.SetTimerMode, now: float) -> list[ev.Event]:
    if c.auto == state.auto_timer:
        raise _invalid("auto", reason="unchanged")
    return [ev.TimerModeSet(at=now, by=actor, auto=c.auto)]


def _start_timer(state: State, actor: str, c: cmd.StartTimer, now: float) -> list[ev.Event]:
    return [ev.TimerStarted(at=now, by=actor, deadline=now + state.timer.remaining)]


def _pause_timer(state: State, actor: str, c: cmd.PauseTimer, now: float) -> list[ev.Event]:
    assert state.timer.deadline is not None  # a running timer has one
    return [ev.TimerPaused(at=now, by=actor, remaining=state.timer.deadline - now)]


def _extend_timer(state: State, actor: str, c: cmd.ExtendTimer, now: float) -> list[ev.Event]:
    if c.seconds == 0 or abs(c.seconds) > EXTEND_MAX_SECONDS:
        raise _invalid("seconds", limit=EXTEND_MAX_SECONDS)
    return [ev.TimerExtended(at=now, by=actor, seconds=c.seconds)]


def _set_time_box(state: State, actor: str, c: cmd.SetTimeBox, now: float) -> list[ev.Event]:
    if not _template(state).has_phase(c.phase):
        raise _invalid("phase")
    if not 1 <= c.minutes <= TIME_BOX_MAX_MINUTES:
        raise _invalid("minutes", limit=TIME_BOX_MAX_MINUTES)
    return [ev.TimeBoxSet(at=now, by=actor, phase=c.phase, minutes=c.minutes)]


def _pass_token(state: State, actor: str, c: cmd.PassToken, now: float) -> list[ev.Event]:
    to = _participant_id(state, c.to)
    if state.role_of(to) is not Role.FACILITATOR or to == actor:
        raise _invalid("to", reason="another_facilitator")
    return [ev.TokenPassed(at=now, by=actor, to=to)]


def _take_token_handler(state: State, actor: str, c: cmd.TakeToken, now: float) -> list[ev.Event]:
    return [ev.TokenTaken(at=now, by=actor, previous=state.token_holder)]


def _start_round(state: State, actor: str, c: cmd.StartRound, now: float) -> list[ev.Event]:
    if not c.order or len(c.order) > ROUND_MAX or len(set(c.order)) != len(c.order):
        raise _invalid("order")
    for member in c.order:
        if state.role_of(member) is not Role.MEMBER:
            raise _invalid("order", reason="members_only", id=member)
    return [ev.RoundStarted(at=now, by=actor, order=c.order)]


def _next_speaker(state: State, actor: str, c: Command, now: float) -> list[ev.Event]:
    """The floor to the round's next member still in the session, or the round's end."""
    floor = state.floor
    assert floor.turn is not None  # the guard checked that a round is on
    for turn in range(floor.turn + 1, len(floor.order)):
        if state.role_of(floor.order[turn]) is Role.MEMBER:
            return [ev.FloorGiven(at=now, by=actor, to=floor.order[turn], turn=turn)]
    return [ev.RoundEnded(at=now, by=actor)]


def _give_floor(state: State, actor: str, c: cmd.GiveFloor, now: float) -> list[ev.Event]:
    to = _participant_id(state, c.to)
    if state.role_of(to) not in (Role.MEMBER, Role.NARRATOR) or to == state.floor.speaker:
        raise _invalid("to", reason="speaker")
    return [ev.FloorGiven(at=now, by=actor, to=to, turn=state.floor.turn)]


def _end_round(state: State, actor: str, c: cmd.EndRound, now: float) -> list[ev.Event]:
    if state.floor.in_round:
        return [ev.RoundEnded(at=now, by=actor)]
    return [ev.FloorGiven(at=now, by=actor, to=None, turn=None)]


def _raise(state: State, actor: str, c: cmd.RaiseHand, now: float) -> list[ev.Event]:
    return [ev.HandRaised(at=now, by=actor)]


def _lower(state: State, actor: str, c: cmd.LowerHand, now: float) -> list[ev.Event]:
    return [ev.HandLowered(at=now, by=actor, participant=actor)]


def _round_posting(state: State, actor: str, c: cmd.SetRoundPosting, now: float) -> list[ev.Event]:
    if c.speaker_only == state.floor.speaker_only:
        raise _invalid("speaker_only", reason="unchanged")
    return [ev.RoundPostingSet(at=now, by=actor, speaker_only=c.speaker_only)]


def _write_situation(state: State, actor: str, c: cmd.WriteSituation, now: float) -> list[ev.Event]:
    situation = Situation(
        title=checked_text("title", c.title, TITLE_MAX, lines=False),
        context=checked_text("context", c.context, TEXT_MAX, required=False),
        problem=checked_text("problem", c.problem, TEXT_MAX, required=False),
        question=checked_text("question", c.question, TEXT_MAX, required=False),
        request=checked_text("request", c.request, TEXT_MAX, required=False),
    )
    return [ev.SituationWritten(at=now, by=actor, situation=situation)]


def _post_handler(state: State, actor: str, c: cmd.Post, now: float) -> list[ev.Event]:
    body = _body(c.kind, c.body)
    _references(state, c.kind, c.answers, c.cites)
    author = c.on_behalf_of if c.on_behalf_of is not None else actor
    contribution = Contribution(
        id=f"c{state.next_number}",
        kind=c.kind,
        phase=state.phase,
        author=author,
        posted_by=actor if c.on_behalf_of is not None else None,
        body=body,
        answers=c.answers,
        cites=c.cites,
        at=now,
    )
    return [ev.ContributionPosted(at=now, by=actor, contribution=contribution)]


def _edit_handler(state: State, actor: str, c: cmd.Edit, now: float) -> list[ev.Event]:
    contribution = state.contributions[c.contribution]
    body = _body(contribution.kind, c.body)
    cites = contribution.cites if c.cites is None else c.cites
    _references(state, contribution.kind, contribution.answers, cites)
    return [
        ev.ContributionEdited(
            at=now, by=actor, contribution=contribution.id, body=body, cites=cites
        )
    ]


def _withdraw_handler(state: State, actor: str, c: cmd.Withdraw, now: float) -> list[ev.Event]:
    return [ev.ContributionWithdrawn(at=now, by=actor, contribution=c.contribution)]


def _welcome(state: State, actor: str, c: cmd.WelcomeProposal, now: float) -> list[ev.Event]:
    proposal = state.contributions.get(c.proposal)
    if proposal is None or proposal.kind is not Kind.PROPOSAL:
        raise DomainError(Code.NOT_FOUND, what="proposal", id=c.proposal)
    if proposal.welcome is c.mark:
        raise _invalid("mark", reason="unchanged")
    return [ev.ProposalWelcomed(at=now, by=actor, proposal=proposal.id, mark=c.mark)]


def _hide(state: State, actor: str, c: cmd.Hide, now: float) -> list[ev.Event]:
    contribution = _target(state, c.contribution)
    if contribution.hidden is not None:
        raise _invalid("contribution", reason="hidden")
    reason = checked_text("reason", c.reason, REASON_MAX, lines=False)
    return [ev.ContributionHidden(at=now, by=actor, contribution=contribution.id, reason=reason)]


def _unhide(state: State, actor: str, c: cmd.Unhide, now: float) -> list[ev.Event]:
    contribution = _target(state, c.contribution)
    if contribution.hidden is None:
        raise _invalid("contribution", reason="visible")
    return [
        ev.ContributionUnhidden(
            at=now, by=actor, contribution=contribution.id, body=contribution.body
        )
    ]


def _set_video_link(state: State, actor: str, c: cmd.SetVideoLink, now: float) -> list[ev.Event]:
    url = _video_link(c.url.strip())
    if url == state.video_link:
        raise _invalid("url", reason="unchanged")
    return [ev.VideoLinkSet(at=now, by=actor, url=url)]


def _open_silent_round(
    state: State, actor: str, c: cmd.OpenSilentRound, now: float
) -> list[ev.Event]:
    low, high = ROUND_MINUTES
    if isinstance(c.minutes, bool) or not low <= c.minutes <= high:
        raise _invalid("minutes", low=low, high=high)
    number = state.silent_rounds + 1
    return [
        ev.SilentRoundOpened(
            at=now, by=actor, number=number, minutes=c.minutes, deadline=now + c.minutes * 60.0
        )
    ]


def _reveal_silent_round(
    state: State, actor: str, c: cmd.RevealSilentRound, now: float
) -> list[ev.Event]:
    assert state.silent is not None  # the guard checked that a round is open
    if c.order_by not in ORDERS:
        raise _invalid("order_by")
    # A draft whose author left the session, or the members, is not theirs to publish now.
    drafts = [
        checked_draft(state, draft)
        for draft in c.drafts
        if state.role_of(draft.author) is Role.MEMBER and draft.kind in _silent_kinds(state)
    ]
    laid = laid_out(drafts, list(state.participants), c.order_by, c.seed)
    contributions = tuple(
        Contribution(
            id=f"c{state.next_number + index}",
            kind=draft.kind,
            phase=state.phase,
            author=draft.author,
            body=draft.body,
            at=now,
        )
        for index, draft in enumerate(laid)
    )
    turns = reading_turns([(posted.author, posted.id) for posted in contributions])
    return [
        ev.SilentRoundRevealed(
            at=now,
            by=actor,
            number=state.silent.number,
            order_by=c.order_by,
            contributions=contributions,
            order=tuple(author for author, _ in turns),
            reading=tuple(tuple(ids) for _, ids in turns),
        )
    ]


def checked_draft(state: State, draft: Draft) -> Draft:
    """``draft`` if its author may have written it in the open round: a member, in a
    kind of the step, within the limits of a post. The server checks a draft when it is
    written and again when revealed, since the roster may have changed in between."""
    if state.role_of(draft.author) is not Role.MEMBER:
        raise _invalid("author", reason="members_only", id=draft.author)
    if draft.kind not in _silent_kinds(state):
        raise DomainError(Code.WRONG_PHASE, phase=state.phase, kind=draft.kind.value)
    checked_identifier("draft", draft.id)
    return Draft(
        id=draft.id,
        author=draft.author,
        kind=draft.kind,
        body=_body(draft.kind, draft.body),
        at=draft.at,
    )


def written_draft(
    state: State, actor: str, command: cmd.WriteDraft, kept: int, now: float
) -> Draft:
    """The draft ``command`` writes, checked as ``decide`` checks a command: the move
    first, then its arguments; ``kept`` counts the author's other drafts of the round.
    Raises DomainError."""
    check_move(state, actor, move_of(command), now)
    if kept >= DRAFTS_MAX:
        raise _invalid("draft", reason="too_many", limit=DRAFTS_MAX)
    draft = Draft(id=command.draft, author=actor, kind=command.kind, body=command.body, at=now)
    return checked_draft(state, draft)


def dropped_draft(state: State, actor: str, command: cmd.DropDraft, now: float) -> str:
    """The id of the draft ``command`` drops, once the move is checked."""
    check_move(state, actor, move_of(command), now)
    return checked_identifier("draft", command.draft)


def written_notes(state: State, actor: str, command: cmd.WriteNotes, now: float) -> str:
    """The narrator's notes ``command`` writes, checked as ``decide`` checks a command."""
    check_move(state, actor, move_of(command), now)
    return checked_text("text", command.text, NOTES_MAX, required=False)


def marked_questions(
    state: State, actor: str, command: cmd.MarkQuestion, marked: tuple[str, ...], now: float
) -> tuple[str, ...]:
    """The questions the narrator means to come back to, once ``command`` marks (or
    unmarks) one of ``marked``'s; in the order they were posted."""
    check_move(state, actor, move_of(command), now)
    question = state.contributions.get(command.question)
    if question is None or question.kind is not Kind.QUESTION:
        raise DomainError(Code.NOT_FOUND, what="question", id=command.question)
    chosen = (set(marked) | {question.id}) if command.marked else (set(marked) - {question.id})
    return tuple(c for c in state.contributions if c in chosen)


def _close_silent_round(
    state: State, actor: str, c: cmd.CloseSilentRound, now: float
) -> list[ev.Event]:
    assert state.silent is not None
    return [ev.SilentRoundClosed(at=now, by=actor, number=state.silent.number)]


def _private(state: State, actor: str, c: Command, now: float) -> list[ev.Event]:
    """Drafts are kept by the room, never logged: ``written_draft`` and
    ``dropped_draft`` check them. Asked to decide one, the domain refuses."""
    raise _invalid("type", reason="private")


def _end_session(state: State, actor: str, c: cmd.EndSession, now: float) -> list[ev.Event]:
    return [ev.SessionEnded(at=now, by=actor)]


# --- handlers of the time budget and of the closing round's weather -------------------


def _borrow_time(state: State, actor: str, c: cmd.BorrowTime, now: float) -> list[ev.Event]:
    """The overrun, in whole minutes, from a later step that keeps at least a minute."""
    keys = budget.phase_keys(state)
    if c.from_phase not in keys:
        raise _invalid("from_phase")
    if c.from_phase not in budget.later_phases(state):
        raise _invalid("from_phase", reason="not_later")
    minutes = budget.overrun_minutes(state, now)  # the guard saw one
    box = state.time_boxes[c.from_phase]
    if box - minutes < budget.MIN_BOX_MINUTES:
        floor = budget.MIN_BOX_MINUTES
        raise _invalid("from_phase", reason="floor", minutes=minutes, box=box, floor=floor)
    return [
        ev.TimeBorrowed(
            at=now, by=actor, phase=state.phase, from_phase=c.from_phase, minutes=minutes
        )
    ]


def _give_weather_handler(
    state: State, actor: str, c: cmd.GiveWeather, now: float
) -> list[ev.Event]:
    if isinstance(c.mood, bool) or c.mood not in weather.MOODS:
        raise _invalid("mood", low=weather.MOODS[0], high=weather.MOODS[-1])
    word = checked_text("word", c.word, weather.WORD_MAX, lines=False)
    given = ev.WeatherGiven(at=now, by=actor, mood=c.mood, word=word)
    if state.weather_revealed:
        return [given]
    everyone = {**state.weather, actor: Weather(mood=c.mood, word=word)}
    if not weather.all_given(state, everyone):
        return [given]
    # The last one awaited: everyone's is shown together, by the same act.
    return [given, ev.WeatherRevealed(at=now, by=actor, weather=everyone)]


def _reveal_weather_handler(
    state: State, actor: str, c: cmd.RevealWeather, now: float
) -> list[ev.Event]:
    return [ev.WeatherRevealed(at=now, by=actor, weather=dict(state.weather))]


# Each handler takes its own command type; the table, any.
_RULES: dict[type[Command], Callable[[State, str, Any, float], list[ev.Event]]] = {
    cmd.CreateSession: _create_session,
    cmd.AddParticipant: _add_participant,
    cmd.RemoveParticipant: _remove_participant,
    cmd.Rename: _rename,
    cmd.Connect: _connect,
    cmd.Disconnect: _disconnect,
    cmd.GoToPhase: _go_to_phase,
    cmd.StartTimer: _start_timer,
    cmd.PauseTimer: _pause_timer,
    cmd.ExtendTimer: _extend_timer,
    cmd.SetTimeBox: _set_time_box,
    cmd.SetTimerMode: _set_timer_mode,
    cmd.PassToken: _pass_token,
    cmd.TakeToken: _take_token_handler,
    cmd.StartRound: _start_round,
    cmd.NextSpeaker: _next_speaker,
    cmd.PassTurn: _next_speaker,
    cmd.GiveFloor: _give_floor,
    cmd.EndRound: _end_round,
    cmd.RaiseHand: _raise,
    cmd.LowerHand: _lower,
    cmd.SetRoundPosting: _round_posting,
    cmd.WriteSituation: _write_situation,
    cmd.Post: _post_handler,
    cmd.Edit: _edit_handler,
    cmd.Withdraw: _withdraw_handler,
    cmd.WelcomeProposal: _welcome,
    cmd.Hide: _hide,
    cmd.Unhide: _unhide,
    cmd.SetVideoLink: _set_video_link,
    cmd.OpenSilentRound: _open_silent_round,
    cmd.RevealSilentRound: _reveal_silent_round,
    cmd.CloseSilentRound: _close_silent_round,
    cmd.WriteDraft: _private,
    cmd.DropDraft: _private,
    cmd.WriteNotes: _private,
    cmd.MarkQuestion: _private,
    cmd.EndSession: _end_session,
    cmd.BorrowTime: _borrow_time,
    cmd.GiveWeather: _give_weather_handler,
    cmd.RevealWeather: _reveal_weather_handler,
}

GUARDED_TYPES = tuple(_GUARDS)

# Who ever issues each command type: the first test of every move (``check_move``).
# A type not named here is the facilitators' alone; the server's presence reports are
# no participant's. "What may I do" asks the guards only about these, as the property
# test checks (allowed says yes exactly when decide accepts).
_EVERY_ROLE = frozenset({Role.FACILITATOR, Role.NARRATOR, Role.MEMBER})
_SPEAKERS = frozenset({Role.NARRATOR, Role.MEMBER})
_ROLES_OF_TYPE: dict[str, frozenset[Role]] = {
    cmd.Connect.type: frozenset(),
    cmd.Disconnect.type: frozenset(),
    cmd.Rename.type: _EVERY_ROLE,
    cmd.RaiseHand.type: _SPEAKERS,
    cmd.LowerHand.type: _SPEAKERS,
    cmd.PassTurn.type: _SPEAKERS,
    cmd.WriteSituation.type: frozenset({Role.NARRATOR}),
    cmd.WelcomeProposal.type: frozenset({Role.NARRATOR}),
    cmd.Post.type: _EVERY_ROLE,
    cmd.Edit.type: _EVERY_ROLE,
    cmd.Withdraw.type: _EVERY_ROLE,
    cmd.WriteDraft.type: frozenset({Role.MEMBER}),
    cmd.DropDraft.type: frozenset({Role.MEMBER}),
    cmd.WriteNotes.type: frozenset({Role.NARRATOR}),
    cmd.MarkQuestion.type: frozenset({Role.NARRATOR}),
    cmd.GiveWeather.type: weather.GIVERS,
}
TYPES_FOR_ROLE: dict[Role, tuple[str, ...]] = {
    role: tuple(
        kind
        for kind in GUARDED_TYPES
        if role in _ROLES_OF_TYPE.get(kind, frozenset({Role.FACILITATOR}))
    )
    for role in Role
}
# What the server (SYSTEM) issues as moves: presence, and a group session's roster.
# Creating the session is not a move; ``create_session``, ``connect`` and
# ``disconnect`` are the server's alone, refused ``forbidden_role`` to any participant.
SERVER_TYPES: tuple[str, ...] = (
    cmd.Connect.type,
    cmd.Disconnect.type,
    cmd.AddParticipant.type,
    cmd.RemoveParticipant.type,
)
