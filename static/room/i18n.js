// The page's catalogue (a flat map key -> text, from room/catalogue/<lang>.json, put
// in the page by templates/room.html). Every visible string comes from it.

import { html } from "/static/vendor/preact-htm/standalone.module.js";

let strings = {};

export function loadCatalogue(element) {
  strings = element ? JSON.parse(element.textContent) : {};
}

// French elides "de" and "que" before a vowel ("la question d'Alice", "en tant
// qu'animateur·rice"): the catalogue says "de {name}", the rule applies once the name
// is known. The same rule as room/i18n.py's `elide`; an initial h is left alone.
const ELIDABLE = /\b([Dd]e|[Qq]ue|[Jj]usque|[Ll]orsque|[Pp]uisque) \{(\w+)\}/g;
const VOWEL = /^[aeiouyàâäéèêëîïôöûüùæœ]/i;

export function elide(text, params) {
  return text.replace(ELIDABLE, (whole, word, name) => {
    const value = Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : "";
    return VOWEL.test(value) ? `${word.slice(0, -1)}'{${name}}` : whole;
  });
}

// The text for `key`, its {placeholders} filled from `params`; the key itself when
// missing, so that a forgotten string shows up rather than vanishing.
export function t(key, params = {}) {
  const raw = strings[key];
  if (typeof raw !== "string") return key;
  const text = elide(raw, params);
  return text.replace(/\{(\w+)\}/g, (whole, name) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

// The same text as nodes to render, each filled placeholder in a <bdi>: a name or a
// text written right to left (or holding direction controls) keeps to itself instead
// of reordering the sentence around it. Attributes and announcements take t().
export function phrase(key, params = {}) {
  const raw = strings[key];
  if (typeof raw !== "string") return key;
  return elide(raw, params).split(/\{(\w+)\}/g).map((part, i) => {
    if (i % 2 === 0) return part;
    return Object.prototype.hasOwnProperty.call(params, part) ? html`<bdi>${String(params[part])}</bdi>` : `{${part}}`;
  });
}

export function has(key) {
  return typeof strings[key] === "string";
}

// Minutes and seconds, as 04:09 (hours when needed: 1:04:09).
// A length of time in hours and minutes, as a schedule reads: "2 h 30", "45 min".
export function duration(seconds) {
  const minutes = Math.max(0, Math.round(seconds / 60));
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m} min`;
  return `${h} h ${String(m).padStart(2, "0")}`;
}

export function clock(seconds) {
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = String(m).padStart(2, "0");
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
