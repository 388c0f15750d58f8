// What the poll and the thread share: re-rendering on change, a command's busy and
// refused states, names and dates.

import { html, useCallback, useEffect, useRef, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { t } from "/static/room/i18n.js";

// Re-render when the group's view (or the connection) changed: the room's hook, since
// GroupLive has the same `subscribe`.
export { useRoom as useLive } from "/static/room/hooks.js";

// A command's life in a form: `run(cmd)` resolves true once applied, false when refused
// (then `error` holds the server's message, in the page's language).
export function useCommand(live) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const mounted = useRef(true);
  useEffect(() => () => (mounted.current = false), []);
  const run = useCallback(
    async (command) => {
      setBusy(true);
      setError(null);
      try {
        await live.send(command);
        if (mounted.current) setBusy(false);
        return true;
      } catch (refusal) {
        if (mounted.current) {
          setBusy(false);
          setError(refusal.message || t("error.generic"));
        }
        return false;
      }
    },
    [live],
  );
  return { run, busy, error };
}

export function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

// An id unique in the page, stable for a component's life.
let lastId = 0;
export function useId(prefix) {
  const ref = useRef(null);
  if (ref.current === null) {
    lastId += 1;
    ref.current = `${prefix}-${lastId}`;
  }
  return ref.current;
}

export function nameOf(state, person) {
  const record = state.people[person];
  return record ? record.name : "?";
}

// The people a poll waits for: everyone admitted now, in invitation order.
export function admitted(state) {
  return Object.values(state.people).filter((p) => p.status === "admitted");
}

// A slot's date is a wall-clock time in the group's time zone ("YYYY-MM-DDTHH:MM"):
// shown as written, in the page's language, whatever the browser's own zone.
export function slotDate(date, lang) {
  const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(date || "");
  if (!match) return date || "";
  const [, y, mo, d, h, mi] = match.map(Number);
  const instant = new Date(Date.UTC(y, mo - 1, d, h, mi));
  return new Intl.DateTimeFormat(lang, {
    weekday: "long",
    day: "numeric",
    month: "long",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    timeZone: "UTC",
  }).format(instant);
}

// When a message was posted (seconds since the epoch), in the group's time zone.
export function postedAt(at, lang, zone) {
  const instant = new Date(at * 1000);
  const options = { day: "numeric", month: "long", hour: "2-digit", minute: "2-digit" };
  try {
    return new Intl.DateTimeFormat(lang, { ...options, timeZone: zone }).format(instant);
  } catch {
    return new Intl.DateTimeFormat(lang, options).format(instant);
  }
}
