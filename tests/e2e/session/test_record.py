"""The session record as a consultant files it: printed to PDF by Chromium, read back.

The session is played over raw sockets (the room's UI has its own tests); what is tested
here is the printable page: what it holds, that it paginates without cutting a card,
that its header is on every page, and that it passes axe at both widths.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import msgpack
import pytest
from playwright.sync_api import Browser, BrowserContext
from pypdf import PdfReader
from websockets.sync.client import ClientConnection, connect

from room.i18n import catalogue
from tests.e2e.conftest import assert_no_axe_violations, new_person, screenshot
from tests.running import ServerProcess

FR = catalogue("fr")
CAST = {"Claire Moreau": "narrator", "Karim Haddad": "member", "Aïcha Traoré": "member"}
QUESTIONS = 18  # enough cards for three pages and more


class Seat:
    """One person's socket: commands sent and acknowledged one by one."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.ws.send(msgpack.packb({"t": "hello", "seq": 0}))
        self.sent = 0
        self.last = ""  # the id of the last contribution posted, by anyone

    def do(self, command: dict[str, Any]) -> None:
        self.sent += 1
        key = f"k{self.sent}"
        self.ws.send(msgpack.packb({"t": "cmd", "key": key, "cmd": command}))
        while True:
            frame = msgpack.unpackb(self.ws.recv(timeout=10), raw=False)
            if frame["t"] == "ev" and frame["e"]["type"] == "contribution_posted":
                self.last = frame["e"]["contribution"]["id"]
            if frame["t"] in ("ack", "error") and frame.get("key") == key:
                assert frame["t"] == "ack", frame
                return

    def post(self, kind: str, text: str = "", **more: Any) -> str:
        """Post; the new contribution's id (its event comes before the ack, and nobody
        else posts meanwhile: the test sends one command at a time)."""
        body = more.pop("body", None) or {"text": text}
        self.do({"type": "post", "kind": kind, "body": body, **more})
        return self.last


def question(n: int) -> str:
    return (
        f"Question {n:02d} : quand le comité social et économique s'est-il réuni pour la "
        "dernière fois sur ce sujet, qui a porté l'ordre du jour, et qu'est-ce que les élus "
        "ont dit de la façon dont la direction les associe aux décisions d'organisation ?"
    )


def answer(n: int) -> str:
    return f"Réponse {n:02d} : en septembre, à la demande du secrétaire ; consultés trop tard."


@pytest.fixture
def played(server: ServerProcess) -> Iterator[tuple[str, dict[str, str]]]:
    """A whole session played by Nadia, Claire, Karim and Aïcha; its id and their secrets."""
    with httpx.Client(base_url=server.url) as http:

        def accept(secret: str) -> None:
            headers = {"Authorization": f"Bearer {secret}"}
            accepted = http.post(
                f"/api/sessions/{session}/charter", json={"version": 1}, headers=headers
            )
            assert accepted.status_code == 204, accepted.text

        created = http.post("/api/sessions", json={"title": "Séance 3", "name": "Nadia Benali"})
        session = created.json()["session"]
        url = f"{server.ws_url}/s/{session}/ws"
        secrets = {"Nadia Benali": created.json()["link"].rsplit("/", 1)[1]}
        accept(secrets["Nadia Benali"])
        for name, role in CAST.items():
            invited = http.post(
                f"/api/sessions/{session}/invitations",
                json={"role": role, "name": name},
                headers={"Authorization": f"Bearer {secrets['Nadia Benali']}"},
            )
            secrets[name] = invited.json()["link"].rsplit("/", 1)[1]
            accept(secrets[name])
    with ExitStack() as sockets:
        seats = [
            Seat(sockets.enter_context(connect(url, additional_headers=headers)))
            for headers in ({"Authorization": f"Bearer {secret}"} for secret in secrets.values())
        ]
        play(*seats)
        yield session, secrets


def play(nadia: Seat, claire: Seat, karim: Seat, aicha: Seat) -> None:
    """The session's steps, through the room's own commands."""
    nadia.do({"type": "go_to_phase", "phase": "expose"})
    claire.do(
        {
            "type": "write_situation",
            "title": "Un CSE tenu à l'écart",
            "context": "Une PME de 80 salariés réorganise ses ateliers.",
            "request": "Comment associer les élus sans perdre le calendrier ?",
        }
    )
    nadia.do({"type": "go_to_phase", "phase": "questions"})
    asked = [(karim if n % 2 else aicha).post("question", question(n)) for n in range(QUESTIONS)]
    nadia.do({"type": "go_to_phase", "phase": "understanding"})
    for n, asked_id in enumerate(asked):
        claire.post("answer", answer(n), answers=asked_id)
    statement = {"values": "La loyauté", "expectations": "Un plan", "stakes": "Ma place"}
    claire.post("statement", body=statement)
    nadia.do({"type": "go_to_phase", "phase": "possibilities"})
    proposal = karim.post("proposal", "Un groupe de travail paritaire sur le calendrier.")
    claire.do({"type": "welcome", "proposal": proposal, "mark": "kept"})
    nadia.do({"type": "go_to_phase", "phase": "action"})
    action = {"what": "Proposer le groupe paritaire", "when": "lundi 18 janvier"}
    claire.post("action", body=action, cites=[proposal])
    nadia.do({"type": "go_to_phase", "phase": "closing"})
    karim.post("takeaway", "Écouter avant de proposer.")
    aicha.post("takeaway", "Le CSE peut être un allié.")


def page_texts(pdf: bytes) -> list[str]:
    """Each printed page's text, its white space folded to single spaces and its
    ligatures ("ﬁ") to their letters."""
    return [
        re.sub(r"\s+", " ", unicodedata.normalize("NFKC", page.extract_text())).strip()
        for page in PdfReader(io.BytesIO(pdf)).pages
    ]


def test_the_printed_record_paginates_cleanly_and_holds_the_whole_session(
    server: ServerProcess,
    browser: Browser,
    contexts: list[BrowserContext],
    played: tuple[str, dict[str, str]],
) -> None:
    """Printed by Chromium: several pages, each headed by the confidentiality notice;
    each question whole on one page with its answer; the session's who and when, the
    statement's parts, the welcomed proposal, the action and what it cites, and each
    takeaway under its author's name, all read back from the PDF's text."""
    session, secrets = played
    page = new_person(browser, contexts)
    page.context.set_extra_http_headers({"Authorization": f"Bearer {secrets['Claire Moreau']}"})
    page.goto(f"{server.url}/s/{session}/export.html")
    pages = page_texts(page.pdf(format="A4"))
    whole = " ".join(pages)

    assert len(pages) >= 3, pages
    assert all(FR["export.confidential"] in text for text in pages), pages
    for n in range(QUESTIONS):
        holding = [text for text in pages if question(n) in text]
        assert len(holding) == 1, f"question {n} is cut across pages or missing"
        assert answer(n) in holding[0], f"answer {n} is not on its question's page"
    for expected in (
        "Présent·es Nadia Benali, Claire Moreau, Karim Haddad, Aïcha Traoré",
        "Narrateur·rice Claire Moreau",
        "Animation Nadia Benali",
        "Demande au groupe Comment associer les élus sans perdre le calendrier ?",
        "Valeurs La loyauté Attentes Un plan Enjeux Ma place",
        "Proposition — Karim Haddad — retenue",
        "Quoi Proposer le groupe paritaire Quand lundi 18 janvier",
        "issue de « Un groupe de travail paritaire sur le calendrier. »",
        "Karim Haddad Écouter avant de proposer.",
        "Aïcha Traoré Le CSE peut être un allié.",
    ):
        assert expected in whole, expected
    assert re.search(r"Date \w+ \d+(er)? \w+ \d{4} à \d\d:\d\d", whole), whole[:400]


def test_the_record_page_is_accessible_and_reflows_on_a_phone(
    server: ServerProcess,
    browser: Browser,
    contexts: list[BrowserContext],
    played: tuple[str, dict[str, str]],
) -> None:
    """axe finds nothing at either width, and on a phone nothing is wider than the screen."""
    session, secrets = played
    for width, height in ((1366, 768), (390, 844)):
        page = new_person(browser, contexts, viewport={"width": width, "height": height})
        page.context.set_extra_http_headers({"Authorization": f"Bearer {secrets['Nadia Benali']}"})
        page.goto(f"{server.url}/s/{session}/export.html")
        assert_no_axe_violations(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        screenshot(page, f"record-{width}")
