"""Silent writing, then reveal, in real Chromium and in every role: the facilitator opens
a round; each member writes drafts that only their own page shows (the narrator's, the
observer's, the facilitator's and the other member's pages never hold the text); a
member who leaves and comes back finds theirs; the reveal shows every text at once, and
the round table reads them.

Every wait is Playwright's auto-waiting ``expect``, never a sleep.
"""

from __future__ import annotations

from playwright.sync_api import Browser, BrowserContext, Page, expect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, screenshot
from tests.e2e.session.people import (
    create_session,
    enter,
    invite,
    live,
    next_step,
    person,
    written,
)
from tests.running import ServerProcess

FR = catalogue("fr")


def keep_draft(page: Page, text: str) -> None:
    form = page.locator(".step.current form.compose-draft.compose-question")
    form.locator("textarea").fill(text)
    form.get_by_role("button", name=FR["silent.keep_of"].format(what=FR["the.question"])).click()
    expect(page.locator(".drafts .draft").filter(has_text=text)).to_have_count(1)


def test_drafts_are_their_authors_alone_until_the_reveal(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    fac = person(browser, contexts)
    create_session(fac, server, "Séance de juin", "Nadia")
    claire = enter(browser, contexts, invite(fac, "narrator", "Claire"))
    karim_link = invite(fac, "member", "Karim")
    karim = enter(browser, contexts, karim_link)
    sofia = enter(browser, contexts, invite(fac, "member", "Sofia"))
    thomas = enter(browser, contexts, invite(fac, "observer", "Thomas"))
    everyone = [fac, claire, karim, sofia, thomas]
    for phase in ("expose", "questions"):
        next_step(fac, phase, everyone)

    fac.locator(".silent-open summary").click()
    fac.get_by_label(FR["silent.minutes"]).fill("4")
    fac.get_by_role("button", name=FR["silent.open"]).click()
    for page in everyone:
        expect(page.locator(".silent-banner")).to_contain_text(FR["silent.title"])
    expect(karim.locator(".silent-banner")).to_contain_text(FR["silent.member"])
    expect(claire.locator(".silent-banner")).to_contain_text(FR["silent.others"])
    # Members write drafts, not posts: the open composer is gone for them.
    expect(karim.locator(".step.current form.compose-question:not(.compose-draft)")).to_have_count(
        0
    )

    mine = "Qui a demandé ce rapport, et quand ?"
    keep_draft(karim, mine)
    keep_draft(karim, "Depuis quand en parles-tu ?")
    keep_draft(sofia, "Qu'as-tu déjà essayé ?")
    for page in (fac, claire, sofia, thomas):
        expect(page.locator("#room")).not_to_contain_text(mine)
        assert mine not in repr(page.evaluate("window.codevRoom.state"))
    for width, height in ((1366, 768), (390, 844)):
        for name, page in (("member", karim), ("facilitator", fac)):
            page.set_viewport_size({"width": width, "height": height})
            page.locator(".silent-banner").scroll_into_view_if_needed()
            screenshot(page, f"silent-{name}-{width}")
        assert_no_axe_violations(karim)

    # Karim's laptop closes; back, his drafts are there.
    karim.close()
    karim = person(browser, contexts)
    karim.goto(karim_link)  # the charter accepted once, the link opens the room
    live(karim)
    expect(karim.locator(".drafts .draft")).to_have_count(2)
    everyone[2] = karim

    fac.get_by_role("button", name=FR["silent.reveal_rotation"]).click()
    for page in everyone:
        expect(page.locator(".silent-banner")).to_have_count(0)
        expect(written(page, mine)).to_have_count(1)
        expect(page.locator(".step.current .contrib")).to_have_count(3)
    # Member after member: Karim's first, Sofia's, then Karim's second; Karim reads first.
    expect(karim.locator(".contrib.is-reading")).to_have_count(1)
    expect(karim.locator(".contrib.is-reading")).to_contain_text(mine)
    expect(karim.locator(".drafts")).to_have_count(0)
    screenshot(fac, "silent-revealed-facilitator-390")
    fac.set_viewport_size({"width": 1366, "height": 768})
    screenshot(fac, "silent-revealed-facilitator-1366")


def test_a_round_closed_unrevealed_shows_nothing_of_it(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    fac = person(browser, contexts)
    create_session(fac, server, "Séance de juin", "Nadia")
    karim = enter(browser, contexts, invite(fac, "member", "Karim"))
    for phase in ("expose", "questions"):
        next_step(fac, phase, [fac, karim])
    fac.locator(".silent-open summary").click()
    fac.get_by_role("button", name=FR["silent.open"]).click()
    keep_draft(karim, "Une question à garder pour moi")
    fac.get_by_role("button", name=FR["silent.close"]).click()
    fac.get_by_role("button", name=FR["silent.close_yes"]).click()
    for page in (fac, karim):
        expect(page.locator(".silent-banner")).to_have_count(0)
        expect(page.locator(".step.current .contrib")).to_have_count(0)
    # The composer is the open one again.
    expect(karim.locator(".step.current form.compose-question:not(.compose-draft)")).to_have_count(
        1
    )
