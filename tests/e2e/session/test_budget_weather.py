"""The time budget that borrows, and the closing round's weather, in Chromium, as the
facilitator, the narrator, a member and an observer see them.

No button makes a step overrun in seconds: a raw client with the facilitator's link
takes time off the step's countdown (extend_timer, negative), as test_room.py does.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import msgpack
from playwright.sync_api import Browser, BrowserContext, Page, expect
from websockets.sync.client import connect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, screenshot
from tests.e2e.session.people import (
    in_view,
    invite,
    join,
    live,
    next_step,
    person,
    watch_frames,
)
from tests.running import ServerProcess

FR = catalogue("fr")
LAPTOP, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
SECRET = "Un mot pour moi seul"


def _session(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext], **cast: str
) -> tuple[str, str, dict[str, Page]]:
    """A session made over HTTP, its facilitator Nadia and the ``cast`` (name: role) in
    their pages; returns the session, the facilitator's secret and the pages by name."""
    created = httpx.post(
        f"{server.url}/api/sessions", json={"title": "Séance de juin", "name": "Nadia"}
    ).json()
    fac = person(browser, contexts)
    join(fac, created["link"])
    pages = {"nadia": fac}
    for name, role in cast.items():
        link = invite(fac, role, name)
        pages[name] = person(browser, contexts)
        join(pages[name], link)
        live(pages[name])
    return created["session"], created["link"].rsplit("/", 1)[1], pages


def _raw_command(server: ServerProcess, session: str, secret: str, cmd: dict[str, Any]) -> None:
    with connect(
        f"{server.ws_url}/s/{session}/ws", additional_headers={"Authorization": f"Bearer {secret}"}
    ) as ws:
        ws.send(msgpack.packb({"t": "hello", "seq": 0}))
        ws.send(msgpack.packb({"t": "cmd", "key": "raw-1", "cmd": cmd}))
        reply: dict[str, Any] = {}
        while reply.get("t") not in ("ack", "error"):
            reply = msgpack.unpackb(ws.recv(timeout=10), raw=False)
        assert reply["t"] == "ack", reply


def test_an_overrun_shows_the_steps_ahead_and_the_facilitator_borrows_for_everyone(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """The questions step runs five minutes over: everyone's rail says so and lists
    the steps ahead with their boxes; only the facilitator has a button per step, in
    view and big enough on both screens. She takes the overrun from the action plan:
    everyone reads who took how much from where, the countdown is back in its box, the
    stepper shows the action plan shorter; the record states planned and actual."""
    session, secret, pages = _session(
        server, browser, contexts, Inès="narrator", Karim="member", Paul="observer"
    )
    fac, everyone = pages["nadia"], list(pages.values())
    next_step(fac, "expose", everyone)
    next_step(fac, "questions", everyone)
    _raw_command(server, session, secret, {"type": "extend_timer", "seconds": -1800})
    for page in everyone:
        expect(page.locator(".side-col .borrow")).to_be_visible()
        expect(page.locator(".borrow-steps li")).to_have_count(4)  # understanding … closing
        expect(page.locator(".borrow")).to_contain_text(FR["phase.action"])
    for name in ("Inès", "Karim", "Paul"):
        expect(pages[name].locator(".borrow button")).to_have_count(0)
    minutes = int(fac.locator(".borrow").get_attribute("data-minutes") or "0")
    assert minutes in (5, 6)
    take = fac.get_by_role(
        "button", name=FR["budget.borrow_label"].format(minutes=minutes, phase=FR["phase.action"])
    )
    for viewport, target, name in ((LAPTOP, 24, "laptop"), (PHONE, 44, "phone")):
        for who in ("nadia", "Karim"):
            pages[who].set_viewport_size(viewport)
            pages[who].evaluate("window.scrollTo(0, 0)")
            pages[who].locator(".side-col").evaluate("e => e.scrollTo(0, 0)")  # the rail's top
        screenshot(fac, f"budget-overrun-facilitator-{name}")
        screenshot(pages["Karim"], f"budget-overrun-member-{name}")
        if name == "laptop":  # the rail's top: the first step's button with no scrolling
            in_view(fac.locator(".borrow button").first, target)
        take.scroll_into_view_if_needed()
        in_view(take, target)
        assert_no_axe_violations(fac)
        assert_no_axe_violations(pages["Karim"])
    fac.set_viewport_size(LAPTOP)
    pages["Karim"].set_viewport_size(LAPTOP)

    take.click()
    said = FR["budget.borrowed"].format(
        name="Nadia", minutes=minutes, **{"from": FR["phase.action"], "to": FR["phase.questions"]}
    )
    for page in everyone:
        expect(page.locator(".borrowed")).to_have_text(said)
        expect(page.locator(".side-col .borrow")).to_have_count(0)
        expect(page.locator(".countdown")).not_to_have_class(re.compile("overrun"))
        action = page.locator(".stepper li", has_text=FR["phase.action"])
        expect(action).to_contain_text(FR["steps.minutes"].format(minutes=15 - minutes))
    screenshot(pages["Karim"], "budget-borrowed-member-laptop")

    fac.goto(f"{server.url}/s/{session}/export.html")
    table = fac.locator(".record-times")
    expect(table).to_contain_text(FR["budget.record.planned"])
    row = table.locator("tr", has_text=FR["phase.action"])
    expect(row.locator("td").nth(0)).to_have_text(FR["budget.minutes"].format(minutes=15))
    expect(row.locator("td").nth(1)).to_have_text(FR["budget.minutes"].format(minutes=15 - minutes))
    screenshot(fac, "budget-record-laptop")


def test_the_weather_is_each_ones_own_until_all_have_answered(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """At the closing, Karim gives his weather: his page shows it; Sophie's, the
    narrator's, the facilitator's and the observer's show "1 sur 3 ont répondu" and
    never his word — not even in the frames their pages received. The observer and the
    facilitator have no form; the facilitator may show it early. When the narrator and
    Sophie have answered, everyone sees the three, moods in words."""
    session, secret, pages = _session(
        server, browser, contexts, Inès="narrator", Karim="member", Sophie="member", Paul="observer"
    )
    frames = {name: watch_frames(page) for name, page in pages.items()}
    for page in pages.values():  # the socket watched from its start
        page.reload()
        live(page)
    fac, everyone = pages["nadia"], list(pages.values())
    _raw_command(server, session, secret, {"type": "go_to_phase", "phase": "closing"})
    for page in everyone:
        expect(page.locator(".weather")).to_be_visible()
    for name in ("nadia", "Paul"):
        expect(pages[name].locator(".weather-form")).to_have_count(0)
    expect(fac.get_by_role("button", name=FR["weather.reveal"])).to_have_count(0)  # none yet

    karim = pages["Karim"]
    karim.get_by_label(FR["weather.mood"]).select_option("4")
    karim.get_by_label(FR["weather.word"]).fill(SECRET)
    karim.get_by_role("button", name=FR["weather.give"]).click()
    counted = FR["weather.count"].format(given=1, total=3)
    for page in everyone:
        expect(page.locator(".weather-count")).to_have_text(counted)
    expect(karim.locator(".weather-mine")).to_contain_text(SECRET)
    for name in ("nadia", "Inès", "Sophie", "Paul"):
        expect(pages[name].locator("#room")).not_to_contain_text(SECRET)
        assert SECRET.encode() not in b"".join(frames[name].received), name
    expect(fac.get_by_role("button", name=FR["weather.reveal"])).to_be_visible()
    for viewport, target, size in ((LAPTOP, 24, "laptop"), (PHONE, 44, "phone")):
        for name in ("Sophie", "nadia"):
            page = pages[name]
            page.set_viewport_size(viewport)
            page.evaluate("window.scrollTo(0, 0)")
            button = page.locator(".weather button").first
            if size == "phone":  # after the takeaways, one scroll away
                button.scroll_into_view_if_needed()
            screenshot(
                page, f"weather-before-{'facilitator' if name == 'nadia' else 'member'}-{size}"
            )
            in_view(button, target)  # on a laptop, beside the takeaways: no scrolling
            assert_no_axe_violations(page)

    for name, mood, word in (("Inès", 3, "Soulagée"), ("Sophie", 5, "Merci à tous")):
        page = pages[name]
        page.get_by_label(FR["weather.mood"]).select_option(str(mood))
        page.get_by_label(FR["weather.word"]).fill(word)
        page.get_by_role("button", name=FR["weather.give"]).click()
    for page in everyone:
        listed = page.locator(".weather-list li")
        expect(listed).to_have_count(3)
        expect(listed.filter(has_text="Karim")).to_contain_text(SECRET)
        expect(listed.filter(has_text="Karim")).to_contain_text(
            FR["weather.mood_of"].format(mood=FR["weather.mood.4"], level=4)
        )
    expect(fac.get_by_role("button", name=FR["weather.reveal"])).to_have_count(0)
    for viewport, size in ((LAPTOP, "laptop"), (PHONE, "phone")):
        for name in ("Paul", "Sophie"):
            pages[name].set_viewport_size(viewport)
            pages[name].locator(".weather").scroll_into_view_if_needed()
            assert_no_axe_violations(pages[name])
        screenshot(pages["Paul"], f"weather-after-observer-{size}")
        screenshot(pages["Sophie"], f"weather-after-member-{size}")


def test_the_facilitator_shows_the_weather_early_and_a_late_answer_shows_at_once(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    """Only Karim answered (the narrator is slow to): Nadia shows the weather now;
    everyone, the observer too, sees Karim's; Sophie, who had not answered, still may,
    and hers shows to all at once."""
    session, secret, pages = _session(
        server, browser, contexts, Inès="narrator", Karim="member", Sophie="member", Paul="observer"
    )
    fac, everyone = pages["nadia"], list(pages.values())
    _raw_command(server, session, secret, {"type": "go_to_phase", "phase": "closing"})
    karim = pages["Karim"]
    karim.get_by_label(FR["weather.mood"]).select_option("2")
    karim.get_by_label(FR["weather.word"]).fill("Fatigué")
    karim.get_by_role("button", name=FR["weather.give"]).click()
    expect(pages["Paul"].locator(".weather-count")).to_have_text(
        FR["weather.count"].format(given=1, total=3)
    )
    fac.get_by_role("button", name=FR["weather.reveal"]).click()
    for page in everyone:
        expect(page.locator(".weather-list li")).to_have_count(1)
        expect(page.locator(".weather-list")).to_contain_text("Fatigué")
    expect(fac.get_by_role("button", name=FR["weather.reveal"])).to_have_count(0)
    expect(karim.locator(".weather-form")).to_have_count(0)  # his is shown: nothing to give
    sophie = pages["Sophie"]
    sophie.get_by_label(FR["weather.mood"]).select_option("5")
    sophie.get_by_label(FR["weather.word"]).fill("Gratitude")
    sophie.get_by_role("button", name=FR["weather.give"]).click()
    for page in everyone:
        expect(page.locator(".weather-list li")).to_have_count(2)
        expect(page.locator(".weather-list")).to_contain_text("Gratitude")
