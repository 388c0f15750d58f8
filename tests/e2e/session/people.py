"""People in the room, in real Chromium: their pages, what they send, what they see.

Shared by the room's end-to-end tests. Every wait is Playwright's auto-waiting
``expect``, never a sleep.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgpack
from playwright.sync_api import Browser, BrowserContext, Locator, Page, WebSocket, expect

from room.i18n import catalogue
from tests.e2e.conftest import new_person
from tests.running import ServerProcess

FR = catalogue("fr")


# --- people and their pages ---------------------------------------------------------------


@dataclass
class Frames:
    """What a page sent over its WebSockets, decoded (msgpack); what it received, as
    the bytes of each message (one or several frames), to look for what must not be there."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    received: list[bytes] = field(default_factory=list)

    def hellos(self) -> list[dict[str, Any]]:
        return [frame for frame in self.sent if frame.get("t") == "hello"]

    def commands(self) -> list[dict[str, Any]]:
        return [frame for frame in self.sent if frame.get("t") == "cmd"]


def watch_frames(page: Page) -> Frames:
    frames = Frames()

    def on_socket(socket: WebSocket) -> None:
        def on_sent(payload: str | bytes) -> None:
            if isinstance(payload, bytes):
                frames.sent.append(msgpack.unpackb(payload, raw=False))

        def on_received(payload: str | bytes) -> None:
            if isinstance(payload, bytes):
                frames.received.append(payload)

        socket.on("framesent", on_sent)
        socket.on("framereceived", on_received)

    page.on("websocket", on_socket)
    return frames


# Errors the pages' scripts log or throw during a test; a network refusal while the
# server is down is expected (the browser logs it), nothing else is.
SCRIPT_ERRORS: list[str] = []
_EXPECTED = re.compile(r"WebSocket connection to .* failed|ERR_CONNECTION_REFUSED")


def person(browser: Browser, contexts: list[BrowserContext], **options: Any) -> Page:
    """A new person's page (conftest's ``new_person``), its script errors recorded."""
    page = new_person(browser, contexts, **options)
    page.on("pageerror", lambda error: SCRIPT_ERRORS.append(str(error)))
    page.on(
        "console",
        lambda message: (
            SCRIPT_ERRORS.append(message.text)
            if message.type == "error" and not _EXPECTED.search(message.text)
            else None
        ),
    )
    return page


def live(page: Page, timeout: float = 15000) -> None:
    """The room is rendered and its connection is up."""
    expect(page.locator("#room .conn-connected")).to_be_visible(timeout=timeout)


def join(page: Page, link: str) -> None:
    """Open an invitation link and accept the charter (keeping the name given at the
    invitation; observers are not asked for one)."""
    page.goto(link)
    page.get_by_role("button", name=FR["charter.accept"]).click()
    live(page)


def create_session(page: Page, server: ServerProcess, title: str, name: str) -> str:
    """Through the home page's form, then the join page; returns the session id."""
    page.goto(server.url)
    page.fill("#title", title)
    page.fill("#name", name)
    page.get_by_role("button", name=FR["page.home.create"]).click()
    page.get_by_role("link", name=FR["created.enter"]).click()
    page.get_by_role("button", name=FR["charter.accept"]).click()
    live(page)
    match = re.search(r"/s/(s[0-9a-f]+)$", page.url)
    assert match, page.url
    return match.group(1)


def invite(facilitator: Page, role: str, name: str) -> str:
    """Through the invitation panel; returns the link it shows."""
    panel = facilitator.locator("section.invitations")
    panel.get_by_label(FR["invite.name"]).fill(name)
    panel.get_by_label(FR["invite.role"], exact=True).select_option(role)
    panel.get_by_role("button", name=FR["invite.create"]).click()
    shown = panel.locator(".new-link input")
    expect(shown).to_have_value(re.compile(r"/j/"))
    link = shown.input_value()
    panel.get_by_role("button", name=FR["invite.done"]).click()
    return link


def enter(browser: Browser, contexts: list[BrowserContext], link: str, **options: Any) -> Page:
    page = person(browser, contexts, **options)
    join(page, link)
    live(page)
    return page


def post(
    page: Page, kind: str, text: str | None = None, seen_by: Sequence[Page] = (), **fields: str
) -> None:
    """Fill the current step's form for ``kind`` and post it; wait for it to show there
    and in every page of ``seen_by``, exactly once."""
    form = page.locator(f".step.current form.compose-{kind}")
    if text is not None:
        form.locator("textarea").fill(text)
    for name, value in fields.items():
        form.get_by_label(FR[f"field.{name}"], exact=True).fill(value)
    form.get_by_role("button", name=FR["post.submit"]).click()
    shown = text if text is not None else next(iter(fields.values()))
    for reader in [page, *seen_by]:
        expect(written(reader, shown)).to_have_count(1)


def _says(page: Page, text: str) -> Locator:
    exact = re.compile(f"^{re.escape(text)}$")
    return page.locator("p.text, dd").filter(has_text=exact)


def written(page: Page, text: str) -> Locator:
    """Where contributions say ``text``, exactly (not a name or a heading that says it)."""
    return page.locator(".contrib").locator(_says(page, text))


def contribution(page: Page, text: str) -> Locator:
    """The innermost contribution holding ``text``."""
    return page.locator(".contrib", has=_says(page, text)).last


def next_step(facilitator: Page, phase: str, everyone: list[Page]) -> None:
    facilitator.get_by_role("button", name=FR["console.next"], exact=True).click()
    for page in everyone:
        expect(page.locator('.stepper [aria-current="step"]')).to_contain_text(FR[f"phase.{phase}"])


def seen_by_all(pages: list[Page], text: str) -> None:
    for page in pages:
        expect(written(page, text)).to_have_count(1)


IN_VIEW = """(element) => {
    const box = element.getBoundingClientRect();
    const x = box.left + box.width / 2, y = box.top + box.height / 2;
    const inside = box.width > 0 && box.top >= 0 && box.left >= 0
        && box.bottom <= innerHeight && box.right <= innerWidth;
    const top = document.elementFromPoint(x, y);
    return { inside, uncovered: !!top && (top === element || element.contains(top)),
             size: [box.width, box.height] };
}"""


def in_view(locator: Locator, target: float) -> None:
    """Visible without scrolling, not covered by anything, and big enough to hit."""
    seen = locator.evaluate(IN_VIEW)
    assert seen["inside"] and seen["uncovered"], (locator, seen)
    assert min(seen["size"]) >= target or locator.evaluate("e => e.tagName") != "BUTTON", seen
