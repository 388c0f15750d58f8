// The group's space, live: a socket that only says "the group is now at seq N"
// (docs/protocol.md, "The group's socket"), and the JSON API for the rest.
//
// - `view` is the last answer of GET /api/groups/{g}: {group, seq, me, state, moves},
//   the state as this person may read it and the moves the server opens to them. The
//   page never decides what is allowed: it shows a control when `moves` lists it.
// - On each `group` frame whose seq is past the view's, the view is read again. Reads
//   never overlap, and a burst of frames costs one or two reads: only the latest seq
//   counts.
// - Commands are POSTed; a refusal comes back with the server's message, in the page's
//   language, for the form to show.
// - The socket (GroupSocket) reconnects by itself; pages that only follow the group's
//   seq (static/group/follow.js) use it alone.

import { decode } from "/static/vendor/msgpack/index.mjs";
import { t } from "/static/room/i18n.js";
import { FINAL_CLOSES, backoffDelay } from "/static/room/connection.js";

const STALE_READS = 3; // reads in a row that do not reach the announced seq, before waiting
const READ_RETRY_MS = 2000; // after a read that could not reach the server

export class Refusal extends Error {
  constructor(body) {
    super((body && body.message) || t("error.generic"));
    this.code = (body && body.code) || "error";
    this.params = (body && body.params) || {};
  }
}

// The group's socket alone: it says which seq the group is at, reconnecting by itself
// with a growing back-off, except after a close that reconnecting cannot help (the link
// revoked, the person removed, the charter to accept, the group erased).
export class GroupSocket {
  constructor(group, { onSeq, onStatus }) {
    this.group = group; // the group's id
    this.onSeq = onSeq; // called with each seq the server announces
    this.onStatus = onStatus; // called when `status` changes
    this.status = "connecting"; // connecting | connected | reconnecting | closed
    this.closed = null; // {code} once the server closed for good
    this.socket = null;
    this.attempts = 0; // reconnections since the last success, for the back-off
    this.timer = null; // the next reconnection
    window.addEventListener("online", () => {
      if (this.timer !== null) {
        clearTimeout(this.timer);
        this.connect();
      }
    });
  }

  get url() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return `${scheme}//${location.host}/g/${encodeURIComponent(this.group)}/ws`;
  }

  connect() {
    this.timer = null;
    if (this.closed) return;
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.retry();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    socket.addEventListener("message", (message) => {
      if (socket !== this.socket || !(message.data instanceof ArrayBuffer)) return;
      let frame;
      try {
        frame = decode(new Uint8Array(message.data));
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object") return;
      if (frame.t === "group" && Number.isInteger(frame.seq)) {
        this.attempts = 0;
        this.setStatus("connected");
        this.onSeq(frame.seq);
      }
      // An `error` frame comes before a refusal's close; the close code says it all.
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.socket = null;
      if (FINAL_CLOSES.has(event.code)) {
        this.closed = { code: event.code };
        this.setStatus("closed");
      } else {
        this.retry();
      }
    });
  }

  retry() {
    this.setStatus("reconnecting");
    this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempts));
    this.attempts += 1;
  }

  setStatus(status) {
    if (this.status !== status) {
      this.status = status;
      this.onStatus(status);
    }
  }

  // A test hook: close the socket as a network drop would (it reconnects).
  drop() {
    if (this.socket) this.socket.close(4999, "test drop");
  }
}

export class GroupLive {
  constructor({ group, lang }) {
    this.group = group; // the group's id
    this.lang = lang; // the page's language, for dates
    this.view = null; // the API's last answer
    this.announced = 0; // the highest seq the socket announced
    this.reading = false; // a GET is in flight
    this.problem = null; // why the view cannot be read (a refusal's message)
    this.readTimer = null; // the next read, after one that could not reach the server
    this.listeners = new Set();
    this.onNews = null; // called with (previous view, new view) after each new read
    this.onSeq = null; // called with each seq announced, before the view is read
    this.socket = new GroupSocket(group, {
      onSeq: (seq) => {
        if (this.onSeq) this.onSeq(seq);
        this.announce(seq);
      },
      onStatus: () => this.changed(),
    });
  }

  get status() {
    return this.socket.status;
  }

  get closed() {
    return this.socket.closed;
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed() {
    for (const listener of this.listeners) listener();
  }

  get api() {
    return `/api/groups/${encodeURIComponent(this.group)}`;
  }

  start() {
    this.read();
    this.socket.connect();
  }

  drop() {
    this.socket.drop();
  }

  // --- the view --------------------------------------------------------------------

  announce(seq) {
    this.announced = Math.max(this.announced, seq);
    if (this.view === null || this.view.seq < this.announced) this.read();
  }

  async read() {
    if (this.reading) return; // the loop below reads again if a newer seq came meanwhile
    this.reading = true;
    let stale = 0;
    try {
      do {
        const before = this.view ? this.view.seq : -1;
        let answer;
        try {
          answer = await fetch(this.api, { cache: "no-store", headers: { Accept: "application/json" } });
        } catch {
          this.readSoon(); // offline, or the server restarting
          return;
        }
        if (answer.status >= 500) {
          this.readSoon();
          return;
        }
        let body = null;
        try {
          body = await answer.json();
        } catch {
          body = null;
        }
        if (!answer.ok || !body || !body.state) {
          this.problem = new Refusal(body).message;
          this.changed();
          return;
        }
        const previous = this.view;
        if (previous && body.seq < previous.seq) return; // an older answer: keep ours
        this.view = body;
        this.problem = null;
        if (previous && this.onNews) this.onNews(previous, body);
        this.changed();
        stale = body.seq > before ? 0 : stale + 1;
      } while (this.view.seq < this.announced && stale < STALE_READS);
    } finally {
      this.reading = false;
    }
  }

  // A read that could not reach the server is tried again soon (a frame may come first).
  readSoon() {
    clearTimeout(this.readTimer);
    if (!this.closed) this.readTimer = setTimeout(() => this.read(), READ_RETRY_MS);
  }

  // --- commands --------------------------------------------------------------------

  // Whether the server lists this move: a type, or a type and its target (a slot…).
  can(type, target) {
    const listed = (move) => move[0] === type && (target === undefined || move[1] === target);
    return Boolean(this.view && this.view.moves.some(listed));
  }

  // POST a command; resolves with the server's answer, or rejects with a Refusal.
  async send(command) {
    let answer;
    try {
      answer = await fetch(`${this.api}/commands`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(command),
      });
    } catch {
      throw new Refusal({ code: "network", message: t("error.network") });
    }
    let body = null;
    try {
      body = await answer.json();
    } catch {
      body = null;
    }
    if (!answer.ok || !body) throw new Refusal(body);
    if (Number.isInteger(body.seq)) this.announce(body.seq);
    return body;
  }
}

