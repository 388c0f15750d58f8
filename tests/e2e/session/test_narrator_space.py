"""The narrator's own space, in real Chromium: notes and marked questions that only the
narrator's page shows, and the plan drafted from the proposals they welcomed.

Every wait is Playwright's auto-waiting ``expect``, never a sleep.
"""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, expect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, screenshot
from tests.e2e.session.people import (
    contribution,
    create_session,
    enter,
    invite,
    next_step,
    person,
    post,
    written,
)
from tests.running import ServerProcess

FR = catalogue("fr")


def test_the_narrator_keeps_notes_marks_questions_and_plans_from_welcomed_proposals(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    fac = person(browser, contexts)
    create_session(fac, server, "Séance de juillet", "Nadia")
    claire = enter(browser, contexts, invite(fac, "narrator", "Claire"))
    karim = enter(browser, contexts, invite(fac, "member", "Karim"))
    everyone = [fac, claire, karim]
    next_step(fac, "expose", everyone)
    # Writing her situation, she is told not to name third parties.
    claire.get_by_role("button", name=FR["situation.write"]).click()
    expect(claire.locator("form.situation-form .privacy-warning")).to_have_text(
        FR["privacy.third_parties"]
    )
    for width, height in ((1366, 768), (390, 844)):
        claire.set_viewport_size({"width": width, "height": height})
        claire.locator("form.situation-form").scroll_into_view_if_needed()
        screenshot(claire, f"situation-form-narrator-{width}")
    claire.locator("form.situation-form").get_by_role("button", name=FR["common.cancel"]).click()
    next_step(fac, "questions", everyone)
    question = "Qui a fixé l'échéance ?"
    post(karim, "question", question, seen_by=[fac, claire])

    # Notes and a mark: Claire's page alone shows them.
    note = "Karim touche un point sensible : le calendrier."
    panel = claire.locator("section.notes")
    panel.get_by_label(FR["notes.label"]).fill(note)
    panel.get_by_role("button", name=FR["notes.save"]).click()
    expect(panel.get_by_role("status")).to_have_text(FR["notes.saved"])
    asked = contribution(claire, question)
    asked.get_by_role("button", name=FR["notes.mark"]).click()
    expect(asked.locator(".tag.marked")).to_have_text(FR["notes.marked"])
    expect(asked.get_by_role("button", name=FR["notes.unmark"])).to_have_attribute(
        "aria-pressed", "true"
    )
    for page in (fac, karim):
        expect(page.locator("section.notes")).to_have_count(0)
        expect(contribution(page, question).locator(".tag.marked")).to_have_count(0)
        assert note not in page.content()
    for width, height in ((1366, 768), (390, 844)):
        claire.set_viewport_size({"width": width, "height": height})
        panel.scroll_into_view_if_needed()
        screenshot(claire, f"notes-narrator-{width}")
    assert_no_axe_violations(claire)

    # Reloaded, the notes are there: the server keeps them.
    claire.reload()
    expect(claire.locator("section.notes textarea")).to_have_value(note)

    for phase in ("understanding", "possibilities"):
        next_step(fac, phase, everyone)
    proposal = "Négocier un jalon intermédiaire avec la direction"
    post(karim, "proposal", proposal, seen_by=[fac, claire])
    contribution(claire, proposal).get_by_role("button", name=FR["welcome.mark_kept"]).click()
    next_step(fac, "action", everyone)

    welcomed = claire.locator("details.welcomed")
    welcomed.locator("summary").click()
    welcomed.get_by_role("button", name=FR["notes.from_proposal"]).click()
    form = welcomed.locator("form.compose-action")
    expect(form.get_by_label(FR["field.what"], exact=True)).to_have_value(proposal)
    form.get_by_label(FR["field.when"], exact=True).fill("d'ici vendredi")
    form.get_by_role("button", name=FR["post.submit"]).click()
    for page in everyone:
        expect(page.locator(".step.current .contrib.kind-action")).to_have_count(1)
        expect(page.locator(".step.current .contrib.kind-action")).to_contain_text(proposal)
    expect(claire.locator("details.welcomed")).to_have_count(0)  # every one is in the plan
    assert written(claire, proposal).count() >= 1
    screenshot(claire, "notes-plan-narrator-390")
