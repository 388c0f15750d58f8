// The closing round's weather: each member and the narrator give a mood (five levels,
// each a word, never an icon alone) and a word. Until it is revealed the server sends
// everyone but its author a sealed copy (mood 0, word ""), so this view can only show
// one's own and how many answered; the reveal brings them all (room/domain/session/weather.py).

import { html, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { phrase, t } from "./i18n.js";
import { useCommand, useId } from "./hooks.js";

// (Not contributions.js's, which shows this panel: no import goes back to it.)
const canDo = (ctx, type) => ctx.moves.do.includes(type);
const nameOf = (state, id) => (state.participants[id] ? state.participants[id].name : "");

export const MOODS = [1, 2, 3, 4, 5];
// Symbols the system's text fonts draw (no colour-emoji font needed); shown beside the
// words, hidden from screen readers, which read the words.
const ICONS = { 1: "\u26A1", 2: "\u2602", 3: "\u2601", 4: "\u263C", 5: "\u2600" };
// The steps whose template phase says `weather` (templates.py): the last of each method.
const WEATHER_STEPS = ["closing", "learnings"];

function ErrorNote({ error }) {
  return error ? html`<p class="error" role="alert">${error}</p>` : null;
}

// Whose weather the reveal waits for, as the server counts them: the narrator, the
// members present, and anyone who answered already.
export function answered(state) {
  const total = new Set(Object.keys(state.weather));
  for (const p of Object.values(state.participants)) {
    if (p.removed) continue;
    if (p.role === "narrator" || (p.role === "member" && p.present)) total.add(p.id);
  }
  return { given: Object.keys(state.weather).length, total: total.size };
}

export function Mood({ mood }) {
  return html`<span class="weather-mood" data-mood=${mood}>
    <span class="weather-icon" aria-hidden="true">${ICONS[mood]}</span>
    ${t("weather.mood_of", { mood: t(`weather.mood.${mood}`), level: mood })}
  </span>`;
}

// The weather sits beside the takeaways on a wide screen (both in view), after them on a
// phone (one scroll away: a phone cannot hold both composers and a card); kept small.
export function WeatherPanel({ ctx }) {
  const { state, me } = ctx;
  const here = WEATHER_STEPS.includes(state.phase);
  const any = Object.keys(state.weather).length > 0;
  if (!here && !any) return null;
  const mine = me ? state.weather[me.participant] : undefined;
  const { given, total } = answered(state);
  const giving = canDo(ctx, "give_weather") && !(state.weather_revealed && mine);
  return html`<section class="weather" aria-labelledby="weather-h">
    <h3 id="weather-h">
      ${t("weather.title")}
      <span class="weather-count" role="status" aria-live="polite">${t("weather.count", { given, total })}</span>
    </h3>
    ${state.weather_revealed || canDo(ctx, "reveal_weather")
      ? null
      : html`<p class="small weather-rule">${t("weather.waiting")}</p>`}
    ${mine && mine.mood && !state.weather_revealed
      ? html`<p class="weather-mine">${phrase("weather.mine", { mood: t(`weather.mood.${mine.mood}`), word: mine.word })}</p>`
      : null}
    ${giving ? html`<${WeatherForm} ctx=${ctx} mine=${mine} />` : null}
    ${state.weather_revealed ? html`<${Revealed} state=${state} />` : null}
    <${RevealButton} ctx=${ctx} />
  </section>`;
}

function WeatherForm({ ctx, mine }) {
  const { run, busy, error } = useCommand(ctx.room);
  const id = useId("weather");
  const [mood, setMood] = useState(mine && mine.mood ? String(mine.mood) : "");
  const [word, setWord] = useState(mine ? mine.word : "");
  async function submit(event) {
    event.preventDefault();
    await run({ type: "give_weather", mood: parseInt(mood, 10), word });
  }
  return html`<form class="weather-form" onSubmit=${submit}>
    <div class="weather-field">
      <label for=${`${id}-mood`}>${t("weather.mood")}</label>
      <select id=${`${id}-mood`} class="weather-moods" required value=${mood} onChange=${(e) => setMood(e.currentTarget.value)}>
        <option value="">${t("weather.choose")}</option>
        ${MOODS.map(
          (m) => html`<option key=${m} value=${String(m)}>
            ${ICONS[m]} ${t("weather.mood_of", { mood: t(`weather.mood.${m}`), level: m })}
          </option>`,
        )}
      </select>
    </div>
    <div class="weather-field weather-field-word">
      <label for=${`${id}-word`}>${t("weather.word")}</label>
      <input id=${`${id}-word`} class="weather-word" required maxlength="60" value=${word} onInput=${(e) => setWord(e.currentTarget.value)} />
    </div>
    <button type="submit" disabled=${busy}>${t(mine ? "weather.change" : "weather.give")}</button>
    <${ErrorNote} error=${error} />
  </form>`;
}

function Revealed({ state }) {
  const entries = Object.entries(state.weather);
  if (!entries.length) return html`<p class="empty">${t("weather.none")}</p>`;
  return html`<div class="weather-revealed">
    <h4>${t("weather.revealed")}</h4>
    <ul class="weather-list">
      ${entries.map(
        ([who, w]) => html`<li key=${who} data-pid=${who}>
          <strong dir="auto">${nameOf(state, who)}</strong> — <${Mood} mood=${w.mood} /> — <bdi class="weather-said">${w.word}</bdi>
        </li>`,
      )}
    </ul>
  </div>`;
}

function RevealButton({ ctx }) {
  const { run, busy, error } = useCommand(ctx.room);
  if (!canDo(ctx, "reveal_weather")) return null;
  return html`<div class="weather-reveal">
    <button type="button" class="quiet" disabled=${busy} aria-describedby="weather-reveal-hint" onClick=${() => run({ type: "reveal_weather" })}>
      ${t("weather.reveal")}
    </button>
    <p class="small" id="weather-reveal-hint">${t("weather.reveal_hint")}</p>
    <${ErrorNote} error=${error} />
  </div>`;
}
