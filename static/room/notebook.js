// The narrator's own space: notes on the session and the questions to come back to,
// kept by the server for them alone (never in the log, only in their own record), and,
// at the action step, the plan drafted from the proposals they welcomed.

import { html, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { t } from "./i18n.js";
import { useCommand, useId } from "./hooks.js";
import { PostForm, canDo, excerpt } from "./contributions.js";

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

// "À reprendre" on a question, for the narrator: pressed while it is marked.
export function MarkToggle({ ctx, c, target }) {
  const { run, busy } = useCommand(ctx.room);
  const marked = ctx.room.notes.marked.includes(c.id);
  return html`<button
    type="button"
    class="quiet"
    aria-pressed=${marked ? "true" : "false"}
    disabled=${busy}
    aria-label=${t(marked ? "notes.unmark_of" : "notes.mark_of", { target })}
    onClick=${() => run({ type: "mark_question", question: c.id, marked: !marked })}
  >
    ${t(marked ? "notes.unmark" : "notes.mark")}
  </button>`;
}

// The narrator's notepad, in the side column: theirs alone, saved on the server.
export function NotesPanel({ ctx }) {
  const { room } = ctx;
  const [text, setText] = useState(null); // null: what the server keeps
  const [saved, setSaved] = useState(false);
  const { run, busy, error } = useCommand(room);
  const id = useId("notes");
  if (!canDo(ctx, "write_notes")) return null;
  const shown = text === null ? room.notes.text : text;
  const marked = room.notes.marked.length;
  async function submit(event) {
    event.preventDefault();
    if (await run({ type: "write_notes", text: shown })) {
      setText(null);
      setSaved(true);
    }
  }
  return html`<section class="panel notes" aria-labelledby=${`${id}-h`}>
    <h2 id=${`${id}-h`}>${t("notes.title")}</h2>
    <p class="small">${t("notes.yours")}</p>
    ${marked ? html`<p class="small">${t("notes.marked_count", { count: marked })}</p>` : null}
    <form class="compose" onSubmit=${submit}>
      <label for=${id}>${t("notes.label")}</label>
      <textarea
        id=${id}
        rows="4"
        maxlength="20000"
        value=${shown}
        onInput=${(e) => {
          setText(e.currentTarget.value);
          setSaved(false);
        }}
      ></textarea>
      <div class="row">
        <button type="submit" disabled=${busy}>${t("notes.save")}</button>
        ${saved ? html`<span class="small" role="status">${t("notes.saved")}</span>` : null}
      </div>
      <${ErrorNote} error=${error} />
    </form>
  </section>`;
}

// At the action step: each proposal the narrator kept or will explore, not yet in an
// action, one click from an action that starts from it and cites it.
export function WelcomedProposals({ ctx }) {
  const { state } = ctx;
  const [open, setOpen] = useState(null);
  const cited = new Set(Object.values(state.contributions).flatMap((c) => c.cites || []));
  const welcomed = Object.values(state.contributions).filter(
    (c) => c.kind === "proposal" && c.hidden === null && (c.welcome === "kept" || c.welcome === "explore") && !cited.has(c.id),
  );
  if (!welcomed.length) return null;
  return html`<details class="welcomed">
    <summary>${t("notes.welcomed")} (${welcomed.length})</summary>
    <ul class="contribs">
      ${welcomed.map(
        (p) => html`<li class="contrib" key=${p.id}>
          <p class="text" dir="auto">${p.body.text || ""}</p>
          ${open === p.id
            ? html`<${PostForm}
                ctx=${ctx}
                kind="action"
                label=${t("compose.action")}
                draftKey=${`action-from:${p.id}`}
                preset=${{ what: p.body.text || "", cites: [p.id] }}
                onDone=${() => setOpen(null)}
              />`
            : html`<div class="row tools">
                <button type="button" aria-label=${t("notes.from_proposal_of", { target: `« ${excerpt(p, 40)} »` })} onClick=${() => setOpen(p.id)}>
                  ${t("notes.from_proposal")}
                </button>
              </div>`}
        </li>`,
      )}
    </ul>
  </details>`;
}
