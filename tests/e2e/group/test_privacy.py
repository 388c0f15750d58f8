"""A person's data in real Chromium: Claire corrects her name from her space, reads
and downloads everything the group holds about her; Nadia downloads Claire's copy from
the group's page and finds both copies in its log of copies. At a laptop's and a
phone's width, each page checked by axe and photographed, to be looked at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from room.i18n import catalogue
from room.store.sqlite import SQLiteStore
from tests.e2e.conftest import SCREENSHOTS, assert_no_axe_violations, new_person, screenshot
from tests.e2e.group.test_groups import _founded_with_a_first_session, _run
from tests.integration.group.test_privacy import _old_link
from tests.running import ServerProcess

FR = catalogue("fr")
WIDTHS = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways ({width}px)"  # type: ignore[index]


@pytest.mark.parametrize("device", list(WIDTHS))
def test_a_member_corrects_her_name_downloads_her_data_and_the_facilitator_sees_the_log(
    server: ServerProcess,
    browser: Browser,
    contexts: list[BrowserContext],
    tmp_path: Path,
    device: str,
) -> None:
    viewport = WIDTHS[device]
    nadia = new_person(browser, contexts, viewport=viewport)
    group, _ = _founded_with_a_first_session(server, nadia)
    # Claire's link, made anew by Nadia from the people table (the old one dies).
    nadia.goto(f"{server.url}/g/{group}#people")
    nadia.get_by_role("button", name=FR["group.people.reissue_of"].format(name="Claire")).click()
    link = nadia.input_value("#link")

    claire = new_person(browser, contexts, viewport=viewport)
    claire.goto(link)
    claire.goto(f"{server.url}/me")
    correct = claire.get_by_text(FR["access.correct.title"])
    correct.click()
    claire.get_by_label(FR["access.correct.email"]).fill("pas-une-adresse")
    claire.get_by_label(FR["access.correct.name"]).fill("Claire Dubois")
    # The browser's own check would stop a wrong address; the server's is the one that
    # counts, so the form is sent as a script could.
    claire.evaluate("document.querySelector('input[type=email]').type = 'text'")
    claire.get_by_role("button", name=FR["access.correct.submit"]).click()
    expect(claire.get_by_role("alert")).to_have_text(FR["error.invalid.email"])
    claire.get_by_label(FR["access.correct.email"]).fill("claire@exemple.fr")
    claire.get_by_role("button", name=FR["access.correct.submit"]).click()
    expect(claire.get_by_role("status")).to_have_text(FR["access.correct.saved"])
    expect(claire.get_by_label(FR["access.correct.name"])).to_have_value("Claire Dubois")
    claire.get_by_text(FR["access.correct.title"]).click()
    assert_no_axe_violations(claire)
    _no_sideways_scroll(claire)
    screenshot(claire, f"privacy-me-{device}")

    claire.get_by_role("link", name=FR["access.read"]).click()
    expect(claire.get_by_role("heading", name=FR["access.title"], level=1)).to_be_visible()
    expect(claire.get_by_role("heading", name=FR["access.section.contributions"])).to_be_visible()
    expect(claire.get_by_text("Proposer un comité mensuel")).to_be_visible()
    assert_no_axe_violations(claire)
    _no_sideways_scroll(claire)
    screenshot(claire, f"privacy-copy-{device}")
    with claire.expect_download() as downloading:
        claire.get_by_role("link", name=FR["access.download_json"]).click()
    saved = tmp_path / "copy.json"
    downloading.value.save_as(saved)
    copy = json.loads(saved.read_text())
    identity = copy["groups"][0]["sections"]["identity"][0]
    assert (identity["name"], identity["email"]) == ("Claire Dubois", "claire@exemple.fr")

    nadia.goto(f"{server.url}/g/{group}#people")
    expect(nadia.get_by_text("Claire Dubois").first).to_be_visible()
    label = FR["access.person_copy_label"].format(name="Claire Dubois")
    nadia.get_by_role("link", name=label).click()
    expect(nadia.get_by_role("heading", name=FR["access.title"], level=1)).to_be_visible()
    nadia.goto(f"{server.url}/g/{group}#copies")
    copies = nadia.locator("ol.copies li")
    expect(copies).to_have_count(3)  # Claire's page, her JSON, Nadia's copy of hers
    expect(copies.first).to_contain_text("Nadia Benali")
    expect(copies.first).to_contain_text("données de Claire Dubois")
    nadia.locator("#copies").scroll_into_view_if_needed()
    assert_no_axe_violations(nadia)
    _no_sideways_scroll(nadia)
    screenshot(nadia, f"privacy-copies-{device}")
    # The page is long: the part to look at, on its own.
    section = nadia.locator('section[data-part="copies"]')
    section.screenshot(path=str(SCREENSHOTS / f"privacy-copies-part-{device}.png"))
    people = nadia.locator('section[data-part="people"]')
    people.screenshot(path=str(SCREENSHOTS / f"privacy-people-part-{device}.png"))


@pytest.mark.parametrize("device", list(WIDTHS))
def test_the_notice_on_the_charter_page_and_the_page_of_an_expired_link(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext], device: str
) -> None:
    """Who is told what, as they see it: the charter page an invited person lands on
    (the rules, the retention, the notice), and the page of a link never opened and too
    old, with its code."""
    viewport = WIDTHS[device]
    nadia = new_person(browser, contexts, viewport=viewport)
    group, _ = _founded_with_a_first_session(server, nadia)
    nadia.goto(f"{server.url}/g/{group}#people")
    nadia.fill("#invite-name", "Ida")
    nadia.get_by_role("button", name=FR["group.people.invite_button"]).click()
    link = nadia.input_value("#link")

    ida = new_person(browser, contexts, viewport=viewport)
    ida.goto(link)
    expect(ida.get_by_role("heading", name=FR["privacy.title"])).to_be_visible()
    expect(ida.get_by_text(FR["privacy.duration"].format(months=12))).to_be_visible()
    assert_no_axe_violations(ida)
    _no_sideways_scroll(ida)
    screenshot(ida, f"privacy-charter-{device}")

    stranger = new_person(browser, contexts, viewport=viewport)
    stranger.goto(f"{server.url}/j/{_expired_link(server, group)}")
    expect(stranger.get_by_role("heading", name=FR["page.link_expired.title"])).to_be_visible()
    expect(stranger.locator("code")).to_have_text("link_expired")
    assert_no_axe_violations(stranger)
    screenshot(stranger, f"privacy-expired-{device}")


def _expired_link(server: ServerProcess, group: str) -> str:
    """A link to ``group`` for its founder, made a month ago and never opened."""
    secret: list[str] = []

    async def make() -> None:
        store = SQLiteStore(server.db_path)
        await store.open()
        try:
            founder = (await store.links(group))[0].participant
        finally:
            await store.close()
        secret.append(await _old_link(server, group, founder, used=False))

    _run(make())
    return secret[0]
