// The group's thread between sessions: a member asks the group for help, others
// answer. Messages oldest first; the replies to a message under it (a reply to a reply
// joins the same conversation, saying whom it answers). Only the group reads it: the
// server gives the thread only to those who see the group's content.

import { html, useEffect, useRef, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { phrase, t } from "/static/room/i18n.js";
import { ErrorNote, nameOf, postedAt, useCommand, useId } from "./common.js";

// The first message of the conversation `message` belongs to (replies only ever point
// to earlier messages; the bound guards against a malformed state all the same).
function rootOf(messages, message) {
  let current = message;
  for (let hops = 0; hops < 1000 && current.reply_to && messages[current.reply_to]; hops += 1) {
    current = messages[current.reply_to];
  }
  return current.id;
}

function MessageForm({ live, replyTo, label, send, onDone, onCancel }) {
  const [text, setText] = useState("");
  const { run, busy, error } = useCommand(live);
  const id = useId("message");
  const field = useRef(null);
  useEffect(() => {
    if (replyTo && field.current) field.current.focus();
  }, [replyTo]);
  async function submit(event) {
    event.preventDefault();
    const command = { type: "post_message", text };
    if (replyTo) command.reply_to = replyTo;
    if (await run(command)) {
      setText("");
      if (onDone) onDone();
    }
  }
  return html`<form class="compose" onSubmit=${submit}>
    <label for=${id}>${label}</label>
    <textarea
      id=${id}
      ref=${field}
      rows="3"
      maxlength="5000"
      required
      value=${text}
      onInput=${(event) => setText(event.currentTarget.value)}
    ></textarea>
    <div class="row">
      <button type="submit" disabled=${busy}>${send}</button>
      ${onCancel
        ? html`<button type="button" class="quiet" onClick=${onCancel}>${t("common.cancel")}</button>`
        : null}
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

function Message({ live, message, root, lang, replying, setReplying }) {
  const { state } = live.view;
  const author = nameOf(state, message.author);
  const answered = message.reply_to && message.reply_to !== root ? state.messages[message.reply_to] : null;
  const when = new Date(message.at * 1000);
  return html`<p class="meta">
      <bdi class="author">${author}</bdi>
      ${" · "}<time datetime=${when.toISOString()}>${postedAt(message.at, lang, state.time_zone)}</time>
      ${answered ? html`${" · "}${phrase("group.thread.in_reply_to", { name: nameOf(state, answered.author) })}` : null}
    </p>
    <p class="text" dir="auto">${message.text}</p>
    ${live.can("post_message")
      ? replying === message.id
        ? html`<${MessageForm}
            live=${live}
            replyTo=${message.id}
            label=${t("group.thread.reply_label", { name: author })}
            send=${t("group.thread.reply_send")}
            onDone=${() => setReplying(null)}
            onCancel=${() => setReplying(null)}
          />`
        : html`<p class="tools">
            <button
              type="button"
              class="quiet"
              aria-label=${t("group.thread.reply_to", { name: author })}
              onClick=${() => setReplying(message.id)}
            >
              ${t("group.thread.reply")}
            </button>
          </p>`
      : null}`;
}

export function Thread({ live, lang, news }) {
  const { state } = live.view;
  const [replying, setReplying] = useState(null); // the message being answered
  const messages = Object.values(state.messages); // oldest first, as the server numbers them
  const conversations = new Map(); // root id -> replies, oldest first
  for (const message of messages) {
    const root = rootOf(state.messages, message);
    if (!conversations.has(root)) conversations.set(root, []);
    if (root !== message.id) conversations.get(root).push(message);
  }
  const shared = { live, lang, replying, setReplying };
  return html`<section class="thread" aria-labelledby="thread-title">
    <h3 id="thread-title">${t("group.thread.title")}</h3>
    <p class="small">${t("group.thread.intro")}</p>
    ${messages.length
      ? html`<ol class="contribs">
          ${[...conversations].map(
            ([root, replies]) => html`<li key=${root} class="contrib" data-message=${root}>
              <${Message} ...${shared} message=${state.messages[root]} root=${root} />
              ${replies.length
                ? html`<ol
                    class="contribs answers"
                    aria-label=${t("group.thread.replies", { name: nameOf(state, state.messages[root].author) })}
                  >
                    ${replies.map(
                      (reply) => html`<li key=${reply.id} class="contrib kind-answer" data-message=${reply.id}>
                        <${Message} ...${shared} message=${reply} root=${root} />
                      </li>`,
                    )}
                  </ol>`
                : null}
            </li>`,
          )}
        </ol>`
      : html`<p class="empty">${t("group.thread.none")}</p>`}
    ${live.can("post_message")
      ? html`<${MessageForm} live=${live} label=${t("group.thread.new")} send=${t("group.thread.send")} />`
      : null}
    <p class="visually-hidden" aria-live="polite">${news ? html`<span key=${news.n}>${news.text}</span>` : null}</p>
  </section>`;
}

// One sentence for a screen reader about messages others posted, or "".
export function threadNews(before, after) {
  const me = after.me.person;
  const fresh = Object.values(after.state.messages).filter(
    (message) => !before.state.messages[message.id] && message.author !== me,
  );
  if (!fresh.length) return "";
  if (fresh.length === 1) return t("group.thread.news.one", { name: nameOf(after.state, fresh[0].author) });
  return t("group.thread.news.many", { count: fresh.length });
}
