// The session's contributions: the current step in full, earlier steps collapsible,
// each question with its answers beneath it; and the forms to post, edit, answer,
// welcome and hide. Which forms and buttons show is the server's `can` moves, never a
// rule of ours.

import { html, useEffect, useRef, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { WeatherPanel } from "./weather.js";
import { readsAsAdvice } from "./advice.js";
import { phrase, t } from "./i18n.js";
import { useCommand, useDraft, useFocusFirst, useId } from "./hooks.js";
import { DraftForm, MyDrafts, OpenSilentRound, SilentBanner, isBeingRead } from "./silent.js";
import { MarkToggle, WelcomedProposals } from "./notebook.js";

// The order kinds are shown in, within a step.
export const KINDS = [
  "follow_up",
  "question",
  "hypothesis",
  "statement",
  "remark",
  "contract",
  "reformulation",
  "proposal",
  "similar_situation",
  "off_contract",
  "action",
  "takeaway",
];
const FIELDS = {
  statement: ["values", "intentions", "expectations", "stakes"],
  action: ["what", "how", "when"],
};
export const fieldsOf = (kind) => FIELDS[kind] || ["text"];
const MARKS = ["kept", "explore", "thanks"];

export const nameOf = (state, id) => (id && state.participants[id] ? state.participants[id].name : "");
export const canDo = (ctx, type) => ctx.moves.do.includes(type);

export function phaseKeys(state) {
  return Object.keys(state.time_boxes);
}

function hasText(c) {
  return Object.values(c.body || {}).some((v) => typeof v === "string" && v.trim() !== "");
}

// How many contributions each author has of each kind, once per state's contributions.
const counted = new WeakMap();
function sameKindCount(state, c) {
  let counts = counted.get(state.contributions);
  if (!counts) {
    counts = new Map();
    for (const o of Object.values(state.contributions)) {
      const key = `${o.author} ${o.kind}`;
      counts.set(key, (counts.get(key) || 0) + 1);
    }
    counted.set(state.contributions, counts);
  }
  return counts.get(`${c.author} ${c.kind}`) || 0;
}

// What a tool acts on, for its name: "la question de Karim"; with its first words when
// Karim has asked several, so that no two tools on the page share a name.
export function targetOf(state, c) {
  const target = t(`of.${c.kind}`, { name: nameOf(state, c.author) });
  return sameKindCount(state, c) > 1 ? `${target} « ${excerpt(c, 40)} »` : target;
}

// A one-line reminder of a contribution (for citations): its text, or what hid it.
export function excerpt(c, max = 90) {
  if (!hasText(c)) return t("contrib.hidden_short");
  const first = fieldsOf(c.kind)
    .map((f) => c.body[f])
    .find((v) => v && v.trim());
  const text = (first || "").replace(/\s+/g, " ").trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

function SubmitLabel({ ctx, busy, label }) {
  if (!busy) return label;
  return ctx.room.live ? t("post.sending") : t("post.queued");
}

// --- posting --------------------------------------------------------------------

// One kind's form: its fields (text; or the statement's four; or the action's three and
// the proposals it comes from). `answers` for an answer, `onBehalf` for a facilitator.
// What the advice rules say of a question's text, once the writer pauses (so that a
// question half typed, its question mark still to come, is not told it asks nothing).
const ADVICE_PAUSE_MS = 700;

// Answers the rules matched (kept until the next pause) and whether they were asked of
// this very text (the form says so in `data-advice`, for tests and the curious).
function useAdvice(text) {
  const [read, setRead] = useState({ text: "", advice: [] });
  useEffect(() => {
    if (!text.trim()) {
      setRead({ text, advice: [] });
      return undefined;
    }
    const timer = setTimeout(() => setRead({ text, advice: readsAsAdvice(text) }), ADVICE_PAUSE_MS);
    return () => clearTimeout(timer);
  }, [text]);
  return { advice: text.trim() ? read.advice : [], settled: read.text === text };
}

// The gentle note: what the text reads as, and why the method asks otherwise here. It
// tells and never stops: the button still posts.
function AdviceNote({ id, advice }) {
  const reasons = [...new Set(advice.map((rule) => rule.reason))];
  return html`<div class="hint advice" id=${id} role="status">
    <p>${t("advice.note")}</p>
    ${reasons.map((reason) => html`<p key=${reason}>${t(`advice.reason.${reason}`)}</p>`)}
  </div>`;
}

export function PostForm({ ctx, kind, answers = null, onBehalf = null, label, onDone, draftKey, preset = null }) {
  const fields = fieldsOf(kind);
  const initial = Object.fromEntries(fields.map((f) => [f, ""]));
  if (kind === "action") initial.cites = [];
  if (preset) Object.assign(initial, preset); // an action drafted from a proposal
  const key = draftKey || `post:${ctx.state.phase}:${kind}:${answers || ""}:${onBehalf || ""}`;
  const [draft, setDraft, clear] = useDraft(key, initial);
  const { run, busy, error } = useCommand(ctx.room);
  const id = useId("post");
  const focusRef = useFocusFirst();

  async function submit(event) {
    event.preventDefault();
    const body = {};
    for (const f of fields) if ((draft[f] || "").trim()) body[f] = draft[f];
    const cmd = { type: "post", kind, body };
    if (answers) cmd.answers = answers;
    if (kind === "action") cmd.cites = draft.cites || [];
    if (onBehalf) cmd.on_behalf_of = onBehalf;
    if (await run(cmd)) {
      clear();
      if (onDone) onDone();
    }
  }

  const { advice, settled } = useAdvice(kind === "question" ? draft.text || "" : "");
  const noteId = `${id}-advice`;

  const textareas =
    fields.length === 1
      ? html`<label for=${id}>${label}</label>
          <textarea
            id=${id}
            rows="2"
            required
            maxlength="5000"
            value=${draft.text || ""}
            aria-describedby=${advice.length ? noteId : null}
            onInput=${(e) => setDraft({ text: e.currentTarget.value })}
          ></textarea>
          ${advice.length ? html`<${AdviceNote} id=${noteId} advice=${advice} />` : null}`
      : html`<fieldset>
          <legend>${label}</legend>
          ${fields.map(
            (f) => html`<div class="field" key=${f}>
              <label for=${`${id}-${f}`}>${t(`field.${f}`)}</label>
              <textarea
                id=${`${id}-${f}`}
                rows="2"
                maxlength="5000"
                required=${kind === "action" && f === "what"}
                value=${draft[f] || ""}
                onInput=${(e) => setDraft({ [f]: e.currentTarget.value })}
              ></textarea>
            </div>`,
          )}
        </fieldset>`;

  const adviceState = kind !== "question" ? null : !settled ? "pending" : advice.length ? "advice" : "none";
  return html`<form
    class=${`compose compose-${kind}`}
    data-advice=${adviceState}
    onSubmit=${submit}
    ref=${onDone ? focusRef : null}
  >
    ${textareas}
    ${kind === "action" ? html`<${CitePicker} ctx=${ctx} id=${id} draft=${draft} setDraft=${setDraft} />` : null}
    <div class="row">
      <button type="submit" disabled=${busy} aria-label=${busy ? null : t("post.submit_of", { what: t(`the.${kind}`) })}>
        <${SubmitLabel} ctx=${ctx} busy=${busy} label=${t("post.submit")} />
      </button>
      ${onDone ? html`<button type="button" class="quiet" onClick=${onDone}>${t("common.cancel")}</button>` : null}
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

// The proposals an action comes from, as checkboxes.
function CitePicker({ ctx, id, draft, setDraft }) {
  const cites = draft.cites || [];
  const proposals = Object.values(ctx.state.contributions).filter(
    (c) => c.kind === "proposal" && (c.hidden === null || cites.includes(c.id)),
  );
  const toggle = (pid, on) => {
    const chosen = new Set(cites);
    if (on) chosen.add(pid);
    else chosen.delete(pid);
    setDraft({ cites: proposals.map((p) => p.id).filter((p) => chosen.has(p)) });
  };
  return html`<fieldset class="cites-picker">
    <legend>${t("action.cites")}</legend>
    ${proposals.length === 0
      ? html`<p class="empty">${t("action.cites_none")}</p>`
      : html`<ul class="checks">
          ${proposals.map(
            (p) => html`<li key=${p.id}>
              <input
                type="checkbox"
                id=${`${id}-cite-${p.id}`}
                checked=${cites.includes(p.id)}
                onChange=${(e) => toggle(p.id, e.currentTarget.checked)}
              />
              <label for=${`${id}-cite-${p.id}`}>
                <bdi>${excerpt(p)}</bdi> <span class="by">(<bdi>${nameOf(ctx.state, p.author)}</bdi>)</span>
              </label>
            </li>`,
          )}
        </ul>`}
  </fieldset>`;
}

function EditForm({ ctx, c, onDone }) {
  const fields = fieldsOf(c.kind);
  const initial = Object.fromEntries(fields.map((f) => [f, c.body[f] || ""]));
  if (c.kind === "action") initial.cites = [...c.cites];
  const [draft, setDraft, clear] = useDraft(`edit:${c.id}`, initial);
  const { run, busy, error } = useCommand(ctx.room);
  const id = useId("edit");
  const focusRef = useFocusFirst();
  async function submit(event) {
    event.preventDefault();
    const body = {};
    for (const f of fields) if ((draft[f] || "").trim()) body[f] = draft[f];
    const cmd = { type: "edit", contribution: c.id, body };
    if (c.kind === "action") cmd.cites = draft.cites || [];
    if (await run(cmd)) {
      clear();
      onDone();
    }
  }
  const cancel = () => {
    clear();
    onDone();
  };
  return html`<form class="compose edit" onSubmit=${submit} ref=${focusRef}>
    <fieldset>
      <legend>${t("contrib.edit_legend")}</legend>
      ${fields.map(
        (f) => html`<label for=${`${id}-${f}`}>${t(`field.${f}`)}</label>
          <textarea
            id=${`${id}-${f}`}
            rows="3"
            maxlength="5000"
            value=${draft[f] || ""}
            onInput=${(e) => setDraft({ [f]: e.currentTarget.value })}
          ></textarea>`,
      )}
    </fieldset>
    ${c.kind === "action" ? html`<${CitePicker} ctx=${ctx} id=${id} draft=${draft} setDraft=${setDraft} />` : null}
    <div class="row">
      <button type="submit" disabled=${busy}>
        <${SubmitLabel} ctx=${ctx} busy=${busy} label=${t("contrib.save")} />
      </button>
      <button type="button" class="quiet" onClick=${cancel}>${t("common.cancel")}</button>
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

function HideForm({ ctx, c, onDone }) {
  const [draft, setDraft, clear] = useDraft(`hide:${c.id}`, { reason: "" });
  const { run, busy, error } = useCommand(ctx.room);
  const id = useId("hide");
  const focusRef = useFocusFirst();
  async function submit(event) {
    event.preventDefault();
    if (await run({ type: "hide", contribution: c.id, reason: draft.reason })) {
      clear();
      onDone();
    }
  }
  return html`<form class="compose hide" onSubmit=${submit} ref=${focusRef}>
    <label for=${id}>${t("contrib.hide_reason")}</label>
    <input
      id=${id}
      required
      maxlength="500"
      value=${draft.reason}
      onInput=${(e) => setDraft({ reason: e.currentTarget.value })}
    />
    <div class="row">
      <button type="submit" disabled=${busy}>${t("contrib.hide_confirm")}</button>
      <button type="button" class="quiet" onClick=${onDone}>${t("common.cancel")}</button>
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

// --- showing ----------------------------------------------------------------------

function Body({ ctx, c }) {
  if (!hasText(c)) return null;
  const fields = fieldsOf(c.kind);
  const text =
    fields.length === 1
      ? html`<p class="text" dir="auto">${c.body.text}</p>`
      : html`<dl class="fields">
          ${fields
            .filter((f) => (c.body[f] || "").trim())
            .map((f) => html`<dt>${t(`field.${f}`)}</dt><dd dir="auto">${c.body[f]}</dd>`)}
        </dl>`;
  return html`${text}${c.kind === "action" && c.cites.length ? html`<${Cites} ctx=${ctx} c=${c} />` : null}`;
}

function Cites({ ctx, c }) {
  return html`<div class="cites">
    <p class="cites-label">${t("action.from")}</p>
    <ul>
      ${c.cites.map((pid) => {
        const p = ctx.state.contributions[pid];
        return html`<li key=${pid}>
          ${p ? html`« <bdi>${excerpt(p)}</bdi> » <span class="by">— <bdi>${nameOf(ctx.state, p.author)}</bdi></span>` : t("contrib.gone")}
        </li>`;
      })}
    </ul>
  </div>`;
}

function WelcomeMarks({ ctx, c }) {
  const { run, error } = useCommand(ctx.room);
  if (!canDo(ctx, "welcome")) {
    return c.welcome
      ? html`<p class=${`welcome mark-${c.welcome}`}>${t("welcome.shown", { mark: t(`welcome.mark_${c.welcome}`) })}</p>`
      : null;
  }
  const target = targetOf(ctx.state, c);
  return html`<div class="welcome-choice">
    <p class="welcome-label">${t("welcome.group")}</p>
    <div class="row" role="group" aria-label=${t("welcome.group_of", { target })}>
      ${MARKS.map(
        (mark) => html`<button
          type="button"
          class=${`mark mark-${mark}`}
          aria-label=${t("welcome.mark_of", { mark: t(`welcome.mark_${mark}`), target })}
          aria-pressed=${c.welcome === mark ? "true" : "false"}
          onClick=${() => c.welcome !== mark && run({ type: "welcome", proposal: c.id, mark })}
        >
          ${t(`welcome.mark_${mark}`)}
        </button>`,
      )}
    </div>
    <${ErrorNote} error=${error} />
  </div>`;
}

// Calls ``onSeen(id)`` once the element has been on screen for a moment, while
// ``watching``.
function useSeen(watching, onSeen, id) {
  const ref = useRef(null);
  useEffect(() => {
    if (!watching || !ref.current || typeof IntersectionObserver === "undefined") return undefined;
    let timer = null;
    const observer = new IntersectionObserver(
      ([entry]) => {
        clearTimeout(timer);
        if (entry.isIntersecting && document.visibilityState === "visible") {
          timer = setTimeout(() => onSeen(id), SEEN_AFTER_MS);
        }
      },
      { threshold: 0.6 },
    );
    observer.observe(ref.current);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, [watching, onSeen, id]);
  return ref;
}

const SEEN_AFTER_MS = 1500; // on screen this long, a new contribution counts as seen

// A person's initials on a colour of their own, the same on every screen (from their id).
export function Avatar({ id, name }) {
  const words = (name || "?").trim().split(/\s+/).filter(Boolean);
  const initials = (words.length > 1 ? words[0][0] + words[words.length - 1][0] : (words[0] || "?").slice(0, 2)).toUpperCase();
  let hash = 0;
  for (const ch of id || "") hash = (hash * 31 + ch.codePointAt(0)) % 360;
  return html`<span class="avatar" aria-hidden="true" style=${{ background: `hsl(${hash} 45% 32%)` }}>${initials}</span>`;
}

export function Item({ ctx, c, answers = [] }) {
  const { state, moves, me } = ctx;
  const [mode, setMode] = useState(null); // null | "edit" | "hide" | "answer"
  const withdraw = useCommand(ctx.room);
  const unhide = useCommand(ctx.room);
  const author = nameOf(state, c.author);
  // Each tool names what it acts on: "Masquer la proposition de Marc Un", not "Masquer".
  const target = targetOf(state, c);
  const named = (key) => t(key, { target });
  const facilitator = me && me.role === "facilitator";
  const canAnswer = c.kind === "question" && moves.post.includes("answer");
  const close = () => setMode(null);

  const tools = [];
  if (mode === null) {
    if (moves.edit.includes(c.id))
      tools.push(html`<button type="button" class="quiet" aria-label=${named("contrib.edit_of")} onClick=${() => setMode("edit")}>
        ${t("contrib.edit")}
      </button>`);
    if (moves.withdraw.includes(c.id))
      tools.push(html`<button
        type="button"
        class="quiet"
        disabled=${withdraw.busy}
        aria-label=${named("contrib.withdraw_of")}
        onClick=${() => withdraw.run({ type: "withdraw", contribution: c.id })}
      >
        ${t("contrib.withdraw")}
      </button>`);
    if (c.hidden === null && canDo(ctx, "hide"))
      tools.push(html`<button type="button" class="quiet" aria-label=${named("contrib.hide_of")} onClick=${() => setMode("hide")}>
        ${t("contrib.hide")}
      </button>`);
    if (c.hidden !== null && canDo(ctx, "unhide"))
      tools.push(html`<button
        type="button"
        class="quiet"
        disabled=${unhide.busy}
        aria-label=${named("contrib.unhide_of")}
        onClick=${() => unhide.run({ type: "unhide", contribution: c.id })}
      >
        ${t("contrib.unhide")}
      </button>`);
    if (canAnswer)
      tools.push(html`<button type="button" aria-label=${named("contrib.answer_of")} onClick=${() => setMode("answer")}>
        ${t("contrib.answer")}
      </button>`);
    if (c.kind === "question" && canDo(ctx, "mark_question"))
      tools.push(html`<${MarkToggle} ctx=${ctx} c=${c} target=${target} />`);
  }
  const marked = c.kind === "question" && ctx.room.notes.marked.includes(c.id);

  const isNew = Boolean(ctx.fresh && ctx.fresh.has(c.id));
  const card = useSeen(isNew, ctx.seen, c.id);
  const reading = isBeingRead(state, c.id);
  return html`<li
    ref=${card}
    class=${`contrib kind-${c.kind}${c.hidden !== null ? " is-hidden" : ""}${isNew ? " is-new" : ""}${reading ? " is-reading" : ""}`}
    data-cid=${c.id}
    data-kind=${c.kind}
  >
    <p class="meta">
      <${Avatar} id=${c.author} name=${author} />
      <bdi class="author">${author}</bdi>
      ${isNew ? html` <span class="tag new">${t("contrib.new")}</span>` : null}
      ${reading ? html` <span class="tag reading">${t("silent.reading")}</span>` : null}
      ${marked ? html` <span class="tag marked">${t("notes.marked")}</span>` : null}
      ${c.posted_by
        ? html` <span class="behalf">${phrase("contrib.on_behalf", { by: nameOf(state, c.posted_by), author })}</span>`
        : null}
      ${c.edited_at ? html` <span class="edited">${t("contrib.edited")}</span>` : null}
    </p>
    ${c.hidden !== null
      ? html`<p class="hidden-note">${phrase(facilitator ? "contrib.hidden_facilitator" : "contrib.hidden", { reason: c.hidden })}</p>`
      : null}
    ${mode === "edit" ? html`<${EditForm} ctx=${ctx} c=${c} onDone=${close} />` : html`<${Body} ctx=${ctx} c=${c} />`}
    ${c.kind === "proposal" ? html`<${WelcomeMarks} ctx=${ctx} c=${c} />` : null}
    ${tools.length ? html`<div class="row tools">${tools}</div>` : null}
    <${ErrorNote} error=${withdraw.error || unhide.error} />
    ${mode === "hide" ? html`<${HideForm} ctx=${ctx} c=${c} onDone=${close} />` : null}
    ${c.kind === "question" && (answers.length || mode === "answer")
      ? html`<div class="answers">
          ${answers.length
            ? html`<ul class="contribs">
                ${answers.map((a) => html`<${Item} key=${a.id} ctx=${ctx} c=${a} />`)}
              </ul>`
            : null}
          ${mode === "answer" && canAnswer
            ? html`<${PostForm}
                ctx=${ctx}
                kind="answer"
                answers=${c.id}
                label=${phrase("compose.answer_to", { author })}
                draftKey=${`answer:${c.id}`}
                onDone=${close}
              />`
            : null}
        </div>`
      : null}
  </li>`;
}

// --- a step's contributions, grouped by kind ------------------------------------------

function answersOf(state) {
  const byQuestion = {};
  for (const c of Object.values(state.contributions)) {
    if (c.kind === "answer" && c.answers) (byQuestion[c.answers] ||= []).push(c);
  }
  return byQuestion;
}

// `items`: the contributions to show here; `forms`: the kinds one may post here now;
// `drafting`: those one writes drafts of, in a silent round.
function Groups({ ctx, items, forms, level, drafting = [] }) {
  const answers = answersOf(ctx.state);
  const kinds = KINDS.filter(
    (k) => items.some((c) => c.kind === k) || forms.includes(k) || drafting.includes(k),
  );
  const Heading = `h${level}`;
  if (!kinds.length) return html`<p class="empty">${t("step.empty")}</p>`;
  // A board: a column per kind, each with its composer first, so that writing is always
  // at hand however long the column grows.
  return html`<div class=${`board kinds-${kinds.length}`}>
    ${kinds.map((kind) => {
      const list = items.filter((c) => c.kind === kind);
      return html`<div class=${`kind-group group-${kind}`} key=${kind}>
        <${Heading} class="kind-heading">
          ${t(`kinds.${kind}`)}${list.length ? html` <span class="count">(${list.length})</span>` : null}
        </${Heading}>
        ${forms.includes(kind) ? html`<${PostForm} ctx=${ctx} kind=${kind} label=${t(`compose.${kind}`)} />` : null}
        ${drafting.includes(kind)
          ? html`<${DraftForm} ctx=${ctx} kind=${kind} label=${t(`compose.${kind}`)} />
              <${MyDrafts} ctx=${ctx} kind=${kind} />`
          : null}
        ${list.length
          ? html`<ul class="contribs">
              ${list.map((c) => html`<${Item} key=${c.id} ctx=${ctx} c=${c} answers=${answers[c.id] || []} />`)}
            </ul>`
          : null}
      </div>`;
    })}
  </div>`;
}

// The main column's steps: the current one in full, the others collapsible. Questions
// of the step before the current one are shown in the current step, where they are
// being answered; each contribution appears once.
export function Steps({ ctx }) {
  const { state, moves } = ctx;
  const keys = phaseKeys(state);
  const index = keys.indexOf(state.phase);
  const previous = index > 0 ? keys[index - 1] : null;
  const all = Object.values(state.contributions).filter((c) => c.kind !== "answer");
  const carried = (c) => c.kind === "question" && c.phase === previous;
  const here = all.filter((c) => c.phase === state.phase || carried(c));
  const forms = moves.post.filter((k) => k !== "answer");
  const others = keys.filter(
    (k) => k !== state.phase && all.some((c) => c.phase === k && !carried(c)),
  );
  const answering = moves.post.includes("answer");
  const [open, setOpen] = useState({});
  const isOpen = (k) => (k in open ? open[k] : k === previous);
  const unseen = (items) => (ctx.fresh ? items.filter((c) => ctx.fresh.has(c.id)).length : 0);

  return html`
    <section class="step current" aria-labelledby="current-step">
      <div class="step-head">
        <h2 id="current-step">
          <span class="eyebrow">${t(state.ended_at === null ? "step.current" : "step.last")}</span>
          ${t(`phase.${state.phase}`)}
        </h2>
        <${OpenSilentRound} ctx=${ctx} />
      </div>
      ${answering ? html`<p class="hint">${t("hint.answer")}</p>` : null}
      <${SilentBanner} ctx=${ctx} />
      <${RoundHint} ctx=${ctx} />
      ${moves.post.includes("action") ? html`<${WelcomedProposals} ctx=${ctx} />` : null}
      <${Groups} ctx=${ctx} items=${here} forms=${forms} drafting=${moves.write_draft || []} level=${3} />
      <${WeatherPanel} ctx=${ctx} />
    </section>
    ${others.length
      ? html`<section class="step others" aria-labelledby="other-steps">
          <h2 id="other-steps">${t("step.others")}</h2>
          ${others.map((k) => {
            const items = all.filter((c) => c.phase === k && !carried(c));
            return html`<details
              key=${k}
              class="step-details"
              open=${isOpen(k)}
              onToggle=${(e) => {
                const now = e.currentTarget.open;
                if (now !== isOpen(k)) setOpen({ ...open, [k]: now });
              }}
            >
              <summary>
                <h3 class="summary-heading">${t(`phase.${k}`)}</h3>
                <span class="count">${t("step.count", { count: items.length })}</span>
                ${unseen(items) ? html` <span class="tag new">${t("step.new", { count: unseen(items) })}</span>` : null}
              </summary>
              <${Groups} ctx=${ctx} items=${items} forms=${[]} level=${4} />
            </details>`;
          })}
        </section>`
      : null}
  `;
}

// During a round where only the speaker may post: say whose turn it is to members.
function RoundHint({ ctx }) {
  const { state, me } = ctx;
  const floor = state.floor;
  if (!me || floor.turn === null || !floor.speaker_only || me.role !== "member") return null;
  if (floor.speaker === me.participant) return html`<p class="hint turn">${t("hint.your_turn")}</p>`;
  return html`<p class="hint">${phrase("hint.wait_turn", { name: nameOf(state, floor.speaker) })}</p>`;
}
