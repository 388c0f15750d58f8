// Silent writing, then reveal: the facilitator opens a round, every member writes on
// their own (drafts the server keeps for them alone), and the reveal shows them all at
// once. Which buttons show is the server's `can` (moves.do, moves.write_draft).

import { html, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { t } from "./i18n.js";
import { useCommand, useDraft, useId, useTick } from "./hooks.js";
import { canDo, fieldsOf } from "./contributions.js";

const DEFAULT_MINUTES = 5;

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function newDraftId() {
  return `d${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

// The facilitator's way in, folded to one line beside the step's title: how long
// members will write, and go.
export function OpenSilentRound({ ctx }) {
  const { run, busy, error } = useCommand(ctx.room);
  const [minutes, setMinutes] = useState(DEFAULT_MINUTES);
  const id = useId("silent");
  if (!canDo(ctx, "open_silent_round")) return null;
  const submit = (event) => {
    event.preventDefault();
    run({ type: "open_silent_round", minutes: Number(minutes) });
  };
  return html`<details class="silent-open">
    <summary>${t("silent.title")}</summary>
    <form class="row" onSubmit=${submit}>
      <label for=${id}>${t("silent.minutes")}</label>
      <input
        id=${id}
        type="number"
        min="1"
        max="60"
        required
        value=${minutes}
        onInput=${(e) => setMinutes(e.currentTarget.value)}
      />
      <button type="submit" disabled=${busy}>${t("silent.open")}</button>
    </form>
    <${ErrorNote} error=${error} />
  </details>`;
}

// While a round is open, everyone is told what is going on, and how long is left; the
// facilitator reveals it (author after author, or shuffled) or closes it unrevealed.
export function SilentBanner({ ctx }) {
  useTick(1000);
  const { state, room, me } = ctx;
  const { run, busy, error } = useCommand(room);
  const [closing, setClosing] = useState(false);
  if (!state.silent) return null;
  const left = state.silent.deadline - room.serverNow();
  const writing = ctx.moves.write_draft.length > 0;
  const text = writing ? "silent.member" : me && me.role === "facilitator" ? "silent.facilitator" : "silent.others";
  const tools = [];
  if (canDo(ctx, "reveal_silent_round") && !closing) {
    tools.push(html`<button type="button" disabled=${busy} onClick=${() => run({ type: "reveal_silent_round", order_by: "rotation" })}>
      ${t("silent.reveal_rotation")}
    </button>`);
    tools.push(html`<button type="button" disabled=${busy} onClick=${() => run({ type: "reveal_silent_round", order_by: "shuffled" })}>
      ${t("silent.reveal_shuffled")}
    </button>`);
  }
  if (canDo(ctx, "close_silent_round"))
    tools.push(
      closing
        ? html`<span class="confirm">
            ${t("silent.close_confirm")}
            <button type="button" class="danger" disabled=${busy} onClick=${() => run({ type: "close_silent_round" })}>
              ${t("silent.close_yes")}
            </button>
            <button type="button" class="quiet" onClick=${() => setClosing(false)}>${t("common.cancel")}</button>
          </span>`
        : html`<button type="button" class="quiet" onClick=${() => setClosing(true)}>${t("silent.close")}</button>`,
    );
  return html`<div class="silent-banner" role="status">
    <p>
      <strong>${t("silent.title")}</strong>
      <span class="silent-left"> · ${left > 0 ? t("silent.left", { left: clock(left) }) : t("silent.time_up")}</span>
    </p>
    <p>${t(text)}</p>
    ${tools.length ? html`<div class="row">${tools}</div>` : null}
    <${ErrorNote} error=${error} />
  </div>`;
}

// A member's composer in a silent round: what they write is kept as a draft, for them.
export function DraftForm({ ctx, kind, label, draft = null, onDone = null }) {
  const fields = fieldsOf(kind);
  const initial = Object.fromEntries(fields.map((f) => [f, draft ? draft.body[f] || "" : ""]));
  const [text, setText, clear] = useDraft(`silent:${ctx.state.silent.number}:${kind}:${draft ? draft.id : ""}`, initial);
  const { run, busy, error } = useCommand(ctx.room);
  const id = useId("draft");
  async function submit(event) {
    event.preventDefault();
    const body = {};
    for (const f of fields) if ((text[f] || "").trim()) body[f] = text[f];
    const cmd = { type: "write_draft", draft: draft ? draft.id : newDraftId(), kind, body };
    if (await run(cmd)) {
      clear();
      if (onDone) onDone();
    }
  }
  return html`<form class=${`compose compose-draft compose-${kind}`} onSubmit=${submit}>
    <label for=${id}>${label}</label>
    <textarea
      id=${id}
      rows="2"
      required
      maxlength="5000"
      value=${text[fields[0]] || ""}
      onInput=${(e) => setText({ [fields[0]]: e.currentTarget.value })}
    ></textarea>
    <div class="row">
      <button type="submit" disabled=${busy} aria-label=${t(draft ? "silent.save_of" : "silent.keep_of", { what: t(`the.${kind}`) })}>
        ${t(draft ? "silent.save" : "silent.keep")}
      </button>
      ${onDone ? html`<button type="button" class="quiet" onClick=${onDone}>${t("common.cancel")}</button>` : null}
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

function MyDraft({ ctx, draft, index }) {
  const [editing, setEditing] = useState(false);
  const drop = useCommand(ctx.room);
  const which = t("silent.draft_n", { n: index + 1 });
  return html`<li class="contrib draft" data-draft=${draft.id}>
    <p class="meta"><span class="tag">${t("silent.only_you")}</span></p>
    ${editing
      ? html`<${DraftForm} ctx=${ctx} kind=${draft.kind} label=${which} draft=${draft} onDone=${() => setEditing(false)} />`
      : html`<p class="body" dir="auto">${draft.body.text || ""}</p>
          <div class="row tools">
            <button type="button" class="quiet" aria-label=${t("silent.edit_of", { which })} onClick=${() => setEditing(true)}>
              ${t("contrib.edit")}
            </button>
            <button
              type="button"
              class="quiet"
              disabled=${drop.busy}
              aria-label=${t("silent.drop_of", { which })}
              onClick=${() => drop.run({ type: "drop_draft", draft: draft.id })}
            >
              ${t("silent.drop")}
            </button>
          </div>`}
    <${ErrorNote} error=${drop.error} />
  </li>`;
}

// A member's drafts of one kind, under its column's composer.
export function MyDrafts({ ctx, kind }) {
  const mine = ctx.room.drafts.filter((d) => d.kind === kind);
  if (!mine.length) return null;
  return html`<ul class="contribs drafts" aria-label=${t("silent.mine")}>
    ${mine.map((d, i) => html`<${MyDraft} key=${d.id} ctx=${ctx} draft=${d} index=${i} />`)}
  </ul>`;
}

// After a reveal: which texts the round table is reading now.
export function isBeingRead(state, id) {
  const floor = state.floor;
  const turn = floor.turn;
  return Boolean(state.reading && state.reading.length && turn !== null && (state.reading[turn] || []).includes(id));
}
