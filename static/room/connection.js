// The room's live connection: one WebSocket at a time, msgpack frames
// (docs/protocol.md), reconnecting by itself, with an outbox of commands that survives
// drops and reloads.
//
// - `state` is the fold of every event up to `seq`, applied gaplessly: an `ev` is
//   applied only when its seq is the next one; an older one is ignored; a gap makes
//   the client reconnect and say, in its hello, the last seq it holds.
// - Every command gets a key. Until an `ack` or an `error` answers that key, the
//   command stays in the outbox (and in sessionStorage) and is resent with the same key
//   after each reconnect: the server applies a key once.
// - `offset` is the server's clock minus this page's clock, in seconds, measured with
//   `ping` frames (half the round trip), so countdowns follow the server's time even
//   when the computer's clock is wrong.

import { encode, decodeMulti } from "/static/vendor/msgpack/index.mjs";
import { emptyState, evolve, visibleState } from "./fold.js";

// Close codes after which reconnecting cannot help (docs/protocol.md, "Close codes").
export const FINAL_CLOSES = new Set([1000, 1009, 4001, 4003, 4004, 4009, 4010, 4040]);
const PING_EVERY_MS = 15000;
const BACKOFF_FIRST_MS = 500;
const BACKOFF_CAP_MS = 30000;
const LIVED_MS = 5000; // a connection ready this long worked: the back-off starts over
const RETRY_UNAVAILABLE_MS = 2000;
const CLIENT_GAP = 4000; // we close to resume after a gap in the seqs
const TEST_DROP = 4999; // dropConnection(), a test hook: handled like a network drop

// The wait before reconnection attempt `attempts` (0 first): anything up to a ceiling
// that doubles from 0.5 s to 30 s ("full jitter"), so the pages one restart dropped come
// back spread over the whole window, not all at the same millisecond.
export function backoffDelay(attempts) {
  return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_FIRST_MS * 2 ** Math.min(attempts, 32));
}
const OFFSET_SAMPLES = 8;

export const NO_MOVES = Object.freeze({
  do: [],
  post: [],
  on_behalf: {},
  edit: [],
  withdraw: [],
  remove_participant: [],
  reissue_link: [],
  write_draft: [],
});

function newKey() {
  if (globalThis.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Events after which what this reader may see is asked again (visibleState).
const SEEN_BY_ROLE = new Set(["contribution_hidden", "contribution_posted", "silent_round_revealed"]);

export class RoomConnection {
  constructor({ url, lang, storageKey }) {
    this.url = url; // ws:// or wss:// URL of the session's socket
    this.lang = lang; // sent in hello, so error messages come in the page's language
    this.storageKey = storageKey; // sessionStorage key of the outbox
    this.state = emptyState(); // the fold at `seq`
    this.seq = 0; // the last event's seq this client holds
    this.moves = NO_MOVES; // the server's last `can`: what this participant may do now
    this.drafts = []; // my own drafts of the open silent round, as the server keeps them
    this.notes = { text: "", marked: [] }; // the narrator's own notes and marked questions
    this.me = null; // {participant, role, name} from `ready`
    this.offset = 0; // server clock - Date.now()/1000, seconds
    this.samples = []; // recent [rtt, offset] pairs from pongs; the quickest one wins
    this.status = "connecting"; // connecting | connected | reconnecting | offline | closed
    this.closed = null; // {code} once the server closed for good
    this.notice = null; // the last refusal that no form was waiting for
    this.socket = null;
    this.live = false; // this socket had its `ready`: live frames follow
    this.attempts = 0; // reconnections since the last connection that lived, for the backoff
    this.readyAt = null; // Date.now() at this socket's `ready`
    this.reconnectTimer = null;
    this.pingTimer = null;
    this.outbox = this.loadOutbox(); // [{key, cmd}] sent or to send, not answered yet
    this.waiting = new Map(); // key -> {resolve, reject} of the form that sent it
    this.listeners = new Set();
    this.onLiveEvent = null; // called with each event that arrives live (announcements)
    this.notifyTimer = null;
    this.held = false; // a test holds the connection down (dropConnection(true))

    window.addEventListener("online", () => {
      if (this.reconnectTimer !== null) this.connectSoon(0);
    });
    window.addEventListener("offline", () => {
      if (!this.live && this.status !== "closed") this.setStatus("offline");
    });
  }

  // --- what the page reads --------------------------------------------------------

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // Listeners hear about changes at most once per short tick, so a replay of many
  // events renders once.
  changed() {
    if (this.notifyTimer !== null) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = null;
      for (const listener of this.listeners) listener();
    }, 10);
  }

  setStatus(status) {
    if (this.status !== status) {
      this.status = status;
      this.changed();
    }
  }

  serverNow() {
    return Date.now() / 1000 + this.offset;
  }

  // --- the socket -----------------------------------------------------------------

  start() {
    this.connect();
  }

  connect() {
    this.reconnectTimer = null;
    if (this.closed) return;
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.live = false;
    socket.addEventListener("open", () => {
      // batch: the server may join frames into one message (an event, its "can" frame
      // and the ack; all that waits once this page falls behind), read back to back below.
      this.write({ t: "hello", seq: this.seq, lang: this.lang, batch: true });
    });
    socket.addEventListener("message", (message) => {
      if (socket !== this.socket || !(message.data instanceof ArrayBuffer)) return;
      let frames;
      try {
        frames = Array.from(decodeMulti(new Uint8Array(message.data)));
      } catch {
        return; // a damaged message: none of it is used
      }
      for (const frame of frames) {
        if (frame && typeof frame === "object") this.receive(frame);
      }
    });
    socket.addEventListener("close", (event) => {
      if (socket !== this.socket) return;
      this.lost(event.code);
    });
  }

  write(frame) {
    if (this.socket && this.socket.readyState === WebSocket.OPEN) {
      this.socket.send(encode(frame, { ignoreUndefined: true }));
      return true;
    }
    return false;
  }

  lost(code) {
    // Only a connection that lived starts the back-off over: a server that accepts,
    // says ready and closes at once (a worker that lost Redis) is not stormed.
    if (this.readyAt !== null && Date.now() - this.readyAt >= LIVED_MS) this.attempts = 0;
    this.readyAt = null;
    this.socket = null;
    this.live = false;
    clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (FINAL_CLOSES.has(code)) {
      this.closed = { code };
      this.setStatus("closed");
      this.changed();
      return;
    }
    this.scheduleReconnect();
  }

  scheduleReconnect() {
    const delay = backoffDelay(this.attempts);
    this.attempts += 1;
    this.setStatus(navigator.onLine === false ? "offline" : "reconnecting");
    this.connectSoon(delay);
  }

  connectSoon(delay) {
    clearTimeout(this.reconnectTimer);
    if (this.held) {
      this.reconnectTimer = null;
      return;
    }
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  // Test hooks (used by tests/e2e/session/test_room.py): close the socket as a network drop
  // would; the client reconnects and resumes from its seq by itself — or, with
  // `hold`, stays away until resumeConnection(), so a test can act while it is gone.
  dropConnection(hold = false) {
    this.held = Boolean(hold);
    if (this.socket) this.socket.close(TEST_DROP, "test drop");
  }

  resumeConnection() {
    this.held = false;
    if (!this.socket && !this.closed) this.connectSoon(0);
  }

  // --- frames from the server -----------------------------------------------------

  receive(frame) {
    switch (frame.t) {
      case "snapshot":
        this.state = frame.state;
        this.seq = frame.seq;
        this.changed();
        break;
      case "ev":
        this.applyEvent(frame.seq, frame.e);
        break;
      case "ready":
        this.ready(frame);
        break;
      case "can":
        this.moves = frame.moves || NO_MOVES;
        this.changed();
        break;
      case "drafts":
        this.drafts = frame.drafts || [];
        this.changed();
        break;
      case "notes":
        this.notes = { text: frame.text || "", marked: frame.marked || [] };
        this.changed();
        break;
      case "ack":
        this.answered(frame.key, null);
        break;
      case "error":
        this.refused(frame);
        break;
      case "pong":
        this.pong(frame);
        break;
      default:
        break;
    }
  }

  applyEvent(seq, event) {
    if (seq <= this.seq) return; // already held
    if (seq !== this.seq + 1) {
      // A gap: never fold past a missing event. Resume from what we hold.
      if (this.socket) this.socket.close(CLIENT_GAP, "gap");
      return;
    }
    let state = evolve(this.state, event);
    if (this.me && SEEN_BY_ROLE.has(event.type)) state = visibleState(state, this.me.role);
    // A round over, its drafts are published or gone: the server keeps none of them.
    if (event.type === "silent_round_revealed" || event.type === "silent_round_closed") this.drafts = [];
    this.state = state;
    this.seq = seq;
    if (this.live && this.onLiveEvent) this.onLiveEvent(event, state);
    this.changed();
  }

  ready(frame) {
    this.me = frame.me;
    this.state = visibleState(this.state, this.me.role);
    this.live = true;
    this.readyAt = Date.now();
    if (!this.samples.length) this.offset = frame.now - Date.now() / 1000;
    this.setStatus("connected");
    // What was sent and not answered goes again, with its key: applied once at most.
    for (const entry of this.outbox) this.write({ t: "cmd", key: entry.key, cmd: entry.cmd });
    clearInterval(this.pingTimer);
    this.ping();
    this.pingTimer = setInterval(() => this.ping(), PING_EVERY_MS);
    this.changed();
  }

  ping() {
    this.write({ t: "ping", c: Date.now() / 1000 });
  }

  pong(frame) {
    if (typeof frame.c !== "number" || typeof frame.now !== "number") return;
    const back = Date.now() / 1000;
    const rtt = Math.max(0, back - frame.c);
    this.samples.push([rtt, frame.now + rtt / 2 - back]);
    if (this.samples.length > OFFSET_SAMPLES) this.samples.shift();
    const best = this.samples.reduce((a, b) => (b[0] < a[0] ? b : a));
    this.offset = best[1];
    this.changed();
  }

  // --- commands -------------------------------------------------------------------

  // Send a command map (room/domain/session/commands.py's fields); resolves on its ack, rejects
  // with {code, message, params} on its refusal. Kept and resent until answered.
  send(cmd) {
    const key = newKey();
    this.outbox.push({ key, cmd });
    this.saveOutbox();
    const answer = new Promise((resolve, reject) => this.waiting.set(key, { resolve, reject }));
    if (this.live) this.write({ t: "cmd", key, cmd });
    this.changed();
    return answer;
  }

  answered(key, error) {
    const index = this.outbox.findIndex((entry) => entry.key === key);
    if (index >= 0) {
      this.outbox.splice(index, 1);
      this.saveOutbox();
    }
    const waiting = this.waiting.get(key);
    this.waiting.delete(key);
    if (waiting) {
      if (error) waiting.reject(error);
      else waiting.resolve();
    } else if (error) {
      this.notice = error;
    }
    this.changed();
  }

  refused(frame) {
    const error = { code: frame.code, message: frame.message, params: frame.params || {} };
    const key = frame.key;
    if (key && this.outbox.some((entry) => entry.key === key)) {
      if (frame.code === "unavailable" || frame.code === "hello_first") {
        // Nothing was applied: the same key goes again shortly (or after the next ready).
        setTimeout(() => {
          const entry = this.outbox.find((e) => e.key === key);
          if (entry && this.live) this.write({ t: "cmd", key, cmd: entry.cmd });
        }, RETRY_UNAVAILABLE_MS);
        return;
      }
      this.answered(key, error);
      return;
    }
    this.notice = error;
    this.changed();
  }

  dismissNotice() {
    this.notice = null;
    this.changed();
  }

  loadOutbox() {
    try {
      const saved = JSON.parse(sessionStorage.getItem(this.storageKey) || "[]");
      return Array.isArray(saved) ? saved.filter((e) => e && typeof e.key === "string") : [];
    } catch {
      return [];
    }
  }

  saveOutbox() {
    try {
      if (this.outbox.length) sessionStorage.setItem(this.storageKey, JSON.stringify(this.outbox));
      else sessionStorage.removeItem(this.storageKey);
    } catch {
      // Storage full or refused: the outbox still lives in memory.
    }
  }
}
