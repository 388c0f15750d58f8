// A group's server-rendered page, kept in step with the group: when the group's socket
// announces a seq past the one the page was rendered at (`<main data-seq>`), the page is
// read again and each of its parts (`[data-part]`, or the whole of <main> if it has
// none) is replaced by its new version. The server renders every part for the reader,
// with only the controls it would accept: nothing is decided here.
//
// A part the person is working in — a field focused or changed, even a focused link —
// is left as it is until they leave it, then brought up to date: an update never takes
// a half-written text or the control under the finger. Open <details> stay open.
// If the page became another one (the waiting page once admitted: `data-page`
// differs) it is loaded anew.

import { GroupSocket } from "./group.js";

const STALE_READS = 3; // reads in a row that do not reach the announced seq, before waiting

function partsOf(root) {
  const parts = [...root.querySelectorAll("[data-part]")];
  return parts.length ? parts : [root];
}

// Whether the person is in the middle of something in this part.
function busy(part) {
  const active = document.activeElement;
  if (active && active !== document.body && part.contains(active)) return true;
  for (const field of part.querySelectorAll("input, textarea, select")) {
    if (field.type === "hidden") continue;
    if (field.type === "checkbox" || field.type === "radio") {
      if (field.checked !== field.defaultChecked) return true;
    } else if (field.tagName === "SELECT") {
      if ([...field.options].some((o) => o.selected !== o.defaultSelected)) return true;
    } else if (field.value !== field.defaultValue) {
      return true;
    }
  }
  return false;
}

// A <details> is the same one in the new version if it holds the same first id.
function detailsKey(details) {
  if (details.id) return details.id;
  const named = details.querySelector("[id]");
  return named ? named.id : null;
}

function replacePart(current, fresh, isRoot) {
  const open = new Set(
    [...current.querySelectorAll("details[open]")].map(detailsKey).filter(Boolean),
  );
  // A copy: the version read stays whole while other parts wait for the person.
  const copy = document.importNode(fresh, true);
  for (const details of copy.querySelectorAll("details")) {
    if (open.has(detailsKey(details))) details.open = true;
  }
  if (isRoot) current.replaceChildren(...copy.childNodes);
  else current.replaceWith(copy);
}

export class PageParts {
  constructor(main) {
    this.main = main;
    this.seq = Number(main.dataset.seq) || 0; // what the page shows
    this.announced = this.seq;
    this.reading = false;
    this.fresh = null; // the latest version read, not yet wholly shown
    // Leaving a part one was busy in brings it up to date (after focus has moved).
    main.addEventListener("focusout", () => setTimeout(() => this.settle(), 0));
    main.addEventListener("reset", () => setTimeout(() => this.settle(), 0));
  }

  announce(seq) {
    this.announced = Math.max(this.announced, seq);
    if (this.announced > this.seq) this.read();
  }

  async read() {
    if (this.reading) return; // the loop reads again if a newer seq came meanwhile
    this.reading = true;
    let stale = 0;
    try {
      while (this.announced > this.seq && stale < STALE_READS) {
        let answer;
        try {
          answer = await fetch(location.pathname + location.search, {
            cache: "no-store",
            credentials: "same-origin",
            headers: { Accept: "text/html" },
          });
        } catch {
          return; // offline: the socket's next announcement reads again
        }
        if (!answer.ok) {
          // Access ended or the group went: the server's page says why.
          location.reload();
          return;
        }
        const page = new DOMParser().parseFromString(await answer.text(), "text/html");
        const main = page.querySelector("main");
        if (!main || main.dataset.page !== this.main.dataset.page) {
          location.reload();
          return;
        }
        const seq = Number(main.dataset.seq) || 0;
        stale = seq > this.seq ? 0 : stale + 1;
        if (seq >= this.seq) {
          this.seq = seq;
          this.fresh = main;
          this.settle();
        }
      }
    } finally {
      this.reading = false;
    }
  }

  // Show what was read, part by part, where the person is not busy.
  settle() {
    if (!this.fresh) return;
    const current = partsOf(this.main);
    const fresh = partsOf(this.fresh);
    const names = (parts) => parts.map((p) => p.dataset.part || "").join(" ");
    if (names(current) !== names(fresh)) {
      // Another shape (a role changed): only a new load shows it right.
      if (!current.some(busy)) location.reload();
      return;
    }
    let left = false;
    current.forEach((part, i) => {
      if (busy(part)) left = true;
      else if (part.innerHTML !== fresh[i].innerHTML) replacePart(part, fresh[i], part === this.main);
    });
    this.main.dataset.shown = String(this.seq); // for tests: the seq every part shows
    if (left) this.main.dataset.shown = "";
    else this.fresh = null;
  }
}

// Closes after which the page itself has changed (the link revoked, the person removed,
// a new charter to accept, the group erased): loading it again shows what it is now.
const RELOAD_ON = new Set([4001, 4003, 4010, 4040]);

// A page that only follows the group (not the space, whose live part owns a socket).
export function followPage() {
  const main = document.querySelector("main[data-group]");
  if (!main) return null;
  const parts = new PageParts(main);
  const socket = new GroupSocket(main.dataset.group, {
    onSeq: (seq) => parts.announce(seq),
    onStatus: () => {
      if (socket.closed && RELOAD_ON.has(socket.closed.code)) location.reload();
    },
  });
  socket.connect();
  return { parts, socket };
}
