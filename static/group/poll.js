// The cycle's calendar, built with the group: the dates a facilitator proposed, each
// person's answer (yes / if needed / no) as it comes, and the facilitator's moves —
// propose dates, fix one (planning that session, with its narrator: the rotation's
// suggestion preselected), close the poll. Controls show only when the server lists
// the move for this person (for fixing, per date).

import { html, useState } from "/static/vendor/preact-htm/standalone.module.js";
import { phrase, t } from "/static/room/i18n.js";
import { ErrorNote, admitted, slotDate, useCommand, useId } from "./common.js";

export const ANSWERS = ["yes", "if_needed", "no"];
const DATES_AT_ONCE = 12; // date fields one proposal shows at most (the server allows 60 in all)

function bySlotDate(a, b) {
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  return Number(a.id.slice(1)) - Number(b.id.slice(1));
}

function Slot({ live, slot, people, lang }) {
  const { run, busy, error } = useCommand(live);
  const me = live.view.me.person;
  const date = slotDate(slot.date, lang);
  const heading = `poll-slot-${slot.id}`;
  const counts = { yes: 0, if_needed: 0, no: 0, none: 0 };
  for (const person of people) {
    const answer = slot.answers[person.id];
    counts[ANSWERS.includes(answer) ? answer : "none"] += 1;
  }
  const mine = slot.answers[me];
  const canAnswer = live.can("answer_slot");
  const canFix = live.can("fix_slot", slot.id);
  return html`<article class="panel slot" data-slot=${slot.id} aria-labelledby=${heading}>
    <h4 id=${heading}>
      ${date}${slot.session ? html` <span class="badge">${t("group.poll.fixed")}</span>` : null}
    </h4>
    <p class="small">${t("group.poll.count", counts)}</p>
    <ul class="slot-answers">
      ${people.map(
        (person) => html`<li key=${person.id} data-person=${person.id}>
          ${phrase("group.poll.person_answer", {
            name: person.name,
            answer: ANSWERS.includes(slot.answers[person.id])
              ? t(`group.poll.answer.${slot.answers[person.id]}`)
              : t("group.poll.no_answer"),
          })}
        </li>`,
      )}
    </ul>
    ${canAnswer
      ? html`<div class="row" role="group" aria-label=${t("group.poll.yours", { date })}>
          ${ANSWERS.map(
            (answer) => html`<button
              key=${answer}
              type="button"
              class="mark"
              aria-pressed=${mine === answer ? "true" : "false"}
              disabled=${busy}
              onClick=${() => mine !== answer && run({ type: "answer_slot", slot: slot.id, answer })}
            >
              ${t(`group.poll.answer.${answer}`)}
            </button>`,
          )}
        </div>`
      : null}
    ${canFix ? html`<${FixForm} live=${live} slot=${slot} date=${date} run=${run} busy=${busy} />` : null}
    <${ErrorNote} error=${error} />
  </article>`;
}

// Fixing a date plans its session: who narrates it is chosen here, the rotation's
// suggestion first; two sessions at one time only when the facilitator ticks it.
function FixForm({ live, slot, date, run, busy }) {
  const members = admitted(live.view.state).filter((p) => p.role === "member");
  // Until the facilitator picks someone, the suggestion as it is now: fixing another
  // date moves it on.
  const [picked, setPicked] = useState(null);
  const narrator = picked || live.view.suggested_narrator || (members[0] && members[0].id) || "";
  const [same, setSame] = useState(false);
  const id = useId("fix");
  if (!members.length) return null;
  function submit(event) {
    event.preventDefault();
    run({ type: "fix_slot", slot: slot.id, narrator, same_date: same });
  }
  return html`<form class="tools" onSubmit=${submit}>
    <label for=${`${id}-narrator`}>${t("group.poll.fix_narrator", { date })}</label>
    <select id=${`${id}-narrator`} value=${narrator} onChange=${(e) => setPicked(e.currentTarget.value)}>
      ${members.map((p) => html`<option key=${p.id} value=${p.id} dir="auto">${p.name}</option>`)}
    </select>
    <input id=${`${id}-same`} type="checkbox" checked=${same} onChange=${(e) => setSame(e.currentTarget.checked)} />
    <label for=${`${id}-same`}>${t("group.sessions.same_date")}</label>
    <button type="submit" class="quiet" disabled=${busy}>${t("group.poll.fix")}</button>
  </form>`;
}

function ProposeForm({ live }) {
  const [dates, setDates] = useState([""]);
  const { run, busy, error } = useCommand(live);
  const id = useId("propose");
  const set = (index, value) => setDates(dates.map((d, i) => (i === index ? value : d)));
  async function submit(event) {
    event.preventDefault();
    const chosen = dates.filter((d) => d);
    if (!chosen.length) return;
    // A datetime-local field gives "YYYY-MM-DDTHH:MM" (seconds only if a step asks).
    if (await run({ type: "propose_slots", dates: chosen.map((d) => d.slice(0, 16)) })) setDates([""]);
  }
  return html`<form class="compose" onSubmit=${submit} aria-labelledby=${`${id}-title`}>
    <h4 id=${`${id}-title`}>${t("group.poll.propose.title")}</h4>
    ${dates.map(
      (value, index) => html`<div class="row" key=${index}>
        <label for=${`${id}-${index}`}>${t("group.poll.propose.date", { n: index + 1 })}</label>
        <input
          id=${`${id}-${index}`}
          type="datetime-local"
          required=${index === 0}
          value=${value}
          onInput=${(event) => set(index, event.currentTarget.value)}
        />
        ${index > 0
          ? html`<button
              type="button"
              class="quiet"
              onClick=${() => setDates(dates.filter((_, i) => i !== index))}
            >
              ${t("group.poll.propose.remove", { n: index + 1 })}
            </button>`
          : null}
      </div>`,
    )}
    <div class="row">
      ${dates.length < DATES_AT_ONCE
        ? html`<button type="button" class="quiet" onClick=${() => setDates([...dates, ""])}>
            ${t("group.poll.propose.add")}
          </button>`
        : null}
      <button type="submit" disabled=${busy}>${t("group.poll.propose.send")}</button>
    </div>
    <${ErrorNote} error=${error} />
  </form>`;
}

function ClosePoll({ live }) {
  const { run, busy, error } = useCommand(live);
  return html`<p class="tools">
      <button type="button" class="quiet" disabled=${busy} onClick=${() => run({ type: "close_poll" })}>
        ${t("group.poll.close")}
      </button>
    </p>
    <${ErrorNote} error=${error} />`;
}

export function Poll({ live, lang, news }) {
  const { state } = live.view;
  const slots = Object.values(state.slots).sort(bySlotDate);
  const people = admitted(state);
  return html`<section class="poll" aria-labelledby="poll-title">
    <h3 id="poll-title">${t("group.poll.title")}</h3>
    <p class="small">${t("group.poll.intro")} ${t("group.poll.time_zone", { zone: state.time_zone })}</p>
    ${slots.length
      ? html`<p>${state.poll_open ? t("group.poll.open") : t("group.poll.closed")}</p>
          <div class="slots contribs">
            ${slots.map((slot) => html`<${Slot} key=${slot.id} live=${live} slot=${slot} people=${people} lang=${lang} />`)}
          </div>`
      : html`<p class="empty">${t("group.poll.none")}</p>`}
    ${live.can("close_poll") ? html`<${ClosePoll} live=${live} />` : null}
    ${live.can("propose_slots") ? html`<${ProposeForm} live=${live} />` : null}
    <p class="visually-hidden" aria-live="polite">${news ? html`<span key=${news.n}>${news.text}</span>` : null}</p>
  </section>`;
}

// One sentence for a screen reader about what others changed in the poll, or "".
export function pollNews(before, after, lang) {
  const me = after.me.person;
  const old = before.state;
  const now = after.state;
  const answered = [];
  const lines = [];
  const added = Object.keys(now.slots).filter((id) => !old.slots[id]).length;
  if (added) lines.push(t("group.poll.news.proposed", { count: added }));
  for (const slot of Object.values(now.slots)) {
    const was = old.slots[slot.id];
    if (!was) continue;
    const date = slotDate(slot.date, lang);
    for (const [person, answer] of Object.entries(slot.answers)) {
      if (person === me || was.answers[person] === answer || !ANSWERS.includes(answer)) continue;
      const name = now.people[person] ? now.people[person].name : "?";
      answered.push(t("group.poll.news.answered", { name, answer: t(`group.poll.answer.${answer}`), date }));
    }
    if (slot.session && !was.session) lines.push(t("group.poll.news.fixed", { date }));
  }
  if (answered.length > 3) lines.push(t("group.poll.news.answers", { count: answered.length }));
  else lines.push(...answered);
  if (old.poll_open && !now.poll_open) lines.push(t("group.poll.news.closed"));
  return lines.join(" ");
}
