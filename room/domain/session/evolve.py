"""events -> state: the fold. Trusts its events; ``decide`` did the checking."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from room.domain.session import events as ev
from room.domain.session.advice import reads_as_advice
from room.domain.session.roles import Kind
from room.domain.session.state import (
    Borrowing,
    Contribution,
    Floor,
    Participant,
    SilentRound,
    State,
    Timer,
    Weather,
)


def evolve(state: State, event: ev.Event) -> State:
    """The state after one more event."""
    return _APPLY[type(event)](state, event)


def fold(events: Iterable[ev.Event], state: State | None = None) -> State:
    """The state after every event, from an empty session unless ``state`` is given."""
    state = state if state is not None else State()
    for event in events:
        state = evolve(state, event)
    return state


def _participant(state: State, participant: str, **changes: Any) -> State:
    record = replace(state.participants[participant], **changes)
    return replace(state, participants={**state.participants, participant: record})


def _contribution(state: State, contribution: str, **changes: Any) -> State:
    record = replace(state.contributions[contribution], **changes)
    return replace(state, contributions=state.contributions.replaced(record))


def _floor_moved(floor: Floor, to: str | None, turn: int | None, at: float) -> Floor:
    """The floor passes to ``to``; the previous speaker's time is added up."""
    spoken = floor.spoken
    if floor.speaker is not None and floor.speaker_since is not None:
        held = max(0.0, at - floor.speaker_since)
        spoken = {**spoken, floor.speaker: spoken.get(floor.speaker, 0.0) + held}
    hands = tuple(hand for hand in floor.hands if hand != to)
    return replace(
        floor,
        speaker=to,
        speaker_since=at if to is not None else None,
        turn=turn,
        hands=hands,
        spoken=spoken,
    )


def _session_created(state: State, e: ev.SessionCreated) -> State:
    first_phase = next(iter(e.time_boxes))
    return replace(
        state,
        template=e.template,
        title=e.title,
        created_at=e.at,
        phase=first_phase,
        time_boxes=dict(e.time_boxes),
        timer=Timer(remaining=e.time_boxes[first_phase] * 60.0),
        token_holder=e.by,
        participants={},
        group=e.group,
        follows=e.follows,
        follow_up_by=e.follow_up_by,
        budget_minutes=e.budget_minutes,
        auto_timer=e.auto_timer,
        planned_boxes=dict(e.time_boxes),
    )


def _participant_added(state: State, e: ev.ParticipantAdded) -> State:
    record = Participant(id=e.participant, name=e.name, role=e.role, absent_since=e.at)
    return replace(state, participants={**state.participants, e.participant: record})


def _participant_removed(state: State, e: ev.ParticipantRemoved) -> State:
    floor = state.floor
    if floor.speaker == e.participant:
        floor = _floor_moved(floor, None, floor.turn, e.at)
    floor = replace(floor, hands=tuple(h for h in floor.hands if h != e.participant))
    state = replace(state, floor=floor)
    return _participant(state, e.participant, removed=True, present=False)


def _participant_renamed(state: State, e: ev.ParticipantRenamed) -> State:
    return _participant(state, e.participant, name=e.name)


def _connected(state: State, e: ev.Connected) -> State:
    return _participant(state, e.participant, present=True)


def _disconnected(state: State, e: ev.Disconnected) -> State:
    return _participant(state, e.participant, present=False, absent_since=e.at)


def _phase_changed(state: State, e: ev.PhaseChanged) -> State:
    # A new step starts with its full time box, counting down if moving started it, with
    # no round and no raised hands.
    floor = _floor_moved(state.floor, None, None, e.at)
    if e.deadline is not None:
        timer = Timer(running=True, deadline=e.deadline)
    else:
        timer = Timer(remaining=state.time_boxes[e.phase] * 60.0)
    return replace(
        _stretch_closed(state, e.at),
        phase=e.phase,
        timer=timer,
        floor=replace(floor, order=(), hands=()),
        started_at=_began(state, e.at),
        reading=(),
        phase_since=e.at,
    )


def _began(state: State, at: float) -> float:
    return at if state.started_at is None else state.started_at


def _timer_started(state: State, e: ev.TimerStarted) -> State:
    timer = Timer(running=True, deadline=e.deadline)
    since = state.phase_since if state.phase_since is not None else e.at  # the start
    return replace(state, timer=timer, started_at=_began(state, e.at), phase_since=since)


def _timer_mode_set(state: State, e: ev.TimerModeSet) -> State:
    return replace(state, auto_timer=e.auto)


def _timer_paused(state: State, e: ev.TimerPaused) -> State:
    return replace(state, timer=Timer(remaining=e.remaining))


def _timer_extended(state: State, e: ev.TimerExtended) -> State:
    timer = state.timer
    if timer.running and timer.deadline is not None:
        return replace(state, timer=replace(timer, deadline=timer.deadline + e.seconds))
    return replace(state, timer=replace(timer, remaining=timer.remaining + e.seconds))


def _time_box_set(state: State, e: ev.TimeBoxSet) -> State:
    delta = (e.minutes - state.time_boxes[e.phase]) * 60.0
    state = replace(state, time_boxes={**state.time_boxes, e.phase: e.minutes})
    if e.phase == state.phase:
        state = _timer_extended(state, ev.TimerExtended(at=e.at, by=e.by, seconds=int(delta)))
    return state


def _token_passed(state: State, e: ev.TokenPassed) -> State:
    return replace(state, token_holder=e.to)


def _token_taken(state: State, e: ev.TokenTaken) -> State:
    return replace(state, token_holder=e.by)


def _round_started(state: State, e: ev.RoundStarted) -> State:
    floor = _floor_moved(state.floor, e.order[0], 0, e.at)
    return replace(state, floor=replace(floor, order=e.order), reading=())


def _floor_given(state: State, e: ev.FloorGiven) -> State:
    return replace(state, floor=_floor_moved(state.floor, e.to, e.turn, e.at))


def _round_ended(state: State, e: ev.RoundEnded) -> State:
    floor = _floor_moved(state.floor, None, None, e.at)
    return replace(state, floor=replace(floor, order=()), reading=())


def _hand_raised(state: State, e: ev.HandRaised) -> State:
    return replace(state, floor=replace(state.floor, hands=(*state.floor.hands, e.by)))


def _hand_lowered(state: State, e: ev.HandLowered) -> State:
    hands = tuple(hand for hand in state.floor.hands if hand != e.participant)
    return replace(state, floor=replace(state.floor, hands=hands))


def _round_posting_set(state: State, e: ev.RoundPostingSet) -> State:
    return replace(state, floor=replace(state.floor, speaker_only=e.speaker_only))


def _situation_written(state: State, e: ev.SituationWritten) -> State:
    return replace(state, situation=e.situation)


def _contribution_posted(state: State, e: ev.ContributionPosted) -> State:
    contribution: Contribution = e.contribution
    advice_posted = state.advice_posted
    if contribution.kind is Kind.QUESTION and reads_as_advice(contribution.body.get("text", "")):
        phase = contribution.phase
        advice_posted = {**advice_posted, phase: advice_posted.get(phase, 0) + 1}
    return replace(
        state,
        contributions=state.contributions.added(contribution),
        next_number=state.next_number + 1,
        advice_posted=advice_posted,
    )


def _contribution_edited(state: State, e: ev.ContributionEdited) -> State:
    return _contribution(state, e.contribution, body=e.body, cites=e.cites, edited_at=e.at)


def _contribution_withdrawn(state: State, e: ev.ContributionWithdrawn) -> State:
    return replace(state, contributions=state.contributions.without(e.contribution))


def _proposal_welcomed(state: State, e: ev.ProposalWelcomed) -> State:
    return _contribution(state, e.proposal, welcome=e.mark)


def _contribution_hidden(state: State, e: ev.ContributionHidden) -> State:
    return _contribution(state, e.contribution, hidden=e.reason)


def _contribution_unhidden(state: State, e: ev.ContributionUnhidden) -> State:
    return _contribution(state, e.contribution, hidden=None, body=e.body)


def _video_link_set(state: State, e: ev.VideoLinkSet) -> State:
    return replace(state, video_link=e.url)


def _silent_round_opened(state: State, e: ev.SilentRoundOpened) -> State:
    silent = SilentRound(number=e.number, phase=state.phase, opened_at=e.at, deadline=e.deadline)
    return replace(state, silent=silent, silent_rounds=e.number)


def _silent_round_revealed(state: State, e: ev.SilentRoundRevealed) -> State:
    for contribution in e.contributions:
        state = _contribution_posted(
            state, ev.ContributionPosted(at=e.at, by=e.by, contribution=contribution)
        )
    state = replace(state, silent=None)
    if not e.order:
        return state
    state = _round_started(state, ev.RoundStarted(at=e.at, by=e.by, order=e.order))
    return replace(state, reading=e.reading)


def _silent_round_closed(state: State, e: ev.SilentRoundClosed) -> State:
    return replace(state, silent=None)


def _session_ended(state: State, e: ev.SessionEnded) -> State:
    floor = _floor_moved(state.floor, None, None, e.at)
    timer = state.timer
    if timer.running and timer.deadline is not None:
        timer = Timer(remaining=timer.deadline - e.at)
    state = _stretch_closed(state, e.at)
    return replace(state, ended_at=e.at, floor=replace(floor, order=(), hands=()), timer=timer)


# --- the time budget and the closing round's weather -----------------------------------


def _stretch_closed(state: State, at: float) -> State:
    """The current step's time since its stretch began, added to its seconds: at a step
    change and at the end, so that the time spent per step is a sum kept in the state."""
    if state.phase_since is None:
        return state
    held = max(0.0, at - state.phase_since)
    seconds = {**state.phase_seconds, state.phase: state.phase_seconds.get(state.phase, 0.0) + held}
    return replace(state, phase_seconds=seconds, phase_since=None)


def _time_borrowed(state: State, e: ev.TimeBorrowed) -> State:
    boxes = {
        **state.time_boxes,
        e.phase: state.time_boxes[e.phase] + e.minutes,
        e.from_phase: state.time_boxes[e.from_phase] - e.minutes,
    }
    lent = Borrowing(at=e.at, by=e.by, phase=e.phase, from_phase=e.from_phase, minutes=e.minutes)
    state = replace(state, time_boxes=boxes, borrowings=(*state.borrowings, lent))
    if e.phase == state.phase:
        state = _timer_extended(state, ev.TimerExtended(at=e.at, by=e.by, seconds=e.minutes * 60))
    return state


def _weather_given(state: State, e: ev.WeatherGiven) -> State:
    given = Weather(mood=e.mood, word=e.word)
    return replace(state, weather={**state.weather, e.by: given})


def _weather_revealed(state: State, e: ev.WeatherRevealed) -> State:
    return replace(state, weather=dict(e.weather), weather_revealed=True)


_APPLY: dict[type[Any], Callable[[State, Any], State]] = {
    ev.SessionCreated: _session_created,
    ev.ParticipantAdded: _participant_added,
    ev.ParticipantRemoved: _participant_removed,
    ev.ParticipantRenamed: _participant_renamed,
    ev.Connected: _connected,
    ev.Disconnected: _disconnected,
    ev.PhaseChanged: _phase_changed,
    ev.TimerStarted: _timer_started,
    ev.TimerPaused: _timer_paused,
    ev.TimerExtended: _timer_extended,
    ev.TimeBoxSet: _time_box_set,
    ev.TimerModeSet: _timer_mode_set,
    ev.TokenPassed: _token_passed,
    ev.TokenTaken: _token_taken,
    ev.RoundStarted: _round_started,
    ev.FloorGiven: _floor_given,
    ev.RoundEnded: _round_ended,
    ev.HandRaised: _hand_raised,
    ev.HandLowered: _hand_lowered,
    ev.RoundPostingSet: _round_posting_set,
    ev.SituationWritten: _situation_written,
    ev.ContributionPosted: _contribution_posted,
    ev.ContributionEdited: _contribution_edited,
    ev.ContributionWithdrawn: _contribution_withdrawn,
    ev.ProposalWelcomed: _proposal_welcomed,
    ev.ContributionHidden: _contribution_hidden,
    ev.ContributionUnhidden: _contribution_unhidden,
    ev.VideoLinkSet: _video_link_set,
    ev.SilentRoundOpened: _silent_round_opened,
    ev.SilentRoundRevealed: _silent_round_revealed,
    ev.SilentRoundClosed: _silent_round_closed,
    ev.SessionEnded: _session_ended,
    ev.TimeBorrowed: _time_borrowed,
    ev.WeatherGiven: _weather_given,
    ev.WeatherRevealed: _weather_revealed,
}
