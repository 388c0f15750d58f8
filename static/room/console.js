// The facilitator's console: steps, posting for a member, the token, the video call,
// ending the session; and the invitation panel (links over the JSON API).

import { html, useState, useRef, useEffect } from "/static/vendor/preact-htm/standalone.module.js";
import { phrase, t } from "./i18n.js";
import { useCommand, useDraft, useId } from "./hooks.js";
import { canDo, nameOf, PostForm, excerpt, phaseKeys } from "./contributions.js";
import { people } from "./side.js";

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

export function ConsolePanel({ ctx }) {
  const blocks = [
    html`<${OnBehalf} ctx=${ctx} key="behalf" />`,
    html`<${TokenControls} ctx=${ctx} key="token" />`,
    html`<${VideoLinkForm} ctx=${ctx} key="video" />`,
    html`<${EndSession} ctx=${ctx} key="end" />`,
  ];
  if (Object.keys(ctx.state.advice_posted || {}).length) blocks.unshift(html`<${AdvicePosted} ctx=${ctx} key="advice" />`);
  return html`<section class="panel console" aria-labelledby="console-h">
    <h2 id="console-h">${t("console.title")}</h2>
    ${blocks}
  </section>`;
}

// How many questions were posted in each step although the composer said they read as
// advice: a count per step, never whose (the server sends facilitators the count only).
function AdvicePosted({ ctx }) {
  const { state } = ctx;
  const steps = phaseKeys(state).filter((k) => state.advice_posted[k]);
  return html`<div class="advice-posted">
    <p class="small">${t("console.advice_posted")}</p>
    <ul class="small">
      ${steps.map(
        (k) => html`<li key=${k} data-phase=${k}>
          ${t("console.advice_posted_in", { phase: t(`phase.${k}`), count: state.advice_posted[k] })}
        </li>`,
      )}
    </ul>
  </div>`;
}

// Post for a member who cannot (dropped, no computer): pick the member, then a kind the
// server says may be posted for them now.
function OnBehalf({ ctx }) {
  const { state, moves } = ctx;
  const id = useId("behalf");
  const [who, setWho] = useState("");
  const [kind, setKind] = useState("");
  const [question, setQuestion] = useState("");
  const members = Object.keys(moves.on_behalf || {}).filter((p) => (moves.on_behalf[p] || []).length);
  if (!members.length) return null;
  const member = members.includes(who) ? who : members[0];
  const kinds = moves.on_behalf[member];
  const chosen = kinds.includes(kind) ? kind : kinds[0];
  const questions = Object.values(state.contributions).filter((c) => c.kind === "question");
  const q = questions.some((c) => c.id === question) ? question : questions[0] ? questions[0].id : "";
  return html`<div class="console-block behalf">
    <h3>${t("console.behalf")}</h3>
    <label for=${`${id}-who`}>${t("console.behalf_who")}</label>
    <select id=${`${id}-who`} value=${member} onChange=${(e) => setWho(e.currentTarget.value)}>
      ${members.map((p) => html`<option key=${p} value=${p} dir="auto">${nameOf(state, p)}</option>`)}
    </select>
    <label for=${`${id}-kind`}>${t("console.behalf_kind")}</label>
    <select id=${`${id}-kind`} value=${chosen} onChange=${(e) => setKind(e.currentTarget.value)}>
      ${kinds.map((k) => html`<option key=${k} value=${k}>${t(`kind.${k}`)}</option>`)}
    </select>
    ${chosen === "answer"
      ? html`<label for=${`${id}-q`}>${t("console.behalf_question")}</label>
          <select id=${`${id}-q`} value=${q} onChange=${(e) => setQuestion(e.currentTarget.value)}>
            ${questions.map((c) => html`<option key=${c.id} value=${c.id}>${excerpt(c, 60)}</option>`)}
          </select>`
      : null}
    ${chosen !== "answer" || q
      ? html`<${PostForm}
          key=${`${member}:${chosen}:${q}`}
          ctx=${ctx}
          kind=${chosen}
          onBehalf=${member}
          answers=${chosen === "answer" ? q : null}
          label=${phrase("console.behalf_text", { kind: t(`kind.${chosen}`), name: nameOf(state, member) })}
        />`
      : null}
  </div>`;
}

function TokenControls({ ctx }) {
  const { state, room, me } = ctx;
  const { run, busy, error } = useCommand(room);
  const id = useId("token");
  const others = people(state).filter((p) => p.role === "facilitator" && me && p.id !== me.participant);
  const [to, setTo] = useState("");
  const pass = canDo(ctx, "pass_token") && others.length;
  const take = canDo(ctx, "take_token");
  if (!pass && !take) return null;
  const target = others.some((p) => p.id === to) ? to : others[0] ? others[0].id : "";
  return html`<div class="console-block token">
    <h3>${t("console.token")}</h3>
    ${pass
      ? html`<form
          class="inline-form"
          onSubmit=${(e) => {
            e.preventDefault();
            run({ type: "pass_token", to: target });
          }}
        >
          <label for=${`${id}-to`}>${t("console.token_to")}</label>
          <div class="row">
            <select id=${`${id}-to`} value=${target} onChange=${(e) => setTo(e.currentTarget.value)}>
              ${others.map((p) => html`<option key=${p.id} value=${p.id} dir="auto">${p.name}</option>`)}
            </select>
            <button type="submit" disabled=${busy}>${t("console.token_pass")}</button>
          </div>
        </form>`
      : null}
    ${take
      ? html`<p class="small">${phrase("console.token_gone", { name: nameOf(state, state.token_holder) })}</p>
          <button type="button" disabled=${busy} onClick=${() => run({ type: "take_token" })}>${t("console.token_take")}</button>`
      : null}
    <${ErrorNote} error=${error} />
  </div>`;
}

function VideoLinkForm({ ctx }) {
  const { state, room } = ctx;
  const { run, busy, error } = useCommand(room);
  const id = useId("video");
  const [draft, setDraft, clear] = useDraft("video", { url: state.video_link });
  if (!canDo(ctx, "set_video_link")) return null;
  async function submit(event) {
    event.preventDefault();
    if (await run({ type: "set_video_link", url: draft.url.trim() })) clear();
  }
  return html`<form class="console-block video" onSubmit=${submit} noValidate>
    <h3>${t("console.video")}</h3>
    <label for=${id}>${t("console.video_label")}</label>
    <input
      id=${id}
      type="url"
      inputmode="url"
      maxlength="500"
      placeholder="https://"
      value=${draft.url}
      onInput=${(e) => setDraft({ url: e.currentTarget.value })}
    />
    <p class="small" id=${`${id}-help`}>${t("console.video_help")}</p>
    <button type="submit" disabled=${busy}>${t("console.video_save")}</button>
    <${ErrorNote} error=${error} />
  </form>`;
}

// Ending is for everyone and cannot be undone: ask, with the keyboard on "Cancel".
function EndConfirm({ busy, onYes, onNo }) {
  const cancel = useRef(null);
  useEffect(() => cancel.current && cancel.current.focus(), []);
  return html`<div>
    <p class="confirm" id="end-confirm">${t("console.end_confirm")}</p>
    <div class="row" role="group" aria-labelledby="end-confirm">
      <button type="button" class="danger" disabled=${busy} onClick=${onYes}>${t("console.end_yes")}</button>
      <button type="button" class="quiet" ref=${cancel} onClick=${onNo}>${t("common.cancel")}</button>
    </div>
  </div>`;
}

function EndSession({ ctx }) {
  const { run, busy, error } = useCommand(ctx.room);
  const [asking, setAsking] = useState(false);
  if (!canDo(ctx, "end_session")) return null;
  return html`<div class="console-block end">
    <h3>${t("console.end_title")}</h3>
    ${asking
      ? html`<${EndConfirm} busy=${busy} onYes=${() => run({ type: "end_session" })} onNo=${() => setAsking(false)} />`
      : html`<button type="button" class="danger-outline" onClick=${() => setAsking(true)}>${t("console.end")}</button>`}
    <${ErrorNote} error=${error} />
  </div>`;
}

// --- invitations: the JSON API, same origin, the cookie goes along --------------------------

async function api(method, path, body) {
  const response = await fetch(path, {
    method,
    headers: body ? { "content-type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  if (response.status === 204) return null;
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    throw new Error((data && data.message) || t("error.network"));
  }
  return data;
}

const ROLES = ["member", "narrator", "observer", "facilitator"];
// A group's members enter through the group, admitted; a session link is for an observer.
const GROUP_ROLES = ["observer"];

export function InvitationsPanel({ ctx, session }) {
  const { state, me } = ctx;
  const id = useId("invite");
  const roles = state.group ? GROUP_ROLES : ROLES;
  const [draft, setDraft, clear] = useDraft("invite", { role: roles[0], name: "" });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [created, setCreated] = useState(null); // {name, link}
  if (!canDo(ctx, "add_participant")) return null;

  async function submit(event) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const role = roles.includes(draft.role) ? draft.role : roles[0];
      const answer = await api("POST", `/api/sessions/${session}/invitations`, {
        role,
        name: draft.name,
      });
      setCreated({ name: draft.name, role, link: answer.link });
      clear();
    } catch (refusal) {
      setError(refusal.message);
    }
    setBusy(false);
  }

  return html`<section class="panel invitations" aria-labelledby="invite-h">
    <h2 id="invite-h">${t("invite.title")}</h2>
    <form class="invite-form" onSubmit=${submit}>
      <label for=${`${id}-name`}>${t("invite.name")}</label>
      <input
        id=${`${id}-name`}
        required
        maxlength="80"
        autocomplete="off"
        value=${draft.name}
        onInput=${(e) => setDraft({ name: e.currentTarget.value })}
      />
      <label for=${`${id}-role`}>${t("invite.role")}</label>
      <select id=${`${id}-role`} value=${roles.includes(draft.role) ? draft.role : roles[0]} onChange=${(e) => setDraft({ role: e.currentTarget.value })}>
        ${roles.map((r) => html`<option key=${r} value=${r}>${t(`role.${r}`)}</option>`)}
      </select>
      <button type="submit" disabled=${busy}>${t("invite.create")}</button>
      <${ErrorNote} error=${error} />
    </form>
    ${created ? html`<${NewLink} created=${created} onClose=${() => setCreated(null)} />` : null}
    <h3>${t("invite.list")}</h3>
    <ul class="invitees">
      ${people(state).map(
        (p) => html`<${Invitee} key=${p.id} ctx=${ctx} p=${p} session=${session} self=${me && p.id === me.participant} />`,
      )}
    </ul>
  </section>`;
}

function NewLink({ created, onClose }) {
  const id = useId("link");
  const input = useRef(null);
  const [note, setNote] = useState(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(created.link);
      setNote(t("invite.copied"));
    } catch {
      // No clipboard (an insecure origin, or refused): select the text for Ctrl+C.
      if (input.current) {
        input.current.focus();
        input.current.select();
      }
      setNote(t("invite.copy_failed"));
    }
  }
  return html`<div class="new-link">
    <label for=${id}>${phrase("invite.link", { name: created.name, role: t(`role.${created.role}`) })}</label>
    <div class="row">
      <input id=${id} ref=${input} readonly value=${created.link} onFocus=${(e) => e.currentTarget.select()} />
      <button type="button" onClick=${copy}>${t("invite.copy")}</button>
    </div>
    <p class="small">${t("invite.once")}</p>
    <p class="small" role="status">${note || ""}</p>
    <button type="button" class="quiet" onClick=${onClose}>${t("invite.done")}</button>
  </div>`;
}

function Invitee({ ctx, p, session, self }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [link, setLink] = useState(null);
  const [asking, setAsking] = useState(false);
  async function revoke() {
    setBusy(true);
    setError(null);
    try {
      await api("DELETE", `/api/sessions/${session}/participants/${encodeURIComponent(p.id)}`);
    } catch (refusal) {
      setError(refusal.message);
    }
    setBusy(false);
    setAsking(false);
  }
  async function reissue() {
    setBusy(true);
    setError(null);
    try {
      const answer = await api("POST", `/api/sessions/${session}/participants/${encodeURIComponent(p.id)}/link`, {});
      setLink(answer.link);
    } catch (refusal) {
      setError(refusal.message);
    }
    setBusy(false);
  }
  async function ownLink() {
    setBusy(true);
    setError(null);
    try {
      const answer = await api("POST", `/api/sessions/${session}/me/link`, {});
      setLink(answer.link);
    } catch (refusal) {
      setError(refusal.message);
    }
    setBusy(false);
  }
  // Offered only where the server would act now: it lists whom this facilitator may
  // remove (never the token's holder, nor themselves) and give a new link to.
  const removable = (ctx.moves.remove_participant || []).includes(p.id);
  const relinkable = (ctx.moves.reissue_link || []).includes(p.id);
  return html`<li class="invitee" data-pid=${p.id}>
    <bdi class="person-name">${p.name}</bdi> <span class="person-role">${t(`role.${p.role}`)}</span>
    ${self
      ? html`<div class="row">
          <button type="button" class="quiet" disabled=${busy} onClick=${ownLink}>${t("invite.my_link")}</button>
        </div>`
      : null}
    ${removable || relinkable
      ? html`<div class="row">
          ${relinkable
            ? html`<button type="button" class="quiet" disabled=${busy} onClick=${reissue} aria-label=${t("invite.reissue", { name: p.name })}>
                ${t("invite.reissue_short")}
              </button>`
            : null}
          ${removable && !asking
            ? html`<button type="button" class="danger-outline" disabled=${busy} onClick=${() => setAsking(true)} aria-label=${t("invite.revoke", { name: p.name })}>
                ${t("invite.revoke_short")}
              </button>`
            : null}
          ${removable && asking
            ? html`<button type="button" class="danger" disabled=${busy} onClick=${revoke}>
                  ${t("invite.revoke_yes", { name: p.name })}
                </button>
                <button type="button" class="quiet" onClick=${() => setAsking(false)}>${t("common.cancel")}</button>`
            : null}
        </div>`
      : null}
    ${link ? html`<${NewLink} created=${{ name: p.name, role: p.role, link }} onClose=${() => setLink(null)} />` : null}
    <${ErrorNote} error=${error} />
  </li>`;
}
