// Small hooks the views share: the room's changes, a ticking clock, drafts that survive
// a control disappearing (or a reload), and a command's pending / refused state.

import { useState, useEffect, useCallback, useRef } from "/static/vendor/preact-htm/standalone.module.js";
import { t, has } from "./i18n.js";

// Re-render when the connection (the room's, or the group's) says something changed.
// Effects run after the first paint, and a fast server can answer before that: the
// render right after subscribing shows whatever changed in between, or a quiet page
// would keep showing "loading" until its next change.
export function useRoom(room) {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const unsubscribe = room.subscribe(() => setVersion((v) => v + 1));
    setVersion((v) => v + 1);
    return unsubscribe;
  }, [room]);
  return room;
}

// The page's clock, re-read every `ms` (for countdowns and floor time).
export function useTick(ms = 1000) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

// Drafts live outside the components (and in sessionStorage): when the server takes a
// control away mid-sentence (a round moves on, the step changes), or the page reloads,
// what the person typed is still there when the control comes back.
const drafts = new Map();
let draftPrefix = "codev-room:draft:";

export function setDraftScope(session) {
  draftPrefix = `codev-room:draft:${session}:`;
}

function readDraft(key, initial) {
  if (drafts.has(key)) return drafts.get(key);
  try {
    const saved = sessionStorage.getItem(draftPrefix + key);
    if (saved !== null) {
      const value = JSON.parse(saved);
      drafts.set(key, value);
      return value;
    }
  } catch {
    // unreadable: start from the initial value
  }
  return initial;
}

function writeDraft(key, value) {
  if (value === undefined) drafts.delete(key);
  else drafts.set(key, value);
  try {
    if (value === undefined) sessionStorage.removeItem(draftPrefix + key);
    else sessionStorage.setItem(draftPrefix + key, JSON.stringify(value));
  } catch {
    // storage refused: the in-memory draft is enough
  }
}

// [value, set, clear] for a form's fields (an object), kept under `key`.
export function useDraft(key, initial) {
  const [, redraw] = useState(0);
  const initialRef = useRef(initial);
  initialRef.current = initial;
  const value = readDraft(key, initial);
  const set = useCallback(
    (changes) => {
      writeDraft(key, { ...readDraft(key, initialRef.current), ...changes });
      redraw((v) => v + 1);
    },
    [key],
  );
  const clear = useCallback(() => {
    writeDraft(key, undefined);
    redraw((v) => v + 1);
  }, [key]);
  return [value, set, clear];
}

// A command's life in a form: `run(cmd)` resolves true once acknowledged, false when
// refused (then `error` holds the server's message, in the page's language).
export function useCommand(room) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const mounted = useRef(true);
  useEffect(() => () => (mounted.current = false), []);
  const run = useCallback(
    async (cmd) => {
      setBusy(true);
      setError(null);
      try {
        await room.send(cmd);
        if (mounted.current) setBusy(false);
        return true;
      } catch (refusal) {
        if (mounted.current) {
          setBusy(false);
          setError(explain(refusal));
        }
        return false;
      }
    },
    [room],
  );
  return { run, busy, error, setError };
}

// The server's message, or a plainer one for a field the catalogue knows
// (error.invalid.<field>: "the link must start with https://", …).
export function explain(refusal) {
  const field = refusal.params && refusal.params.field;
  if (refusal.code === "invalid" && typeof field === "string" && has(`error.invalid.${field}`)) {
    return t(`error.invalid.${field}`);
  }
  return refusal.message || t("error.generic");
}

// An id unique in the page, stable for a component's life.
let lastId = 0;
export function useId(prefix = "f") {
  const ref = useRef(null);
  if (ref.current === null) {
    lastId += 1;
    ref.current = `${prefix}-${lastId}`;
  }
  return ref.current;
}

// Put the keyboard in the first field of a form that just opened (answer, edit, hide…).
export function useFocusFirst() {
  const ref = useRef(null);
  useEffect(() => {
    const field = ref.current && ref.current.querySelector("textarea, input, button");
    if (field) field.focus();
  }, []);
  return ref;
}
