"""The room as a workspace: for every role, at every step, on a laptop and on a phone,
the live work is on screen without scrolling, and axe finds nothing.

"On screen" is the rule of tests/e2e/session/people.py's ``in_view``: inside the
viewport, not covered (``elementFromPoint`` at its centre), and big enough to hit.
"""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, screenshot
from tests.e2e.session.people import (
    IN_VIEW,
    create_session,
    enter,
    invite,
    next_step,
    person,
    post,
)
from tests.running import ServerProcess

FR = catalogue("fr")
SIZES = {
    "laptop": ({"width": 1366, "height": 768}, 24),
    "phone": ({"width": 390, "height": 844}, 44),
}
# 1366×768 at 200 % zoom: as many CSS pixels as a window half as wide and half as tall.
ZOOMED = {"width": 683, "height": 384}
BODY_TEXT = (".contrib .text", ".request-text", ".now-speaker")  # what people read: >= 16 px
# The names the cards' tools share: each must say which card it acts on.
TWIN_NAMES = """() => {
    const names = [...document.querySelectorAll('.contrib button')]
        .map(b => (b.getAttribute('aria-label') || b.textContent).trim());
    return names.filter((name, i) => names.indexOf(name) !== i);
}"""
STEPS = ("opening", "expose", "questions", "understanding", "possibilities", "action", "closing")


def misplaced(page: Page, selector: str, target: float) -> str | None:
    """Why the first element ``selector`` finds is not in view, or None if it is."""
    found = page.locator(selector)
    if not found.count():
        return f"{selector}: missing"
    seen = found.first.evaluate(IN_VIEW)
    if not (seen["inside"] and seen["uncovered"]):
        return f"{selector}: {seen}"
    if found.first.evaluate("e => e.tagName") == "BUTTON" and min(seen["size"]) < target:
        return f"{selector}: too small {seen['size']}"
    return None


def the_live_work(role: str, step: str) -> list[str]:
    """What ``role`` must have on screen in ``step``: the step and its countdown, the
    floor, the request once written, the step's cards, and their own controls."""
    shown = [
        ".now-bar .countdown",
        ".now-step .timer-phase",
        ".now-speaker",
        ".stepper .is-current",
    ]
    if STEPS.index(step) > STEPS.index("expose"):
        shown.append(".request-text")
    if any(when == step for when, *_ in POSTED):
        shown.append(".step.current .contrib")
    shown += OWN_CONTROLS.get((role, step), [])
    if role == "facilitator" and step != STEPS[-1]:
        shown.append(f"button:text-is('{FR['console.next']}')")
    return shown


def composer(kind: str) -> list[str]:
    form = f".step.current form.compose-{kind}"
    return [f"{form} textarea", f"{form} button[type=submit]"]


# What each person writes with in each step (the flyer's template): a composer, or for
# the narrator answering, the button under the question. The observer has none.
OWN_CONTROLS = {
    ("member", "questions"): composer("question"),
    ("narrator", "understanding"): [
        f".step.current .contrib button:text-is('{FR['contrib.answer']}')"
    ],
    ("member", "possibilities"): composer("proposal"),
    ("narrator", "action"): composer("action"),
    **{(role, "closing"): composer("takeaway") for role in ("facilitator", "narrator", "member")},
}
# The closing round's weather, the narrator's and the members' second task there: beside
# the takeaways on a laptop, in view with them; on a phone, which cannot hold both
# composers and a card, right after them, one scroll away (and then big enough to hit).
WEATHER = (".step.current .weather-form select", ".step.current .weather-form button[type=submit]")
BESIDE = {(role, "closing"): WEATHER for role in ("narrator", "member")}
# What is posted in a step before looking, and by whom.
POSTED = (
    ("questions", "member", "question", "Qui a demandé la réorganisation ?"),
    ("questions", "member", "question", "Depuis quand le CSE est-il consulté ?"),
    ("possibilities", "member", "proposal", "Un groupe de travail paritaire."),
    ("closing", "member", "takeaway", "Écouter avant de proposer."),
)


def test_every_role_has_the_live_work_in_view_at_every_step_on_both_screens(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Facilitator, narrator, member and observer, at each of the seven steps, at
    1366×768 and 390×844: everything ``the_live_work`` names is in view, what people
    read is at least 16 px, and axe finds no violation; at 200 % zoom nothing is wider
    than the window. Screenshots of each land in tests/screenshots/."""
    fac = person(browser, contexts)
    create_session(fac, server, "Séance de juin", "Nadia")
    pages = {
        "facilitator": fac,
        "narrator": enter(browser, contexts, invite(fac, "narrator", "Inès Roussel")),
        "member": enter(browser, contexts, invite(fac, "member", "Karim Haddad")),
        "observer": enter(browser, contexts, invite(fac, "observer", "Paul Vidal")),
    }
    everyone = list(pages.values())
    problems: list[str] = []
    for step in STEPS:
        if step != STEPS[0]:
            next_step(fac, step, everyone)
        if step == "expose":
            nar = pages["narrator"]
            nar.get_by_role("button", name=FR["situation.write"]).click()
            nar.get_by_label(FR["situation.field_title"]).fill("Un CSE tenu à l'écart")
            nar.get_by_label(FR["situation.context"], exact=True).fill(
                "Une PME de 80 salariés.\n" * 6
            )
            nar.get_by_label(FR["situation.request"], exact=True).fill(
                "Comment associer les élus ?"
            )
            nar.get_by_role("button", name=FR["situation.save"]).click()
            expect(fac.locator(".request-text")).to_have_text("Comment associer les élus ?")
        for when, role, kind, text in POSTED:
            if when == step:
                post(pages[role], kind, text, everyone)
        for size, (viewport, target) in SIZES.items():
            for role, page in pages.items():
                page.set_viewport_size(viewport)
                page.evaluate("window.scrollTo(0, 0)")
                beside = list(BESIDE.get((role, step), ()))
                for selector in the_live_work(role, step) + (beside if size == "laptop" else []):
                    why = misplaced(page, selector, target)
                    if why:
                        problems.append(f"{role} {step} {size}: {why}")
                for selector in beside if size == "phone" else []:
                    page.locator(selector).first.scroll_into_view_if_needed()
                    if why := misplaced(page, selector, target):
                        problems.append(f"{role} {step} {size}, scrolled to: {why}")
                    page.evaluate("window.scrollTo(0, 0)")
                if twins := page.evaluate(TWIN_NAMES):
                    problems.append(f"{role} {step}: two cards' tools share a name: {twins}")
                for selector in BODY_TEXT:
                    found = page.locator(selector)
                    if not found.count():
                        continue
                    px = found.first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
                    if px < 16:
                        problems.append(f"{role} {step} {size}: {selector} at {px} px")
                try:
                    assert_no_axe_violations(page)
                except AssertionError as violations:
                    problems.append(f"{role} {step} {size}: axe: {violations}")
                screenshot(page, f"workspace-{step}-{role}-{size}")
        for role, page in pages.items():
            page.set_viewport_size(ZOOMED)
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > ZOOMED["width"]:
                problems.append(f"{role} {step} at 200 %: the page is {wide} px wide")
    assert problems == [], "\n".join(problems)
