"""The server's own pages in Chromium: accessible, and no secret left in the URL."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext

from tests.e2e.conftest import assert_no_axe_violations, join, new_person, screenshot
from tests.running import ServerProcess


def test_home_join_and_invalid_link_pages_are_accessible(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """axe-core finds no violation on the home page, the join page and a dead link's page,
    in French and in English."""
    for locale in ("fr-FR", "en-GB"):
        page = new_person(browser, contexts, locale=locale)
        page.goto(server.url)
        assert_no_axe_violations(page)
        page.goto(f"{server.url}/j/no-such-secret")
        assert_no_axe_violations(page)
    page = new_person(browser, contexts)
    page.goto(server.url)
    page.fill("#title", "Séance 1")
    page.fill("#name", "Nadia Benali")
    page.get_by_role("button", name="Créer la séance").click()
    assert "/j/" in page.input_value("#link")  # the facilitator's own link, shown once
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Entrer dans la séance").click()
    page.wait_for_selector("form input#name")
    assert_no_axe_violations(page)
    screenshot(page, "join")


def test_after_opening_a_link_the_url_holds_no_secret(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Creating a session lands on a clean /s/ID URL; the secret is in an HttpOnly cookie
    that page scripts cannot read."""
    page = new_person(browser, contexts)
    page.goto(server.url)
    page.fill("#title", "Séance 1")
    page.fill("#name", "Nadia Benali")
    page.get_by_role("button", name="Créer la séance").click()
    join(page, page.input_value("#link"), name="Nadia B.")
    assert re.fullmatch(rf"{server.url}/s/s[0-9a-f]+", page.url)
    assert "/j/" not in "".join(entry["url"] for entry in page.evaluate("history.state") or [])
    assert page.evaluate("document.cookie") == ""
    cookies = page.context.cookies()
    assert len(cookies) == 1 and cookies[0]["httpOnly"] and cookies[0]["sameSite"] == "Lax"
