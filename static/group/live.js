// The group's space, live: the calendar poll and the thread, mounted in
// templates/group.html's #group-live, change at the pace of a conversation and are
// drawn here from the API. The rest of the page is server-rendered forms, replaced
// part by part as the group moves (follow.js), on the same socket.

import { html, render, useEffect, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { has, loadCatalogue, t } from "/static/room/i18n.js";
import { useLive } from "./common.js";
import { PageParts } from "./follow.js";
import { GroupLive } from "./group.js";
import { Poll, pollNews } from "./poll.js";
import { Thread, threadNews } from "./thread.js";

// Why the live part stopped, by close code; the room's wording where it fits a group.
const CLOSED = {
  4001: "close.4001",
  4003: "close.4003",
  4004: "group.live.origin",
  4009: "close.4009",
  4010: "group.live.removed",
  4040: "group.live.gone",
};

function Connection({ live }) {
  if (live.status === "closed" && live.closed) {
    const key = CLOSED[live.closed.code];
    return html`<div class="notice" role="alert">
      <p>${key && has(key) ? t(key) : t("group.live.stopped")}</p>
      <p><a href=${location.pathname}>${t("close.reload")}</a></p>
    </div>`;
  }
  return html`<p class="small" role="status">
    ${live.status === "reconnecting" ? t("group.live.reconnecting") : ""}
  </p>`;
}

function Live({ live, lang }) {
  useLive(live);
  const [news, setNews] = useState({ poll: null, thread: null });
  useEffect(() => {
    let count = 0;
    live.onNews = (before, after) => {
      const poll = pollNews(before, after, lang);
      const thread = threadNews(before, after);
      if (!poll && !thread) return;
      count += 1;
      setNews((old) => ({
        poll: poll ? { text: poll, n: count } : old.poll,
        thread: thread ? { text: thread, n: count } : old.thread,
      }));
    };
    return () => (live.onNews = null);
  }, [live, lang]);
  if (!live.view) {
    return html`<div class="room group-live">
      ${live.problem
        ? html`<p class="error" role="alert">${live.problem}</p>`
        : html`<p class="loading">${t("group.live.loading")}</p>`}
    </div>`;
  }
  return html`<div class="room group-live" data-seq=${live.view.seq}>
    <${Connection} live=${live} />
    ${live.problem ? html`<p class="error" role="alert">${live.problem}</p>` : null}
    <${Poll} live=${live} lang=${lang} news=${news.poll} />
    <${Thread} live=${live} lang=${lang} news=${news.thread} />
  </div>`;
}

const root = document.getElementById("group-live");
if (root && root.dataset.group) {
  loadCatalogue(document.getElementById("catalogue"));
  const lang = document.documentElement.lang === "en" ? "en" : "fr";
  const live = new GroupLive({ group: root.dataset.group, lang });
  const parts = new PageParts(document.querySelector("main"));
  live.onSeq = (seq) => parts.announce(seq);
  // For tests and the curious: what this page holds, read-only, and a drop to test
  // reconnection.
  window.codevGroup = {
    get seq() {
      return live.view ? live.view.seq : 0;
    },
    get status() {
      return live.status;
    },
    dropConnection: () => live.drop(),
  };
  root.textContent = "";
  render(html`<${Live} live=${live} lang=${lang} />`, root);
  live.start();
}
