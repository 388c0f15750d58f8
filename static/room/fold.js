// events -> state: a small mirror of room/domain/session/evolve.py. Bookkeeping only: the
// server decides, this folds what it decided. The state keeps exactly the shape of
// the Python plain state (same keys, same nesting, lists for tuples), so that a test
// can compare it with GET /api/sessions/{id}.

import { readsAsAdvice } from "./advice.js";

export function emptyState() {
  return {
    template: "",
    title: "",
    created_at: 0,
    phase: "",
    time_boxes: {},
    timer: { running: false, deadline: null, remaining: 0 },
    token_holder: "",
    participants: {},
    contributions: {},
    next_number: 1,
    floor: {
      order: [],
      turn: null,
      speaker: null,
      speaker_since: null,
      hands: [],
      speaker_only: true,
      spoken: {},
    },
    situation: null,
    video_link: "",
    ended_at: null,
    group: "",
    follows: "",
    follow_up_by: "",
    budget_minutes: 150,
    auto_timer: true,
    started_at: null,
    advice_posted: {},
    silent: null,
    silent_rounds: 0,
    reading: [],
    planned_boxes: {},
    phase_seconds: {},
    phase_since: null,
    borrowings: [],
    weather: {},
    weather_revealed: false,
  };
}

// The current step's time since its stretch began, added to its seconds (at a step
// change and at the end), as evolve.py's _stretch_closed.
function stretchClosed(state, at) {
  if (state.phase_since === null) return state;
  const held = Math.max(0, at - state.phase_since);
  const seconds = { ...state.phase_seconds, [state.phase]: (state.phase_seconds[state.phase] ?? 0) + held };
  return { ...state, phase_seconds: seconds, phase_since: null };
}

function withParticipant(state, id, changes) {
  const record = { ...state.participants[id], ...changes };
  return { ...state, participants: { ...state.participants, [id]: record } };
}

function withContribution(state, id, changes) {
  const record = { ...state.contributions[id], ...changes };
  return { ...state, contributions: { ...state.contributions, [id]: record } };
}

// The floor passes to `to`; the previous speaker's time is added up.
function floorMoved(floor, to, turn, at) {
  let spoken = floor.spoken;
  if (floor.speaker !== null && floor.speaker_since !== null) {
    const held = Math.max(0, at - floor.speaker_since);
    spoken = { ...spoken, [floor.speaker]: (spoken[floor.speaker] ?? 0) + held };
  }
  return {
    ...floor,
    speaker: to,
    speaker_since: to !== null ? at : null,
    turn,
    hands: floor.hands.filter((hand) => hand !== to),
    spoken,
  };
}

function timerExtended(state, seconds) {
  const timer = state.timer;
  if (timer.running && timer.deadline !== null) {
    return { ...state, timer: { ...timer, deadline: timer.deadline + seconds } };
  }
  return { ...state, timer: { ...timer, remaining: timer.remaining + seconds } };
}

const APPLY = {
  session_created(state, e) {
    const first = Object.keys(e.time_boxes)[0];
    return {
      ...state,
      template: e.template,
      title: e.title,
      created_at: e.at,
      phase: first,
      time_boxes: { ...e.time_boxes },
      timer: { running: false, deadline: null, remaining: e.time_boxes[first] * 60 },
      token_holder: e.by,
      participants: {},
      group: e.group ?? "",
      follows: e.follows ?? "",
      follow_up_by: e.follow_up_by ?? "",
      budget_minutes: e.budget_minutes ?? 150,
      auto_timer: e.auto_timer ?? true,
      planned_boxes: { ...e.time_boxes },
    };
  },
  participant_added(state, e) {
    const record = {
      id: e.participant,
      name: e.name,
      role: e.role,
      present: false,
      absent_since: e.at,
      removed: false,
    };
    return { ...state, participants: { ...state.participants, [e.participant]: record } };
  },
  participant_removed(state, e) {
    let floor = state.floor;
    if (floor.speaker === e.participant) floor = floorMoved(floor, null, floor.turn, e.at);
    floor = { ...floor, hands: floor.hands.filter((h) => h !== e.participant) };
    return withParticipant({ ...state, floor }, e.participant, { removed: true, present: false });
  },
  participant_renamed: (state, e) => withParticipant(state, e.participant, { name: e.name }),
  connected: (state, e) => withParticipant(state, e.participant, { present: true }),
  disconnected: (state, e) =>
    withParticipant(state, e.participant, { present: false, absent_since: e.at }),
  phase_changed(state, e) {
    // A new step starts with its full time box, counting down if moving started it, with
    // no round and no raised hands.
    const floor = floorMoved(state.floor, null, null, e.at);
    const deadline = e.deadline ?? null;
    return {
      ...stretchClosed(state, e.at),
      phase: e.phase,
      phase_since: e.at,
      timer:
        deadline !== null
          ? { running: true, deadline, remaining: 0 }
          : { running: false, deadline: null, remaining: state.time_boxes[e.phase] * 60 },
      floor: { ...floor, order: [], hands: [] },
      started_at: state.started_at ?? e.at,
      reading: [],
    };
  },
  timer_started: (state, e) => ({
    ...state,
    timer: { running: true, deadline: e.deadline, remaining: 0 },
    started_at: state.started_at ?? e.at,
    phase_since: state.phase_since ?? e.at,
  }),
  timer_mode_set: (state, e) => ({ ...state, auto_timer: e.auto }),
  timer_paused: (state, e) => ({
    ...state,
    timer: { running: false, deadline: null, remaining: e.remaining },
  }),
  timer_extended: (state, e) => timerExtended(state, e.seconds),
  time_box_set(state, e) {
    const delta = Math.trunc((e.minutes - state.time_boxes[e.phase]) * 60);
    let next = { ...state, time_boxes: { ...state.time_boxes, [e.phase]: e.minutes } };
    if (e.phase === next.phase) next = timerExtended(next, delta);
    return next;
  },
  token_passed: (state, e) => ({ ...state, token_holder: e.to }),
  token_taken: (state, e) => ({ ...state, token_holder: e.by }),
  round_started(state, e) {
    const floor = floorMoved(state.floor, e.order[0], 0, e.at);
    return { ...state, floor: { ...floor, order: [...e.order] }, reading: [] };
  },
  floor_given: (state, e) => ({ ...state, floor: floorMoved(state.floor, e.to, e.turn, e.at) }),
  round_ended(state, e) {
    const floor = floorMoved(state.floor, null, null, e.at);
    return { ...state, floor: { ...floor, order: [] }, reading: [] };
  },
  hand_raised: (state, e) => ({
    ...state,
    floor: { ...state.floor, hands: [...state.floor.hands, e.by] },
  }),
  hand_lowered: (state, e) => ({
    ...state,
    floor: { ...state.floor, hands: state.floor.hands.filter((h) => h !== e.participant) },
  }),
  round_posting_set: (state, e) => ({
    ...state,
    floor: { ...state.floor, speaker_only: e.speaker_only },
  }),
  situation_written: (state, e) => ({ ...state, situation: { ...e.situation } }),
  contribution_posted(state, e) {
    const c = e.contribution;
    let adviceCount = state.advice_posted;
    // The same rules as evolve.py, from the same data (advice.js); a count, never whose.
    if (c.kind === "question" && readsAsAdvice((c.body || {}).text || "").length) {
      adviceCount = { ...adviceCount, [c.phase]: (adviceCount[c.phase] || 0) + 1 };
    }
    return {
      ...state,
      contributions: { ...state.contributions, [c.id]: { ...c, cites: [...c.cites] } },
      next_number: state.next_number + 1,
      advice_posted: adviceCount,
    };
  },
  contribution_edited: (state, e) =>
    withContribution(state, e.contribution, { body: e.body, cites: [...e.cites], edited_at: e.at }),
  contribution_withdrawn(state, e) {
    const contributions = { ...state.contributions };
    delete contributions[e.contribution];
    return { ...state, contributions };
  },
  proposal_welcomed: (state, e) => withContribution(state, e.proposal, { welcome: e.mark }),
  contribution_hidden: (state, e) => withContribution(state, e.contribution, { hidden: e.reason }),
  contribution_unhidden: (state, e) =>
    withContribution(state, e.contribution, { hidden: null, body: e.body }),
  video_link_set: (state, e) => ({ ...state, video_link: e.url }),
  silent_round_opened: (state, e) => ({
    ...state,
    silent: { number: e.number, phase: state.phase, opened_at: e.at, deadline: e.deadline },
    silent_rounds: e.number,
  }),
  silent_round_revealed(state, e) {
    // Every draft at once, as posts of one event; then the round table that reads them.
    for (const contribution of e.contributions) {
      state = APPLY.contribution_posted(state, { ...e, type: "contribution_posted", contribution });
    }
    state = { ...state, silent: null };
    if (!e.order.length) return state;
    state = APPLY.round_started(state, { ...e, type: "round_started" });
    return { ...state, reading: e.reading.map((ids) => [...ids]) };
  },
  silent_round_closed: (state) => ({ ...state, silent: null }),
  session_ended(state, e) {
    const floor = floorMoved(state.floor, null, null, e.at);
    let timer = state.timer;
    if (timer.running && timer.deadline !== null) {
      timer = { running: false, deadline: null, remaining: timer.deadline - e.at };
    }
    return { ...stretchClosed(state, e.at), ended_at: e.at, floor: { ...floor, order: [], hands: [] }, timer };
  },
  // The time budget: the overrun moved from a later step's box into the current one's.
  time_borrowed(state, e) {
    const boxes = {
      ...state.time_boxes,
      [e.phase]: state.time_boxes[e.phase] + e.minutes,
      [e.from_phase]: state.time_boxes[e.from_phase] - e.minutes,
    };
    const lent = { at: e.at, by: e.by, phase: e.phase, from_phase: e.from_phase, minutes: e.minutes };
    let next = { ...state, time_boxes: boxes, borrowings: [...state.borrowings, lent] };
    if (e.phase === next.phase) next = timerExtended(next, e.minutes * 60);
    return next;
  },
  // The weather: another's arrives sealed (mood 0, word "") until the reveal carries all.
  weather_given: (state, e) => ({ ...state, weather: { ...state.weather, [e.by]: { mood: e.mood, word: e.word } } }),
  weather_revealed: (state, e) => ({ ...state, weather: { ...e.weather }, weather_revealed: true }),
};

// The state after one more event. Unknown event types leave it as it is (a newer server).
export function evolve(state, event) {
  const apply = APPLY[event.type];
  return apply ? apply(state, event) : state;
}

// What a reader of `role` may see: hidden text, and the count of questions that read
// as advice, are for facilitators only (the mirror of
// room/domain/session/visibility.py's visible_state).
export function visibleState(state, role) {
  if (role === "facilitator") return state;
  if (Object.keys(state.advice_posted || {}).length) state = { ...state, advice_posted: {} };
  const hidden = Object.values(state.contributions).filter(
    (c) => c.hidden !== null && Object.keys(c.body).length > 0,
  );
  if (hidden.length === 0) return state;
  const contributions = { ...state.contributions };
  for (const c of hidden) contributions[c.id] = { ...c, body: {} };
  return { ...state, contributions };
}
