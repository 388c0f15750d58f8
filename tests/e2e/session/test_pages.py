"""The server's own pages in Chromium: accessible, and no secret left in the URL."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, BrowserContext

from room.i18n import catalogue, message
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


def test_the_browser_writes_french_as_the_server_does(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """The room's own strings, filled in the browser, elide as the server's do: every
    French sentence with a placeholder, given a name that begins with a vowel and one
    that begins with a consonant, reads the same from static/room/i18n.js as from
    room/i18n.py."""
    strings = catalogue("fr")
    keys = sorted(k for k, v in strings.items() if isinstance(v, str) and "{" in v)
    page = new_person(browser, contexts)
    page.goto(server.url)
    shown = page.evaluate(
        """async ([strings, keys, values]) => {
            const i18n = await import("/static/room/i18n.js");
            const element = document.createElement("script");
            element.textContent = JSON.stringify(strings);
            i18n.loadCatalogue(element);
            const names = (text) => [...text.matchAll(/\\{(\\w+)\\}/g)].map((m) => m[1]);
            return values.map((value) => keys.map((key) =>
                i18n.t(key, Object.fromEntries(names(strings[key]).map((n) => [n, value])))));
        }""",
        [strings, keys, ["Alice Martin", "Marc Un"]],
    )
    for value, texts in zip(["Alice Martin", "Marc Un"], shown, strict=True):
        expected = [
            message("fr", key, **dict.fromkeys(re.findall(r"\{(\w+)\}", strings[key]), value))
            for key in keys
        ]
        assert texts == expected
    assert "Nouvelle question d'Alice Martin" in shown[0]
