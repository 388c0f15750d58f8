// The room in the browser: reads what templates/room.html put in #room, opens the live
// connection and renders the views. Plain ES modules, no build step.

import { html, render } from "/static/vendor/preact-htm/standalone.module.js";
import { loadAdviceRules } from "./advice.js";
import { loadCatalogue } from "./i18n.js";
import { RoomConnection } from "./connection.js";
import { setDraftScope } from "./hooks.js";
import { App } from "./view.js";

const root = document.getElementById("room");
loadCatalogue(document.getElementById("catalogue"));
loadAdviceRules(document.getElementById("advice-rules"));
const session = root.dataset.session;
const lang = root.dataset.lang === "en" ? "en" : "fr";
const scheme = location.protocol === "https:" ? "wss:" : "ws:";
setDraftScope(session);

const room = new RoomConnection({
  url: `${scheme}//${location.host}${root.dataset.socket}`,
  lang,
  storageKey: `codev-room:outbox:${session}`,
});

// For tests and the curious: what this page holds, read-only. `dropConnection()` is a
// test hook that closes the socket the way a network drop would (see connection.js).
window.codevRoom = {
  get state() {
    return room.state;
  },
  get seq() {
    return room.seq;
  },
  get moves() {
    return room.moves;
  },
  get me() {
    return room.me;
  },
  get status() {
    return room.status;
  },
  get offset() {
    return room.offset;
  },
  get pending() {
    return room.outbox.length;
  },
  serverNow: () => room.serverNow(),
  dropConnection: (hold = false) => room.dropConnection(hold),
  resumeConnection: () => room.resumeConnection(),
};

root.textContent = "";
const main = document.getElementById("main");
if (main) main.classList.add("wide");
render(
  html`<${App} room=${room} session=${session} exports=${root.dataset.exports === "true"} lang=${lang} />`,
  root,
);
room.start();
