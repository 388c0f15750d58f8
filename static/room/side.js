// The side column: time, the floor, who is here. Buttons show only when the server's
// moves allow them.

import { html, useEffect, useRef, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { clock, duration, phrase, t } from "./i18n.js";
import { useCommand, useTick, useId } from "./hooks.js";
import { Avatar, canDo, nameOf, phaseKeys } from "./contributions.js";

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

export function people(state) {
  return Object.values(state.participants).filter((p) => !p.removed);
}

// --- time ---------------------------------------------------------------------------

export function remainingSeconds(state, serverNow) {
  const timer = state.timer;
  return timer.running && timer.deadline !== null ? timer.deadline - serverNow : timer.remaining;
}

// What is happening now, always in view at the top of the room: the step and its
// countdown, who has the floor and the hands raised, and the actions used every minute
// (the step's start and pause, the next step; one's own hand). The panels below hold
// the rest.
export function NowBar({ ctx }) {
  useTick(1000);
  const { state, room } = ctx;
  const time = useCommand(room);
  const remaining = remainingSeconds(state, room.serverNow());
  const over = remaining < 0;
  const box = state.time_boxes[state.phase];
  const shown = over ? t("timer.overrun", { time: clock(-remaining) }) : clock(Math.ceil(remaining));
  let status = t("timer.paused");
  if (state.ended_at !== null) status = t("timer.ended");
  else if (state.timer.running) status = t("timer.running");
  const buttons = [];
  if (canDo(ctx, "start_timer"))
    buttons.push(html`<button type="button" disabled=${time.busy} onClick=${() => time.run({ type: "start_timer" })}>
      ${t("timer.start")}
    </button>`);
  if (canDo(ctx, "pause_timer"))
    buttons.push(html`<button type="button" disabled=${time.busy} onClick=${() => time.run({ type: "pause_timer" })}>
      ${t("timer.pause")}
    </button>`);
  return html`<section class="now-bar" aria-label=${t("now.label")}>
    <div class="now-step">
      <p class="timer-phase">${t(`phase.${state.phase}`)}</p>
      <div
        class=${`countdown${over ? " overrun" : ""}`}
        role="timer"
        aria-label=${t("timer.remaining")}
        data-seconds=${Math.round(remaining)}
      >
        ${shown}
      </div>
      <p class="timer-meta">${status}<span class="timer-box"> · ${t("timer.box", { minutes: box })}</span></p>
    </div>
    ${buttons.length ? html`<div class="row now-time">${buttons}</div>` : null}
    <${StepControls} ctx=${ctx} />
    <${FloorNow} ctx=${ctx} />
    <${ErrorNote} error=${time.error} />
    <${Shortcuts} ctx=${ctx} />
  </section>`;
}

// The actions used every minute, on single keys — never while one types in a field.
// Each key does only what the server's moves allow now, as the buttons do.
function shortcutCommand(ctx, key) {
  const { state } = ctx;
  const keys = phaseKeys(state);
  const i = keys.indexOf(state.phase);
  const step = (to) => (to && canDo(ctx, "go_to_phase") ? { type: "go_to_phase", phase: to } : null);
  if (key === "n") return step(keys[i + 1]);
  if (key === "p") return step(i > 0 ? keys[i - 1] : null);
  if (key === "t") {
    if (canDo(ctx, "start_timer")) return { type: "start_timer" };
    if (canDo(ctx, "pause_timer")) return { type: "pause_timer" };
  }
  if (key === "m") {
    if (canDo(ctx, "raise_hand")) return { type: "raise_hand" };
    if (canDo(ctx, "lower_hand")) return { type: "lower_hand" };
  }
  const floor = floorMoves(ctx);
  if (key === "g") return floor.give;
  if (key === "r") return floor.round;
  return null;
}

// The floor's minute-to-minute moves for the bar and its keys: the floor to the first
// raised hand; the round table started in the roster's order, or passed to the next.
function floorMoves(ctx) {
  const { state } = ctx;
  const floor = state.floor;
  const first = floor.hands[0];
  const give = first && canDo(ctx, "give_floor") ? { type: "give_floor", to: first } : null;
  let round = null;
  if (floor.turn !== null && canDo(ctx, "next_speaker")) round = { type: "next_speaker" };
  const members = people(state).filter((p) => p.role === "member").map((p) => p.id);
  if (floor.turn === null && members.length && canDo(ctx, "start_round"))
    round = { type: "start_round", order: members };
  return { give, round };
}

const SHORTCUT_KEYS = ["n", "p", "t", "m", "g", "r"];

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

function Shortcuts({ ctx }) {
  const { run } = useCommand(ctx.room);
  const latest = useRef(ctx);
  latest.current = ctx;
  useEffect(() => {
    const onKey = (event) => {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
      const command = shortcutCommand(latest.current, event.key.toLowerCase());
      if (command === null) return;
      event.preventDefault();
      run(command);
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [run]);
  const open = SHORTCUT_KEYS.filter((key) => shortcutCommand(ctx, key) !== null);
  if (!open.length) return null;
  return html`<details class="shortcuts">
    <summary>${t("shortcuts.title")}</summary>
    <dl>
      ${open.map(
        (key) => html`<div key=${key}><dt><kbd>${key.toUpperCase()}</kbd></dt><dd>${t(`shortcuts.${key}`)}</dd></div>`,
      )}
    </dl>
    <p class="small">${t("shortcuts.note")}</p>
  </details>`;
}

// Who has the floor, who raised a hand, and one's own hand.
function FloorNow({ ctx }) {
  const { state, room } = ctx;
  const act = useCommand(room);
  const floor = state.floor;
  const mine = [];
  if (canDo(ctx, "raise_hand"))
    mine.push(html`<button type="button" disabled=${act.busy} onClick=${() => act.run({ type: "raise_hand" })}>
      ${t("floor.raise")}
    </button>`);
  if (canDo(ctx, "lower_hand"))
    mine.push(html`<button type="button" class="quiet" disabled=${act.busy} onClick=${() => act.run({ type: "lower_hand" })}>
      ${t("floor.lower")}
    </button>`);
  if (canDo(ctx, "pass_turn"))
    mine.push(html`<button type="button" disabled=${act.busy} onClick=${() => act.run({ type: "pass_turn" })}>
      ${t("floor.pass")}
    </button>`);
  const { give, round } = floorMoves(ctx);
  if (give)
    mine.push(html`<button type="button" disabled=${act.busy} onClick=${() => act.run(give)}>
      ${t("now.give_to", { name: nameOf(state, give.to) })}
    </button>`);
  if (round) {
    const next = round.type === "next_speaker" ? floor.order[floor.turn + 1] : null;
    mine.push(html`<button type="button" class="quiet" disabled=${act.busy} onClick=${() => act.run(round)}>
      ${round.type === "start_round" ? t("now.round") : next ? t("now.next_to", { name: nameOf(state, next) }) : t("now.round_end")}
    </button>`);
  }
  const hands = floor.hands.map((p) => nameOf(state, p));
  return html`<div class="now-floor">
    <p class="now-speaker">
      ${floor.speaker !== null
        ? phrase("now.speaker", { name: nameOf(state, floor.speaker) })
        : t("floor.none")}
    </p>
    <p class="now-hands">
      ${hands.length ? phrase("now.hands", { count: hands.length, names: hands.join(", ") }) : t("floor.no_hands")}
    </p>
    ${mine.length ? html`<div class="row">${mine}</div>` : null}
    <${ErrorNote} error=${act.error} />
  </div>`;
}

export function TimerPanel({ ctx }) {
  useTick(1000);
  const { state, room } = ctx;
  const { run, busy, error } = useCommand(room);
  const remaining = remainingSeconds(state, room.serverNow());
  const buttons = [];
  if (canDo(ctx, "extend_timer"))
    buttons.push(html`<button
      type="button"
      class="quiet"
      disabled=${busy}
      onClick=${() => run({ type: "extend_timer", seconds: 300 })}
    >
      ${t("timer.extend")}
    </button>`);
  return html`<section class="panel timer" aria-labelledby="timer-h">
    <h2 id="timer-h">${t("timer.title")}</h2>
    ${buttons.length ? html`<div class="row">${buttons}</div>` : null}
    <${ErrorNote} error=${error} />
    <${Budget} state=${state} remaining=${remaining} serverNow=${room.serverNow()} />
    <${Overrun} ctx=${ctx} remaining=${remaining} />
    <${LastBorrowing} state=${state} />
    <${TimerMode} ctx=${ctx} />
    <${TimeBoxes} ctx=${ctx} />
  </section>`;
}

// The session's whole time against its budget: what has gone, and what the steps still to
// come (the current one's time left included) would take, with any excess shown.
export function budgetStanding(state, remaining, serverNow) {
  const keys = phaseKeys(state);
  const later = keys.slice(keys.indexOf(state.phase) + 1);
  const end = state.ended_at ?? serverNow;
  const elapsed = state.started_at === null ? 0 : Math.max(0, end - state.started_at);
  const ahead = state.ended_at !== null ? 0 : Math.max(0, remaining) + later.reduce((sum, k) => sum + state.time_boxes[k] * 60, 0);
  const budget = state.budget_minutes * 60;
  return { elapsed, ahead, budget, over: Math.max(0, elapsed + ahead - budget) };
}

function Budget({ state, remaining, serverNow }) {
  const { elapsed, ahead, budget, over } = budgetStanding(state, remaining, serverNow);
  return html`<div class="budget" data-over=${Math.round(over)}>
    <p class="small">
      ${state.started_at === null
        ? t("budget.not_started", { budget: duration(budget) })
        : t("budget.elapsed", { elapsed: duration(elapsed), budget: duration(budget) })}
      ${state.ended_at === null ? html` · ${t("budget.ahead", { ahead: duration(ahead) })}` : null}
    </p>
    ${over >= 60 ? html`<p class="small overrun">${t("budget.over", { over: duration(over) })}</p>` : null}
  </div>`;
}

// When the step overruns: what the steps ahead now have of the session's time, each
// one's box, and — for the token holder — one button per step to take the overrun from
// it (borrow_time: the total of the boxes does not change). Everyone sees the same list.
function Overrun({ ctx, remaining }) {
  const { state, room } = ctx;
  const { run, busy, error } = useCommand(room);
  if (remaining >= 0 || state.ended_at !== null) return null;
  const keys = phaseKeys(state);
  const later = keys.slice(keys.indexOf(state.phase) + 1);
  if (!later.length) return null;
  const minutes = Math.ceil(-remaining / 60);
  // To end on time, the steps ahead absorb the overrun: what they have now, against
  // their boxes.
  const planned = later.reduce((sum, k) => sum + state.time_boxes[k] * 60, 0);
  const may = canDo(ctx, "borrow_time");
  return html`<div class="borrow" data-minutes=${minutes}>
    <p class="small overrun">
      ${t("budget.overrun", { over: clock(-remaining), minutes, left: duration(Math.max(0, planned + remaining)), planned: duration(planned) })}
    </p>
    <ul class="borrow-steps" aria-label=${t("budget.later")}>
      ${later.map(
        (k) => html`<li key=${k} data-phase=${k}>
          <span class="borrow-step">${t(`phase.${k}`)}</span>
          <span class="borrow-box">${t("budget.step_box", { minutes: state.time_boxes[k] })}</span>
          ${may
            ? html`<button
                type="button"
                class="quiet"
                disabled=${busy || state.time_boxes[k] - minutes < 1}
                aria-label=${t("budget.borrow_label", { minutes, phase: t(`phase.${k}`) })}
                onClick=${() => run({ type: "borrow_time", from_phase: k })}
              >
                ${t("budget.borrow", { minutes })}
              </button>`
            : null}
        </li>`,
      )}
    </ul>
    ${may ? html`<p class="small hint">${t("budget.borrow_hint", { minutes })}</p>` : null}
    <${ErrorNote} error=${error} />
  </div>`;
}

// The last borrowing, for everyone: who took how much from which step for which.
function LastBorrowing({ state }) {
  const last = state.borrowings[state.borrowings.length - 1];
  if (!last) return null;
  return html`<p class="small borrowed" data-from=${last.from_phase}>
    ${phrase("budget.borrowed", {
      name: nameOf(state, last.by),
      minutes: last.minutes,
      from: t(`phase.${last.from_phase}`),
      to: t(`phase.${last.phase}`),
    })}
  </p>`;
}

// Whether moving to a step starts its countdown: the token holder's setting.
function TimerMode({ ctx }) {
  const { state, room } = ctx;
  const { run, busy, error } = useCommand(room);
  const id = useId("timer-mode");
  if (!canDo(ctx, "set_timer_mode")) return null;
  return html`<div class="timer-mode">
    <input
      id=${id}
      type="checkbox"
      checked=${state.auto_timer}
      disabled=${busy}
      onChange=${(e) => run({ type: "set_timer_mode", auto: e.currentTarget.checked })}
    />
    <label for=${id}>${t("timer.auto")}</label>
    <${ErrorNote} error=${error} />
  </div>`;
}

// The facilitator adjusts the steps' time boxes to the group's day; only changed ones are
// sent, one set_time_box each, and the total shows against the session's length.
function TimeBoxes({ ctx }) {
  const { state, room } = ctx;
  const { run, busy, error } = useCommand(room);
  const [draft, setDraft] = useState({});
  const id = useId("boxes");
  if (!canDo(ctx, "set_time_box")) return null;
  const keys = phaseKeys(state);
  const value = (k) => (k in draft ? draft[k] : String(state.time_boxes[k]));
  const total = keys.reduce((sum, k) => sum + (parseInt(value(k), 10) || 0), 0);
  const changed = keys.filter((k) => k in draft && parseInt(draft[k], 10) !== state.time_boxes[k]);
  async function save(event) {
    event.preventDefault();
    for (const k of changed) {
      if (!(await run({ type: "set_time_box", phase: k, minutes: parseInt(draft[k], 10) || 0 }))) return;
    }
    setDraft({});
  }
  return html`<details class="time-boxes">
    <summary>${t("boxes.title")}</summary>
    <form onSubmit=${save}>
      ${keys.map(
        (k) => html`<div class="box-row">
          <label for=${`${id}-${k}`}>${t(`phase.${k}`)}</label>
          <input
            id=${`${id}-${k}`}
            type="number"
            min="1"
            max="240"
            inputmode="numeric"
            value=${value(k)}
            onInput=${(e) => setDraft({ ...draft, [k]: e.currentTarget.value })}
          />
        </div>`,
      )}
      <p class="small" aria-live="polite">${t("boxes.total", { minutes: total })}</p>
      <button type="submit" disabled=${busy || changed.length === 0}>${t("boxes.save")}</button>
      <${ErrorNote} error=${error} />
    </form>
  </details>`;
}

// Moving from step to step: the token holder's, beside the step's time.
function StepControls({ ctx }) {
  const { state, room } = ctx;
  const { run, busy, error } = useCommand(room);
  if (!canDo(ctx, "go_to_phase")) return null;
  const keys = phaseKeys(state);
  const i = keys.indexOf(state.phase);
  const prev = i > 0 ? keys[i - 1] : null;
  const next = i < keys.length - 1 ? keys[i + 1] : null;
  return html`<div class="steps-nav">
    <div class="row">
      ${prev
        ? html`<button type="button" class="quiet" disabled=${busy} onClick=${() => run({ type: "go_to_phase", phase: prev })}>
            ${t("console.prev")}
          </button>`
        : null}
      ${next
        ? html`<button type="button" disabled=${busy} onClick=${() => run({ type: "go_to_phase", phase: next })}>
            ${t("console.next")}
          </button>`
        : null}
    </div>
    ${next ? html`<p class="small">${t("console.next_is", { phase: t(`phase.${next}`) })}</p>` : null}
    <${ErrorNote} error=${error} />
  </div>`;
}


// --- the floor ------------------------------------------------------------------------

function floorTimes(state, serverNow) {
  const spoken = { ...state.floor.spoken };
  const floor = state.floor;
  if (floor.speaker !== null && floor.speaker_since !== null) {
    spoken[floor.speaker] = (spoken[floor.speaker] || 0) + Math.max(0, serverNow - floor.speaker_since);
  }
  return spoken;
}

export function FloorPanel({ ctx }) {
  useTick(1000);
  const { state, room, me } = ctx;
  const floor = state.floor;
  const inRound = floor.turn !== null;
  const speaker = floor.speaker;
  const next = inRound ? floor.order.slice(floor.turn + 1).find((p) => state.participants[p] && !state.participants[p].removed) : null;
  const serverNow = room.serverNow();
  const times = floorTimes(state, serverNow);
  const facilitator = me && me.role === "facilitator";

  return html`<section class="panel floor" aria-labelledby="floor-h">
    <h2 id="floor-h">${t("floor.title")}</h2>
    <p class="speaker">
      ${speaker !== null
        ? html`${t("floor.speaker")} <strong><bdi>${nameOf(state, speaker)}</bdi></strong>
            <span class="since"> (${clock(serverNow - (floor.speaker_since || serverNow))})</span>`
        : t("floor.none")}
    </p>
    ${inRound
      ? html`<h3>${t("floor.round")}</h3>
          <ol class="round-order">
            ${floor.order.map((p, i) => {
              const gone = !state.participants[p] || state.participants[p].removed;
              let mark = null;
              if (i === floor.turn && p === speaker) mark = t("floor.mark_now");
              else if (p === next) mark = t("floor.mark_next");
              else if (i < floor.turn) mark = t("floor.mark_done");
              return html`<li
                key=${p}
                class=${`${i === floor.turn ? "is-turn" : ""}${gone ? " is-gone" : ""}`}
                aria-current=${i === floor.turn ? "true" : undefined}
              >
                <bdi>${nameOf(state, p)}</bdi>${mark ? html` <span class="tag">${mark}</span>` : null}
              </li>`;
            })}
          </ol>
          ${next ? html`<p class="next">${phrase("floor.next", { name: nameOf(state, next) })}</p>` : null}
          <p class="posting">${t(floor.speaker_only ? "floor.speaker_only_on" : "floor.speaker_only_off")}</p>`
      : null}
    <h3>${t("floor.hands")}</h3>
    ${floor.hands.length
      ? html`<ol class="hands">
          ${floor.hands.map((p) => html`<li key=${p}><bdi>${nameOf(state, p)}</bdi></li>`)}
        </ol>`
      : html`<p class="empty">${t("floor.no_hands")}</p>`}
    ${facilitator ? html`<${FloorConsole} ctx=${ctx} />` : null}
    ${facilitator && Object.keys(times).length
      ? html`<h3>${t("floor.times")}</h3>
          <dl class="times">
            ${Object.entries(times).map(
              ([p, seconds]) => html`<div class="time-row" key=${p}>
                <dt><bdi>${nameOf(state, p)}</bdi></dt>
                <dd>${clock(seconds)}</dd>
              </div>`,
            )}
          </dl>`
      : null}
  </section>`;
}

// The facilitator's floor controls: give the floor, run a round table.
function FloorConsole({ ctx }) {
  const { state, room } = ctx;
  const act = useCommand(room);
  const id = useId("floor");
  const speakers = people(state).filter((p) => p.role === "member" || p.role === "narrator");
  const members = people(state).filter((p) => p.role === "member");
  const [to, setTo] = useState("");
  const [order, setOrder] = useState(null); // null: members in list order
  const [skipped, setSkipped] = useState({});
  const chosenOrder = (order || members.map((m) => m.id)).filter((p) => members.some((m) => m.id === p));
  for (const m of members) if (!chosenOrder.includes(m.id)) chosenOrder.push(m.id);
  const roundOrder = chosenOrder.filter((p) => !skipped[p]);
  const move = (i, delta) => {
    const next = [...chosenOrder];
    const [item] = next.splice(i, 1);
    next.splice(i + delta, 0, item);
    setOrder(next);
  };
  const target = to && speakers.some((p) => p.id === to) ? to : speakers[0] ? speakers[0].id : "";
  const inRound = state.floor.turn !== null;

  const give = canDo(ctx, "give_floor") && speakers.length
    ? html`<form
        class="inline-form"
        onSubmit=${(e) => {
          e.preventDefault();
          act.run({ type: "give_floor", to: target });
        }}
      >
        <label for=${`${id}-to`}>${t("floor.give_to")}</label>
        <div class="row">
          <select id=${`${id}-to`} value=${target} onChange=${(e) => setTo(e.currentTarget.value)}>
            ${speakers.map((p) => html`<option key=${p.id} value=${p.id} dir="auto">${p.name} — ${t(`role.${p.role}`)}</option>`)}
          </select>
          <button type="submit" disabled=${act.busy}>${t("floor.give")}</button>
        </div>
      </form>`
    : null;

  const controls = [];
  if (canDo(ctx, "next_speaker"))
    controls.push(html`<button type="button" disabled=${act.busy} onClick=${() => act.run({ type: "next_speaker" })}>
      ${t("floor.next_speaker")}
    </button>`);
  if (canDo(ctx, "end_round"))
    controls.push(html`<button type="button" class="quiet" disabled=${act.busy} onClick=${() => act.run({ type: "end_round" })}>
      ${t(inRound ? "floor.end_round" : "floor.end_floor")}
    </button>`);

  const round =
    canDo(ctx, "start_round") && !inRound && members.length
      ? html`<form
          class="round-form"
          onSubmit=${(e) => {
            e.preventDefault();
            act.run({ type: "start_round", order: roundOrder });
          }}
        >
          <fieldset>
            <legend>${t("floor.order")}</legend>
            <ol class="order-list">
              ${chosenOrder.map((pid, i) => {
                const name = nameOf(state, pid);
                return html`<li key=${pid}>
                  <input
                    type="checkbox"
                    id=${`${id}-in-${pid}`}
                    checked=${!skipped[pid]}
                    onChange=${(e) => setSkipped({ ...skipped, [pid]: !e.currentTarget.checked })}
                  />
                  <label for=${`${id}-in-${pid}`}><bdi>${name}</bdi></label>
                  <span class="order-buttons">
                    <button
                      type="button"
                      class="icon"
                      disabled=${i === 0}
                      aria-label=${t("floor.up", { name })}
                      onClick=${() => move(i, -1)}
                    >
                      ↑
                    </button>
                    <button
                      type="button"
                      class="icon"
                      disabled=${i === chosenOrder.length - 1}
                      aria-label=${t("floor.down", { name })}
                      onClick=${() => move(i, 1)}
                    >
                      ↓
                    </button>
                  </span>
                </li>`;
              })}
            </ol>
          </fieldset>
          <button type="submit" disabled=${act.busy || roundOrder.length === 0}>${t("floor.start_round")}</button>
        </form>`
      : null;

  const posting = canDo(ctx, "set_round_posting")
    ? html`<div class="check">
        <input
          type="checkbox"
          id=${`${id}-only`}
          checked=${state.floor.speaker_only}
          disabled=${act.busy}
          onChange=${(e) => act.run({ type: "set_round_posting", speaker_only: e.currentTarget.checked })}
        />
        <label for=${`${id}-only`}>${t("floor.speaker_only")}</label>
      </div>`
    : null;

  if (!give && !controls.length && !round && !posting) return null;
  return html`<div class="console-block">
    ${controls.length ? html`<div class="row">${controls}</div>` : null}
    ${give} ${round} ${posting}
    <${ErrorNote} error=${act.error} />
  </div>`;
}

// --- who is here -------------------------------------------------------------------

export function PeoplePanel({ ctx }) {
  useTick(1000);
  const { state, me, room } = ctx;
  const list = people(state);
  const spoken = floorTimes(state, room.serverNow()); // who held the floor, and how long
  return html`<section class="panel people" aria-labelledby="people-h">
    <h2 id="people-h">${t("people.title")}</h2>
    <ul class="people-list">
      ${list.map(
        (p) => html`<li key=${p.id} class=${p.present ? "is-present" : "is-absent"} data-pid=${p.id}>
          <span class="dot" aria-hidden="true"></span>
          <${Avatar} id=${p.id} name=${p.name} />
          <bdi class="person-name">${p.name}</bdi>
          ${me && p.id === me.participant ? html` <span class="you">${t("people.you")}</span>` : null}
          <span class="person-role">${t(`role.${p.role}`)}</span>
          <span class="presence">${t(p.present ? "people.present" : "people.absent")}</span>
          ${spoken[p.id] >= 1 ? html`<span class="spoken">${t("people.spoken", { time: clock(spoken[p.id]) })}</span>` : null}
          ${p.id === state.token_holder ? html`<span class="tag token">${t("people.token")}</span>` : null}
        </li>`,
      )}
    </ul>
  </section>`;
}
