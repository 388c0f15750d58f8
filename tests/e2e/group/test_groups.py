"""A group in real Chromium: from the public page to the second session of its cycle.

A consultant applies on the group's public page; the facilitator notes the talk,
turns the application into an invitation and hands over the link; the newcomer
accepts the charter, waits, is admitted, finds the next session in their space and
enters it as its narrator, where session 1's request and action plan are waiting.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from playwright.sync_api import Browser, BrowserContext, Page, expect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, new_person, screenshot
from tests.integration.groups import play_first_session
from tests.running import ServerProcess

FR = catalogue("fr")
REQUEST = "Comment tenir le cadre sans perdre la relation ?"


def _run(coroutine: Any) -> None:
    """Run async test helpers beside sync Playwright, whose loop owns this thread."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _secret(link: str) -> str:
    return link.rsplit("/", 1)[1]


def _founded_with_a_first_session(server: ServerProcess, page: Page) -> tuple[str, str]:
    """Nadia creates the group on the home page; over the API she admits Claire and
    Karim, and session 1 is played. Returns (group id, Nadia's link)."""
    page.goto(server.url)
    page.fill("#group_name", "Codev Lyon 2027")
    page.fill("#group_facilitator", "Nadia Benali")
    page.get_by_role("button", name=FR["group.new.create"]).click()
    link = page.input_value("#link")
    assert "/j/" in link
    page.get_by_role("link", name=FR["group.created.enter"]).click()
    expect(page.get_by_role("heading", name="Codev Lyon 2027")).to_be_visible()
    group = page.url.rsplit("/", 1)[1]
    nadia = {"Authorization": f"Bearer {_secret(link)}"}
    links = {"nadia": link}
    with httpx.Client(base_url=server.url, headers=nadia) as http:

        def do(**command: Any) -> dict[str, Any]:
            answer = http.post(f"/api/groups/{group}/commands", json=command)
            assert answer.status_code == 200, answer.text
            body: dict[str, Any] = answer.json()
            return body

        ids = {}
        for name in ("claire", "karim"):
            invited = do(type="invite_person", name=name.capitalize())
            links[name], ids[name] = invited["link"], invited["id"]
            own = {"Authorization": f"Bearer {_secret(invited['link'])}"}
            accepted = http.post(
                f"/api/groups/{group}/commands",
                json={"type": "accept_charter", "version": 1},
                headers=own,
            )
            assert accepted.status_code == 200, accepted.text
            do(type="admit_person", person=invited["id"], note="Échange en octobre.")
        first = do(type="plan_session", date="2026-10-06T14:00", narrator=ids["claire"])
    _run(play_first_session(links, first["id"]))
    return group, link


def test_an_applicant_becomes_a_member_and_narrates_session_two(
    server: ServerProcess, browser: Browser, contexts: list[BrowserContext]
) -> None:
    nadia = new_person(browser, contexts)
    group, _ = _founded_with_a_first_session(server, nadia)
    assert_no_axe_violations(nadia)

    # The facilitator writes the public page and publishes it.
    nadia.fill("#p-objectives", "Prendre du recul sur sa pratique de consultant, entre pairs.")
    nadia.fill("#p-schedule", "Six séances de 2 h 30, de janvier à juin.")
    nadia.get_by_role("button", name=FR["group.presentation.save"]).click()
    nadia.get_by_role("button", name=FR["group.presentation.publish"]).click()
    public_url = f"{server.url}/p/{group}"
    expect(nadia.get_by_role("link", name=public_url)).to_be_visible()

    # A consultant applies; the page says nothing of who is in the group.
    lea = new_person(browser, contexts)
    lea.goto(public_url)
    expect(lea.get_by_text("Prendre du recul sur sa pratique")).to_be_visible()
    assert "Claire" not in lea.content() and "Karim" not in lea.content()
    assert_no_axe_violations(lea)
    lea.fill("#name", "Léa Martin")
    lea.fill("#email", "lea.martin@example.org")
    lea.fill("#practice", "Consultante RH depuis huit ans, surtout en PME.")
    lea.get_by_role("button", name=FR["public.send"]).click()
    expect(lea.get_by_role("heading", name=FR["page.applied.title"])).to_be_visible()

    # The facilitator notes the talk and turns the application into an invitation.
    nadia.goto(f"{server.url}/g/{group}")
    application = nadia.get_by_role("article", name=re.compile("Léa Martin"))
    application.get_by_label(FR["group.applications.note"]).fill("Appel du 3 novembre.")
    application.get_by_role("button", name=FR["group.applications.save_note"]).click()
    application = nadia.get_by_role("article", name=re.compile("Léa Martin"))
    expect(application.get_by_text(FR["group.applications.status.discussed"])).to_be_visible()
    application.get_by_role("button", name=FR["group.applications.invite"]).click()
    invitation = nadia.input_value("#link")
    assert_no_axe_violations(nadia)

    # Léa opens her link, accepts the charter, and waits to be admitted.
    lea.goto(invitation)
    expect(lea.get_by_role("heading", name=FR["charter.title"])).to_be_visible()
    assert_no_axe_violations(lea)
    lea.get_by_role("button", name=FR["group.charter.accept"]).click()
    expect(lea.get_by_text(FR["group.waiting.body"])).to_be_visible()
    assert "Claire" not in lea.content()
    assert_no_axe_violations(lea)

    # Nadia admits her and plans session 2. The rotation suggests Karim, who has not
    # narrated yet; Léa, who came with a situation, asks to go first.
    nadia.goto(f"{server.url}/g/{group}#people")
    row = nadia.get_by_role("row", name=re.compile("Léa Martin"))
    row.get_by_label(FR["group.people.admission_note"]).fill("Pratique discutée le 3 novembre.")
    row.get_by_role("button", name=FR["group.people.admit"]).click()
    suggestion = FR["group.rotation.suggested"].format(name="Karim")
    expect(nadia.get_by_text(suggestion)).to_be_visible()
    expect(nadia.locator("#plan-narrator option:checked")).to_have_text("Karim")
    nadia.fill("#plan-date", "2027-06-01T14:00")
    nadia.select_option("#plan-narrator", label="Léa Martin")
    nadia.get_by_role("button", name=FR["group.sessions.plan_save"]).click()
    expect(
        nadia.locator(".sessions strong", has_text="mardi 1er juin 2027 à 14:00")
    ).to_be_visible()
    screenshot(nadia, "group-facilitator")
    # On a phone too, the facilitator's page (its administration included) is clean.
    nadia.set_viewport_size({"width": 390, "height": 844})
    assert_no_axe_violations(nadia)
    assert nadia.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(nadia, "group-facilitator-phone")

    # Léa's space lists the coming session; she enters it as its narrator.
    lea.goto(f"{server.url}/me")
    expect(lea.get_by_role("heading", name="Codev Lyon 2027")).to_be_visible()
    assert_no_axe_violations(lea)
    lea.get_by_role("link", name=FR["group.sessions.enter"]).click()
    lea.wait_for_selector("#room")
    expect(lea.get_by_text(REQUEST)).to_be_visible()  # session 1's request, read from it
    expect(lea.get_by_text("Proposer un comité mensuel")).to_be_visible()
    me = lea.evaluate("window.codevRoom.me")
    assert me["role"] == "narrator" and me["name"] == "Léa Martin"
    assert_no_axe_violations(lea)
    screenshot(lea, "group-session-two")
