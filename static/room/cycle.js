// A group's session within its cycle: the session it follows (the situation told
// then, its request, its action plan, what each one took away), which the opening's
// follow-up is about; and, for the narrator, the draft of their situation they handed
// to this session. Read from GET /api/sessions/{id}/cycle, never from the live state:
// the previous session is another log, which the server reads for group members only.

import { html, useState, useEffect } from "/static/vendor/preact-htm/standalone.module.js";
import { phrase, t } from "./i18n.js";
import { fieldsOf, nameOf } from "./contributions.js";

// The cycle as the endpoint gives it, once the room knows it belongs to a group and
// that I am no observer (who would get a 403). null until it answers, and for good when
// it fails: the room works without it, so a refusal or a network error shows nothing.
export function useCycle(session, state, me) {
  const group = state.group || "";
  const wanted = Boolean(group) && Boolean(me) && me.role !== "observer";
  const [cycle, setCycle] = useState(null);
  useEffect(() => {
    if (!wanted) return undefined;
    let current = true; // an answer for a page that moved on is dropped
    fetch(`/api/sessions/${encodeURIComponent(session)}/cycle`, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then((answer) => (answer.ok ? answer.json() : null))
      .then((body) => {
        if (current) setCycle(body && typeof body === "object" ? body : null);
      })
      .catch(() => {
        // unreachable or not JSON: no panel, no prefill
      });
    return () => {
      current = false;
    };
  }, [session, group, wanted]);
  return wanted ? cycle : null;
}

// The narrator's draft, while there is no situation yet to edit instead.
export function draftOf(ctx) {
  const draft = ctx.cycle && ctx.cycle.draft;
  return !ctx.state.situation && draft && typeof draft === "object" ? draft : null;
}

// A planned date is the group's wall-clock time ("2026-12-03T14:00", no zone): built
// from its parts, so that no time zone shifts it; shown as written if it is no date.
function formatDate(value, lang) {
  const parts = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?/.exec(value || "");
  if (!parts) return value || "";
  const [, y, mo, d, h, mi] = parts;
  const date = new Date(+y, +mo - 1, +d, +(h || 0), +(mi || 0));
  const style = h ? { dateStyle: "long", timeStyle: "short" } : { dateStyle: "long" };
  try {
    return new Intl.DateTimeFormat(lang, style).format(date);
  } catch {
    return value;
  }
}

const hasText = (value) => typeof value === "string" && value.trim() !== "";

// During the opening: who tells the follow-up, since only they may post it.
function FollowUpHint({ ctx }) {
  const { state, me } = ctx;
  if (!state.follow_up_by) return null;
  if (me && me.participant === state.follow_up_by) return html`<p class="hint turn">${t("cycle.your_follow_up")}</p>`;
  const name = nameOf(state, state.follow_up_by);
  return name ? html`<p class="hint">${phrase("cycle.follow_up_by", { name })}</p>` : null;
}

function Told({ previous, lang }) {
  const actions = (previous.actions || []).filter((a) => a && typeof a === "object");
  const takeaways = (previous.takeaways || []).filter(hasText);
  return html`<dl class="fields cycle-meta">
      <dt>${t("cycle.narrator")}</dt>
      <dd><bdi>${previous.narrator || "—"}</bdi></dd>
      <dt>${t("cycle.date")}</dt>
      <dd><time datetime=${previous.date}>${formatDate(previous.date, lang)}</time></dd>
    </dl>
    ${hasText(previous.title)
      ? html`<h3 class="situation-title" dir="auto">${previous.title}</h3>`
      : html`<p class="empty">${t(previous.erased ? "cycle.erased" : previous.opened ? "cycle.no_situation" : "cycle.not_opened")}</p>`}
    ${hasText(previous.request)
      ? html`<div class="request">
          <p class="request-label">${t("situation.request")}</p>
          <p class="request-text" dir="auto">${previous.request}</p>
        </div>`
      : null}
    ${previous.opened
      ? html`<h3>${t("cycle.actions")}</h3>
          ${actions.length
            ? html`<ol class="contribs cycle-actions">
                ${actions.map(
                  (a, i) => html`<li key=${i} class="contrib kind-action">
                    <dl class="fields">
                      ${fieldsOf("action")
                        .filter((f) => hasText(a[f]))
                        .map((f) => html`<dt>${t(`field.${f}`)}</dt><dd dir="auto">${a[f]}</dd>`)}
                    </dl>
                  </li>`,
                )}
              </ol>`
            : html`<p class="empty">${t("cycle.no_actions")}</p>`}`
      : null}
    ${takeaways.length
      ? html`<h3>${t("cycle.takeaways")}</h3>
          <ul class="contribs cycle-takeaways">
            ${takeaways.map(
              (text, i) => html`<li key=${i} class="contrib kind-takeaway"><p class="text" dir="auto">${text}</p></li>`,
            )}
          </ul>`
      : null}`;
}

// Open at the top of the room during the opening, where the follow-up is told; a
// collapsed reminder afterwards. Nothing for the first session of a cycle.
export function PreviousSession({ ctx, lang }) {
  const previous = ctx.cycle && ctx.cycle.previous;
  if (!previous || typeof previous !== "object") return null;
  if (ctx.state.phase === "opening") {
    return html`<section class="step cycle-previous is-open" aria-labelledby="previous-h">
      <h2 id="previous-h">${t("cycle.previous")}</h2>
      <${FollowUpHint} ctx=${ctx} />
      <${Told} previous=${previous} lang=${lang} />
    </section>`;
  }
  // No `open` attribute: the person's own toggling is left alone across renders.
  return html`<section class="step cycle-previous" aria-labelledby="previous-h">
    <details class="step-details">
      <summary><h2 id="previous-h" class="summary-heading">${t("cycle.previous")}</h2></summary>
      <${Told} previous=${previous} lang=${lang} />
    </details>
  </section>`;
}
