"""Real headless Chromium for end-to-end tests (Debian's, never a downloaded one).

Tests here are synchronous: Playwright's sync API drives the browser, and the
server runs in its own process (the ``server`` fixture of tests/conftest.py).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import require

CHROMIUM = os.environ.get("ROOM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",  # tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",  # this machine's network is closed: no stray calls
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for the package's tests. Not for the whole session: while sync
    Playwright runs, its event loop counts as running, which async tests cannot share."""
    require(sync_playwright is not None, "playwright (pip install -e '.[test]')")
    require(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
        )
        yield launched
        launched.close()


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts a test opens (one per person); all closed after the test."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def new_person(
    browser: Browser,
    contexts: list[BrowserContext],
    *,
    locale: str = "fr-FR",
    viewport: dict[str, int] | None = None,
) -> Page:
    """A fresh browser (its own cookies), as a different person would have."""
    context = browser.new_context(
        locale=locale, viewport=viewport or {"width": 1280, "height": 900}
    )
    contexts.append(context)
    page = context.new_page()
    page.on("dialog", _no_dialog)
    return page


def paints_late(page: Page) -> None:
    """From its next load on, the page paints no frame, as a tab opened in the
    background: Preact then runs its effects (a view's subscription to its connection)
    only on its fallback timer, after the server has long answered."""
    page.context.add_init_script("window.requestAnimationFrame = () => 0;")


def _no_dialog(dialog: object) -> None:
    raise AssertionError(f"a dialog opened: user text ran as code ({dialog})")


def join(page: Page, link: str, name: str | None = None) -> None:
    """Open an invitation link, give a name if asked, accept the charter, reach the room."""
    page.goto(link)
    accept = page.get_by_role("button", name=re.compile("charte|charter", re.I))
    if accept.count():
        if name is not None and page.locator("input#name").count():
            page.fill("input#name", name)  # observers have no name field
        accept.click()
    page.wait_for_selector("#room")


def assert_no_axe_violations(page: Page) -> None:
    """axe-core finds no accessibility violation on the page as it is now."""
    # Evaluated over the DevTools protocol, not as an inline <script>: the page's CSP
    # (rightly) refuses inline scripts, and is not loosened for tests.
    page.evaluate(AXE.read_text())
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert violations == [], "\n".join(violations)


def screenshot(page: Page, name: str) -> Path:
    """Save what a person would see, for a human to look at (git ignores the folder)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
