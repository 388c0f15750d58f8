"""A whole session run with the keyboard alone: no click, no tap, in any role.

Each person reaches a control with Tab (``tab_to``: as many presses as it takes, within
a bound) and acts with Enter or Space; the facilitator moves through the steps with N.
"""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from room.i18n import catalogue
from tests.e2e.session.people import create_session, enter, invite, person, seen_by_all
from tests.running import ServerProcess

FR = catalogue("fr")
PRESSES = 250  # more Tabs than any page of the room has stops


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the keyboard; fail if it never gets it."""
    for _ in range(PRESSES):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"Tab never reaches {target}")


def current(page: Page, selector: str) -> Locator:
    return page.locator(f".step.current {selector}").first


def write(page: Page, kind: str, text: str) -> None:
    """Into the current step's composer for ``kind``, then its button, by Tab and Enter."""
    tab_to(page, current(page, f"form.compose-{kind} textarea"))
    page.keyboard.type(text)
    page.keyboard.press("Tab")
    expect(current(page, f"form.compose-{kind} button[type=submit]")).to_be_focused()
    page.keyboard.press("Enter")


def to_step(fac: Page, phase: str, everyone: list[Page]) -> None:
    fac.locator(".now-step").focus()  # out of any field, where N is typed as text
    fac.keyboard.press("n")
    for page in everyone:
        expect(page.locator('.stepper [aria-current="step"]')).to_contain_text(FR[f"phase.{phase}"])


def test_a_whole_session_runs_with_the_keyboard_alone(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """The narrator writes the situation, a member asks, the narrator answers, the member
    proposes and the narrator welcomes it, plans an action citing it, the member says
    what they take away, the facilitator ends the session: all by keyboard."""
    fac = person(browser, contexts)
    create_session(fac, server, "Séance au clavier", "Nadia")
    nar = enter(browser, contexts, invite(fac, "narrator", "Inès"))
    karim = enter(browser, contexts, invite(fac, "member", "Karim"))
    everyone = [fac, nar, karim]

    to_step(fac, "expose", everyone)
    tab_to(nar, nar.get_by_role("button", name=FR["situation.write"]))
    nar.keyboard.press("Enter")
    expect(nar.get_by_label(FR["situation.field_title"])).to_be_focused()
    nar.keyboard.type("Un CSE tenu à l'écart")
    tab_to(nar, nar.get_by_label(FR["situation.request"], exact=True))
    nar.keyboard.type("Comment associer les élus ?")
    tab_to(nar, nar.get_by_role("button", name=FR["situation.save"]))
    nar.keyboard.press("Enter")
    for page in everyone:
        expect(page.locator(".request-text")).to_have_text("Comment associer les élus ?")

    to_step(fac, "questions", everyone)
    write(karim, "question", "Qui a demandé la réorganisation ?")
    seen_by_all(everyone, "Qui a demandé la réorganisation ?")

    to_step(fac, "understanding", everyone)
    tab_to(nar, current(nar, ".contrib button:text-is('" + FR["contrib.answer"] + "')"))
    nar.keyboard.press("Enter")
    expect(current(nar, "form.compose-answer textarea")).to_be_focused()
    nar.keyboard.type("La direction, en septembre.")
    nar.keyboard.press("Tab")
    nar.keyboard.press("Enter")
    seen_by_all(everyone, "La direction, en septembre.")

    to_step(fac, "possibilities", everyone)
    write(karim, "proposal", "Un groupe de travail paritaire.")
    seen_by_all(everyone, "Un groupe de travail paritaire.")
    keep = nar.get_by_role("button", name=re.compile("^" + re.escape(FR["welcome.mark_kept"])))
    tab_to(nar, keep)
    nar.keyboard.press("Enter")
    expect(keep).to_have_attribute("aria-pressed", "true")

    to_step(fac, "action", everyone)
    tab_to(nar, current(nar, "form.compose-action textarea"))
    nar.keyboard.type("Proposer le groupe paritaire au CSE")
    tab_to(nar, current(nar, "form.compose-action input[type=checkbox]"))
    nar.keyboard.press("Space")
    tab_to(nar, current(nar, "form.compose-action button[type=submit]"))
    nar.keyboard.press("Enter")
    seen_by_all(everyone, "Proposer le groupe paritaire au CSE")
    expect(current(fac, ".contrib.kind-action")).to_contain_text("Un groupe de travail paritaire.")

    to_step(fac, "closing", everyone)
    write(karim, "takeaway", "Écouter avant de proposer.")
    seen_by_all(everyone, "Écouter avant de proposer.")
    tab_to(fac, fac.get_by_role("button", name=FR["console.end"]))
    fac.keyboard.press("Enter")
    yes = fac.get_by_role("button", name=FR["console.end_yes"])
    expect(fac.get_by_role("button", name=FR["common.cancel"])).to_be_focused()
    fac.keyboard.press("Shift+Tab")
    expect(yes).to_be_focused()
    fac.keyboard.press("Enter")
    for page in everyone:
        expect(page.locator(".ended")).to_have_text(FR["room.ended"])
