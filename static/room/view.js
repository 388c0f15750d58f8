// The room's page: header (who I am, the connection, language, exports, the video
// call), the stepper, then two columns — (in a group's cycle, the previous session)
// the situation and the steps; time, floor, people and the facilitator's console.

import { html, useCallback, useEffect, useRef, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { has, phrase, t } from "./i18n.js";
import { explain, useCommand, useDraft, useFocusFirst, useId, useRoom } from "./hooks.js";
import { Steps, canDo, nameOf, phaseKeys } from "./contributions.js";
import { NowBar, TimerPanel, FloorPanel, PeoplePanel } from "./side.js";
import { ConsolePanel, InvitationsPanel } from "./console.js";
import { PreviousSession, draftOf, useCycle } from "./cycle.js";
import { NotesPanel } from "./notebook.js";

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

const isWebLink = (url) => /^https?:\/\//i.test(url || "");

function Connection({ room }) {
  const pending = room.outbox.length;
  let text = t(`conn.${room.status}`);
  if (room.status === "closed" && room.closed) {
    const why = `close.${room.closed.code}`;
    text = has(why) ? t(why) : t("close.other");
  }
  return html`<div class=${`conn conn-${room.status}`}>
    <p role="status" aria-live="polite">
      <span class="conn-dot" aria-hidden="true"></span>
      ${text}${pending && room.status !== "connected" ? html` · ${t("conn.pending", { count: pending })}` : null}
    </p>
    ${room.status === "closed"
      ? html`<p class="reload"><a href=${location.pathname}>${t("close.reload")}</a></p>`
      : null}
  </div>`;
}

function Header({ ctx, session, exports }) {
  const { state, me, room } = ctx;
  const links = [];
  if (isWebLink(state.video_link))
    links.push(html`<li key="video">
      <a class="video-link" href=${state.video_link} rel="noopener noreferrer" target="_blank">
        ${t("video.join")}
      </a>
    </li>`);
  // The record, in few words: its two forms after one label (each link's name says it whole).
  if (exports)
    links.push(html`<li key="record" class="record-links">
      ${t("export.links")}
      <a href=${`/s/${session}/export.md`} aria-label=${t("export.md")}>${t("export.md_short")}</a>
      <span aria-hidden="true"> · </span>
      <a href=${`/s/${session}/export.html`} aria-label=${t("export.html")}>${t("export.html_short")}</a>
    </li>`);
  return html`<header class="room-head">
    <div class="head-main">
      <h1 dir="auto">${state.title || t("app.name")}</h1>
      ${state.template ? html`<p class="template">${t(`template.${state.template}`)}</p>` : null}
      ${me
        ? html`<p class="me">
            ${phrase("room.me", { name: nameOf(state, me.participant) || me.name, role: t(`role.${me.role}`) })}
            ${me.role === "observer" ? html` <span class="badge observer">${t("room.observer_badge")}</span>` : null}
          </p>`
        : null}
    </div>
    <div class="head-side">
      <${Connection} room=${room} />
      ${links.length ? html`<ul class="head-links">${links}</ul>` : null}
    </div>
  </header>`;
}

function Stepper({ state }) {
  const keys = phaseKeys(state);
  const current = keys.indexOf(state.phase);
  const list = useRef(null);
  // On a narrow screen the steps scroll sideways: keep the current one in view, also
  // when the window changes size (a phone turned, a window narrowed).
  useEffect(() => {
    const centre = () => {
      const here = list.current && list.current.querySelector(".is-current");
      if (here && list.current.scrollWidth > list.current.clientWidth) {
        list.current.scrollLeft = here.offsetLeft - list.current.offsetLeft - 8;
      }
    };
    centre();
    addEventListener("resize", centre);
    return () => removeEventListener("resize", centre);
  }, [state.phase]);
  return html`<nav class="stepper" aria-label=${t("steps.label")}>
    <ol ref=${list} tabindex="0">
      ${keys.map(
        (k, i) => html`<li
          key=${k}
          class=${i === current ? "is-current" : i < current ? "is-done" : "is-next"}
          aria-current=${i === current ? "step" : undefined}
        >
          <span class="step-number" aria-hidden="true">${i + 1}</span>
          <span class="step-label">${t(`phase.${k}`)}</span>
          <span class="step-box">${t("steps.minutes", { minutes: state.time_boxes[k] })}</span>
        </li>`,
      )}
    </ol>
  </nav>`;
}

const SITUATION_FIELDS = ["context", "problem", "question"];

function Situation({ ctx }) {
  const { state } = ctx;
  const s = state.situation;
  const [editing, setEditing] = useState(false);
  const can = canDo(ctx, "write_situation");
  const fromDraft = can && !editing && draftOf(ctx) !== null;
  // Once told, the situation gives the screen to the work: its title and the request
  // stay in view, the rest one click away.
  const compact = s && !editing && state.phase !== "expose";
  const request =
    s && s.request
      ? html`<div class="request">
          <p class="request-label">${t("situation.request")}</p>
          <p class="request-text" dir="auto">${s.request}</p>
        </div>`
      : null;
  // The context, problem and question, one click away (open while they are told).
  const fields = s ? SITUATION_FIELDS.filter((f) => s[f]) : [];
  const more = (summary) =>
    html`<details class="situation-more" open=${state.phase === "expose" || undefined}>
      <summary>${summary}</summary>
      <dl class="fields">
        ${fields.map((f) => html`<dt>${t(`situation.${f}`)}</dt><dd dir="auto">${s[f]}</dd>`)}
      </dl>
    </details>`;
  return html`<section class=${`situation${compact ? " is-compact" : ""}`} aria-labelledby="situation-h">
    <h2 id="situation-h">${t("situation.title")}</h2>
    ${s
      ? compact
        ? html`${fields.length
              ? more(html`<span class="situation-title" dir="auto">${s.title}</span>
                  <span class="more-label"> · ${t("situation.more")}</span>`)
              : html`<p class="situation-title" dir="auto">${s.title}</p>`}
            ${request}`
        : html`<h3 class="situation-title" dir="auto">${s.title}</h3>
            ${request}
            ${fields.length ? more(t("situation.more")) : null}`
      : html`<p class="empty">${t("situation.none")}</p>`}
    ${fromDraft ? html`<p class="hint">${t("cycle.draft_ready")}</p>` : null}
    ${can && !editing
      ? html`<button type="button" onClick=${() => setEditing(true)}>
          ${t(s ? "situation.edit" : "situation.write")}
        </button>`
      : null}
    ${can && editing ? html`<${SituationForm} ctx=${ctx} onDone=${() => setEditing(false)} />` : null}
  </section>`;
}

function SituationForm({ ctx, onDone }) {
  // What is published, else the draft the narrator prepared in their group before the
  // session (they still publish it here, as written or changed).
  const mine = draftOf(ctx);
  const s = ctx.state.situation || mine;
  const text = (f) => (s && typeof s[f] === "string" ? s[f] : "");
  const initial = {
    title: text("title"),
    context: text("context"),
    problem: text("problem"),
    question: text("question"),
    request: text("request"),
  };
  const [draft, setDraft, clear] = useDraft("situation", initial);
  const { run, busy, error } = useCommand(ctx.room);
  const id = useId("situation");
  const focusRef = useFocusFirst();
  async function submit(event) {
    event.preventDefault();
    const cmd = { type: "write_situation", ...draft };
    if (await run(cmd)) {
      clear();
      onDone();
    }
  }
  const cancel = () => {
    clear();
    onDone();
  };
  return html`<form class="compose situation-form" onSubmit=${submit} ref=${focusRef}>
    ${mine ? html`<p class="hint" id=${`${id}-from`}>${t("cycle.draft_note")}</p>` : null}
    <p class="hint privacy-warning">${t("privacy.third_parties")}</p>
    <label for=${`${id}-title`}>${t("situation.field_title")}</label>
    <input
      id=${`${id}-title`}
      aria-describedby=${mine ? `${id}-from` : undefined}
      required
      maxlength="200"
      value=${draft.title}
      onInput=${(e) => setDraft({ title: e.currentTarget.value })}
    />
    ${[...SITUATION_FIELDS, "request"].map(
      (f) => html`<label for=${`${id}-${f}`}>${t(`situation.${f}`)}</label>
        <textarea
          id=${`${id}-${f}`}
          rows=${f === "context" ? 4 : 2}
          maxlength="5000"
          value=${draft[f]}
          onInput=${(e) => setDraft({ [f]: e.currentTarget.value })}
        ></textarea>`,
    )}
    <div class="row">
      <button type="submit" disabled=${busy}>${t("situation.save")}</button>
      <button type="button" class="quiet" onClick=${cancel}>${t("common.cancel")}</button>
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

// A refusal no form was waiting for (a command resent after a reload, a frame error).
function Notice({ room }) {
  if (!room.notice) return null;
  const observer = room.me && room.me.role === "observer"; // who has no buttons at all
  return html`<div class="notice" role="alert">
    <p>${explain(room.notice)}</p>
    ${observer
      ? null
      : html`<button type="button" class="quiet" onClick=${() => room.dismissNotice()}>${t("common.dismiss")}</button>`}
  </div>`;
}

// What arrives while the person is here: one short sentence per new contribution, for
// screen readers, and the ids of others' contributions not seen yet, marked "new" on
// the page until they have been on screen a moment.
function useArrivals(room) {
  const [text, setText] = useState("");
  const [fresh, setFresh] = useState(() => new Set());
  useEffect(() => {
    room.onLiveEvent = (event, state) => {
      // The budget's borrowings and the weather's reveal, told to everyone as they happen.
      if (event.type === "time_borrowed") {
        setText(
          t("budget.borrowed", {
            name: state.participants[event.by] ? state.participants[event.by].name : "",
            minutes: event.minutes,
            from: t(`phase.${event.from_phase}`),
            to: t(`phase.${event.phase}`),
          }),
        );
        return;
      }
      if (event.type === "weather_revealed") {
        setText(t("announce.weather_revealed"));
        return;
      }
      if (event.type !== "contribution_posted") return;
      const c = event.contribution;
      const who = state.participants[c.author] ? state.participants[c.author].name : "";
      setText(t(`announce.${c.kind}`, { name: who }));
      const mine = room.me && (c.author === room.me.participant || c.posted_by === room.me.participant);
      if (!mine) setFresh((old) => new Set(old).add(c.id));
    };
    return () => (room.onLiveEvent = null);
  }, [room]);
  const seen = useCallback(
    (id) =>
      setFresh((old) => {
        if (!old.has(id)) return old;
        const next = new Set(old);
        next.delete(id);
        return next;
      }),
    [],
  );
  return { text, fresh, seen };
}

export function App({ room, session, exports, lang }) {
  useRoom(room);
  const arrivals = useArrivals(room);
  const state = room.state;
  const cycle = useCycle(session, state, room.me);
  const ctx = { room, state, moves: room.moves, me: room.me, cycle, fresh: arrivals.fresh, seen: arrivals.seen };
  const facilitator = room.me && room.me.role === "facilitator";
  if (!state.template) {
    return html`<div class="room">
      <${Connection} room=${room} />
      <p class="loading">${t("page.room.loading")}</p>
    </div>`;
  }
  return html`<div class=${`room role-${room.me ? room.me.role : "unknown"}`}>
    <${Header} ctx=${ctx} session=${session} exports=${exports} />
    <${Stepper} state=${state} />
    <${NowBar} ctx=${ctx} />
    ${state.ended_at !== null ? html`<p class="ended">${t("room.ended")}</p>` : null}
    <${Notice} room=${room} />
    <div class="room-grid">
      <div class="main-col" tabindex="0" role="region" aria-label=${t("pane.work")}>
        <${PreviousSession} ctx=${ctx} lang=${lang} />
        <${Situation} ctx=${ctx} />
        <${Steps} ctx=${ctx} />
      </div>
      <div class="side-col" tabindex="0" role="region" aria-label=${t("pane.panels")}>
        <${TimerPanel} ctx=${ctx} />
        <${FloorPanel} ctx=${ctx} />
        <${NotesPanel} ctx=${ctx} />
        <${PeoplePanel} ctx=${ctx} />
        ${facilitator ? html`<${ConsolePanel} ctx=${ctx} />` : null}
        ${facilitator ? html`<${InvitationsPanel} ctx=${ctx} session=${session} />` : null}
      </div>
    </div>
    <div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${arrivals.text}</div>
  </div>`;
}
