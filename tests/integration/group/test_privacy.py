"""A person's rights over their data, over the real server: the copy of everything a
group holds about them (from ``/me``, or made by a facilitator), complete by the
logs themselves; the correction of their name and address, refused with stable codes;
the facilitators' log of copies."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx

from room.client import RoomClient
from room.domain.group import GroupEvent
from room.domain.session import Kind
from room.domain.session import commands as c
from room.domain.session.events import Event as SessionEvent
from room.live.groups import decode_group_event
from room.live.room import decode_event
from room.records.access import SECTIONS, names
from room.store import Link
from room.store.sqlite import SQLiteStore
from room.web.auth import new_secret, secret_hash
from tests.integration.groups import GroupCast, found, play_first_session
from tests.running import ServerProcess


def _browser(server: ServerProcess) -> httpx.AsyncClient:
    """A browser: cookies kept, redirects not followed, the site's own Origin on posts."""
    return httpx.AsyncClient(base_url=server.url, headers={"Origin": server.url})


async def _opened(browser: httpx.AsyncClient, cast: GroupCast, name: str) -> None:
    opened = await browser.get(f"/j/{cast.secret(name)}")
    assert opened.status_code == 303, opened.text


async def _logs(server: ServerProcess, log_ids: list[str]) -> dict[str, list[Any]]:
    """The logs as the store holds them, read beside the running server (WAL readers)."""
    store = SQLiteStore(server.db_path)
    await store.open()
    try:
        logs: dict[str, list[Any]] = {}
        for log_id in log_ids:
            stored = await store.read(log_id)
            decode = decode_group_event if log_id.startswith("g") else decode_event
            logs[log_id] = [decode(event.data) for event in stored]
        return logs
    finally:
        await store.close()


async def _lived(server: ServerProcess) -> tuple[GroupCast, str]:
    """A group where Claire does everything a member does: corrects her name, answers
    the poll, writes in the thread, drafts a situation, narrates a session (in which
    Karim asks and proposes), confirms she came; a facilitator confirms it too."""
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.do(http, "claire", type="correct_person", name="Claire Dubois", email="c@d.fr")
        await cast.do(http, "nadia", type="propose_slots", dates=["2027-03-09T14:00"])
        slot = (await cast.view(http, "claire"))["state"]["slots"]
        await cast.do(http, "claire", type="answer_slot", slot=next(iter(slot)), answer="yes")
        await cast.do(http, "claire", type="post_message", text="Qui a lu le dernier rapport ?")
        await cast.do(http, "claire", type="save_draft", title="Un CSE qui bloque")
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
        await play_first_session(cast.links, session)
        await cast.do(http, "claire", type="confirm_presence", session=session)
        await cast.do(
            http,
            "nadia",
            type="confirm_attendance",
            session=session,
            person=cast.ids["claire"],
            status="present",
        )
    return cast, session


async def test_the_copy_holds_every_fact_of_the_logs_that_names_the_person(
    server: ServerProcess,
) -> None:
    """Claire's copy, from /me as JSON: for every event of the group's log and of its
    session's log that names her, the section that reports its kind holds something;
    and what she wrote reads there as she wrote it. The copy is in the log of copies."""
    cast, session = await _lived(server)
    claire = cast.ids["claire"]
    async with _browser(server) as browser:
        await _opened(browser, cast, "claire")
        answer = await browser.get("/me/export.json")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-disposition"].startswith("attachment")
        assert answer.headers["cache-control"] == "no-store"
        copy = json.loads(answer.content)
    (group,) = copy["groups"]
    sections = group["sections"]
    assert list(sections) == [s.key for s in SECTIONS]

    logs = await _logs(server, [cast.group, session])
    reporting = {kind: s.key for s in SECTIONS for kind in s.kinds}
    met = set()
    for event in [*logs[cast.group], *logs[session]]:
        assert isinstance(event, GroupEvent | SessionEvent)
        if names(event, claire):
            met.add(event.type)
            assert sections[reporting[event.type]], f"{event.type} names Claire, not in her copy"
    # The run met what a member's life in a group makes (and more: the journal's kinds).
    assert {
        "person_invited",
        "charter_accepted",
        "person_admitted",
        "person_corrected",
        "slot_answered",
        "message_posted",
        "draft_saved",
        "session_planned",
        "situation_written",
        "contribution_posted",
        "connected",
        "presence_confirmed",
        "attendance_confirmed",
        "participant_added",
    } <= met

    (identity,) = sections["identity"]
    assert (identity["name"], identity["email"], identity["status"]) == (
        "Claire Dubois",
        "c@d.fr",
        "admitted",
    )
    assert sections["corrections"][0]["name"] == "Claire Dubois"
    assert [row["version"] for row in sections["charter"]] == [1]
    assert [row["what"] for row in sections["admission"]] == ["invited", "admitted"]
    assert sections["admission"][1]["note"].startswith("Échange préalable avec Claire")
    assert sections["poll"] == [{"date": "2027-03-09T14:00", "answer": "yes"}]
    assert [row["text"] for row in sections["thread"]] == ["Qui a lu le dernier rapport ?"]
    assert [row["title"] for row in sections["drafts"]] == ["Un CSE qui bloque"]
    texts = [row["text"] for row in sections["contributions"]]
    assert any("Un client qui change le périmètre" in text for text in texts)  # her situation
    assert any("Proposer un comité mensuel" in text for text in texts)  # her action
    assert not any("Qui signe l'avenant" in text for text in texts)  # Karim's question
    (attended,) = sections["attendance"]
    assert attended["status"] == "present" and attended["self_confirmed_at"]
    assert {c["what"] for c in attended["connections"]} == {"connected", "disconnected"}
    kinds = {row["kind"] for row in sections["mails"]}
    assert kinds <= {"invitation", "admission", "reminder"}  # envelopes; never a body
    assert all("message" not in row for row in sections["mails"])
    assert sections["copies"][0]["record"] == "access_export"  # this very copy

    async with httpx.AsyncClient(base_url=server.url) as http:
        nadia = (await cast.view(http, "nadia"))["state"]["exports"]
        assert [(e["person"], e["record"], e["subject"]) for e in nadia] == [
            (claire, "access_export", claire)
        ]
        assert (await cast.view(http, "karim"))["state"]["exports"] == []  # facilitators'


async def test_the_printable_copy_reads_in_french_and_the_stranger_gets_none(
    server: ServerProcess,
) -> None:
    """/me/export is a page titled by each section in French (in English when asked);
    without a group's link there is no copy."""
    cast, _ = await _lived(server)
    async with _browser(server) as browser:
        await _opened(browser, cast, "claire")
        page = await browser.get("/me/export")
        assert page.status_code == 200
        assert "Mes données" in page.text and "Brouillons de situation" in page.text
        assert "Un CSE qui bloque" in page.text and "Claire Dubois" in page.text
        assert 'href="/me/export.json"' in page.text
        as_html = await browser.get("/me/export.html")
        assert as_html.status_code == 200 and 'href="/me/export.json"' in as_html.text
        assert (await browser.get("/me/export.pdf")).status_code == 404
        english = await browser.get("/me/export", headers={"accept-language": "en"})
        assert "Situation drafts" in english.text
    async with httpx.AsyncClient(base_url=server.url) as stranger:
        assert (await stranger.get("/me/export.json")).status_code == 403


async def test_a_person_corrects_their_name_and_address_and_bad_input_is_refused(
    server: ServerProcess,
) -> None:
    """From /me: a correction is saved and shown; an address of the wrong shape, an
    empty name, an unchanged pair are refused with their code and a readable message,
    the form kept; the API refuses alike; a foreign page is refused."""
    cast = await found(server, ("claire",))
    async with _browser(server) as browser:
        await _opened(browser, cast, "claire")
        form = {"group": cast.group, "name": "Claire Dubois", "email": "claire@exemple.fr"}
        saved = await browser.post("/me/correct", data=form)
        assert saved.status_code == 303 and saved.headers["location"].endswith(f"#me-{cast.group}")
        me = await browser.get(saved.headers["location"])
        assert 'role="status">Correction enregistrée' in me.text
        assert 'value="Claire Dubois"' in me.text and 'value="claire@exemple.fr"' in me.text

        bad = await browser.post("/me/correct", data={**form, "email": "pas-une-adresse"})
        assert bad.status_code == 400
        assert "Cette adresse de courriel n&#39;a pas la bonne forme." in bad.text
        assert 'value="pas-une-adresse"' in bad.text  # what they typed, to fix
        empty = await browser.post("/me/correct", data={**form, "name": "  "})
        assert empty.status_code == 400 and "Indiquez un nom" in empty.text
        same = await browser.post("/me/correct", data=form)
        assert same.status_code == 400 and "Rien n&#39;a changé" in same.text
        foreign = await browser.post(
            "/me/correct", data=form, headers={"Origin": "https://evil.example"}
        )
        assert foreign.status_code == 403
    async with httpx.AsyncClient(base_url=server.url) as http:
        refused = await cast.try_(http, "claire", type="correct_person", name="C", email="a@b")
        assert refused.status_code == 400
        assert (refused.json()["code"], refused.json()["params"]["field"]) == ("invalid", "email")
        view = await cast.view(http, "nadia")
        claire = view["state"]["people"][cast.ids["claire"]]
        assert (claire["name"], claire["email"]) == ("Claire Dubois", "claire@exemple.fr")


async def test_a_facilitator_makes_a_member_s_copy_and_the_log_of_copies_says_so(
    server: ServerProcess,
) -> None:
    """Nadia downloads Karim's copy from the group page: it is Karim's; a member is
    refused another's copy; the group page's log of copies names who took whose."""
    cast = await found(server, ("claire", "karim"))
    karim = cast.ids["karim"]
    url = f"/g/{cast.group}/people/{karim}/export"
    async with _browser(server) as browser:
        await _opened(browser, cast, "nadia")
        page = await browser.get(f"/g/{cast.group}")
        assert f'href="{server.url}{url}"' in page.text
        copy = await browser.get(f"{url}.json")
        assert copy.status_code == 200
        identity = json.loads(copy.content)["groups"][0]["sections"]["identity"]
        assert identity[0]["name"] == "Karim"
        unknown = await browser.get(f"/g/{cast.group}/people/p-nobody/export.json")
        assert unknown.status_code == 404
        logged = await browser.get(f"/g/{cast.group}")
        assert '<h2 id="copies">Journal des copies</h2>' in logged.text
        assert "copie de données personnelles" in logged.text
        assert "données de <bdi>Karim</bdi>" in logged.text
    async with _browser(server) as browser:
        await _opened(browser, cast, "claire")
        assert (await browser.get(f"{url}.json")).status_code == 403
        assert 'id="copies"' not in (await browser.get(f"/g/{cast.group}")).text


async def test_the_notice_names_the_controller_where_data_is_given_and_agreed_to(
    tmp_path: Path,
) -> None:
    """With PRIVACY_CONTROLLER and PRIVACY_CONTACT set: the invitation's message (shown
    to copy, without SMTP), the charter page the invited person lands on and the public
    form each name them, with the group's retention; the draft form warns against
    naming third parties."""
    env = {"PRIVACY_CONTROLLER": "Métropole de Lyon", "PRIVACY_CONTACT": "dpo@exemple.fr"}
    server = ServerProcess(tmp_path, env=env)
    server.start()
    try:
        cast = await found(server, ("claire",))
        async with _browser(server) as browser:
            await _opened(browser, cast, "nadia")
            invited = await browser.post(
                f"/g/{cast.group}/do", data={"type": "invite_person", "name": "Ida"}
            )
            assert invited.status_code == 200
            assert "Métropole de Lyon les traite" in invited.text  # the message to copy
            assert "écrivez à dpo@exemple.fr" in invited.text
            await browser.post(
                f"/g/{cast.group}/do", data={"type": "set_published", "published": "1"}
            )
            public = await browser.get(f"/p/{cast.group}")
            assert "Responsable du traitement : <bdi>Métropole de Lyon</bdi>." in public.text
            assert "12 mois après sa dernière séance tenue" in public.text
        async with _browser(server) as browser:
            await _opened(browser, cast, "claire")
            space = await browser.get(f"/g/{cast.group}")
            assert "Ne nommez personne d&#39;autre que vous" in space.text
            assert 'aria-describedby="third-parties"' in space.text
    finally:
        server.stop()


async def test_without_settings_the_notice_tells_the_organiser_to_set_them(
    server: ServerProcess,
) -> None:
    """The charter page an invited person lands on carries the notice; unset, it says
    which settings the organiser must fill."""
    cast = await found(server, ())
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.invite(http, "ida")
    async with _browser(server) as browser:
        await _opened(browser, cast, "ida")
        charter = await browser.get(f"/g/{cast.group}")
        assert "Accepter" in charter.text or "charte" in charter.text
        assert "PRIVACY_CONTROLLER" in charter.text and "PRIVACY_CONTACT" in charter.text
        assert "effacés 12 mois après sa dernière séance tenue" in charter.text


async def test_every_download_of_a_record_is_in_the_log_of_copies(server: ServerProcess) -> None:
    """The session's record (by its narrator and by a facilitator), the attendance
    sheet as CSV and the journal as Markdown: each download is logged with who, what,
    which session; a refused download is not."""
    cast, session = await _lived(server)
    async with _browser(server) as browser:
        await _opened(browser, cast, "claire")
        assert (await browser.get(f"/s/{session}/export.md")).status_code == 200
        sheet = f"/g/{cast.group}/sessions/{session}/attendance.csv"
        assert (await browser.get(sheet)).status_code == 403  # not hers: not logged
    async with _browser(server) as browser:
        await _opened(browser, cast, "nadia")
        assert (await browser.get(f"/s/{session}/export.html")).status_code == 200
        assert (await browser.get(sheet)).status_code == 200
        assert (await browser.get(f"/g/{cast.group}/journal.md")).status_code == 200
    async with httpx.AsyncClient(base_url=server.url) as http:
        exports = (await cast.view(http, "nadia"))["state"]["exports"]
    claire, nadia = cast.ids["claire"], cast.ids["nadia"]
    assert [(e["person"], e["record"], e["session"]) for e in exports] == [
        (claire, "session_record", session),
        (nadia, "session_record", session),
        (nadia, "attendance_sheet", session),
        (nadia, "journal", ""),
    ]


async def _old_link(server: ServerProcess, scope: str, person: str, used: bool) -> str:
    """A link for ``person`` made 31 days ago (opened then, if ``used``), written into
    the store beside the running server, hashed with the server's own kept key."""
    key = (server.data_dir / "secret_key").read_bytes().strip()
    secret = new_secret()
    month_ago = time.time() - 31 * 86400
    store = SQLiteStore(server.db_path)
    await store.open()
    try:
        await store.add_link(
            Link(
                secret_hash=secret_hash(key, secret),
                scope=scope,
                participant=person,
                created_at=month_ago,
                used_at=month_ago + 60 if used else None,
            )
        )
    finally:
        await store.close()
    return secret


async def test_a_link_never_opened_expires_and_one_opened_keeps_working(
    server: ServerProcess,
) -> None:
    """A link made 31 days ago and never opened is refused (410, a page that says so
    with the stable code link_expired, in the reader's language); one as old but
    opened back then still opens; a fresh one opens, and is then marked opened."""
    cast = await found(server, ("claire",))
    claire = cast.ids["claire"]
    unused = await _old_link(server, cast.group, claire, used=False)
    opened = await _old_link(server, cast.group, claire, used=True)
    async with _browser(server) as browser:
        refused = await browser.get(f"/j/{unused}")
        assert refused.status_code == 410
        assert "Lien expiré" in refused.text and "<code>link_expired</code>" in refused.text
        assert f"room_{cast.group}" not in browser.cookies
        english = await browser.get(f"/j/{unused}", headers={"accept-language": "en"})
        assert "Link expired" in english.text
        assert (await browser.get(f"/j/{opened}")).status_code == 303
        assert (await browser.get(f"/j/{cast.secret('claire')}")).status_code == 303
    store = SQLiteStore(server.db_path)
    await store.open()
    try:
        links = {link.secret_hash: link for link in await store.links(cast.group)}
    finally:
        await store.close()
    key = (server.data_dir / "secret_key").read_bytes().strip()
    assert links[secret_hash(key, cast.secret("claire"))].used_at is not None
    assert links[secret_hash(key, unused)].used_at is None  # refused: not opened


async def test_a_corrected_name_reaches_the_sessions_still_open(server: ServerProcess) -> None:
    """Claire corrects her name while a session of the group is open: the room shows the
    new one; an ended session keeps the name it was held under."""
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        ended = await cast.plan(http, "2027-01-12T14:00", "claire")
        await play_first_session(cast.links, ended)
        open_ = await cast.plan(http, "2027-02-09T14:00", "karim")
        opening = await http.post(
            f"/api/groups/{cast.group}/sessions/{open_}/open", headers=cast.auth("claire")
        )
        assert opening.status_code == 200, opening.text
        await cast.do(http, "claire", type="correct_person", name="Claire Dubois")

        def name_in(view: httpx.Response) -> str:
            name: str = view.json()["state"]["participants"][cast.ids["claire"]]["name"]
            return name

        headers = cast.auth("nadia")
        assert name_in(await http.get(f"/api/sessions/{open_}", headers=headers)) == (
            "Claire Dubois"
        )
        assert name_in(await http.get(f"/api/sessions/{ended}", headers=headers)) == "Claire"


async def test_the_copy_holds_what_a_session_keeps_for_the_person_alone(
    server: ServerProcess,
) -> None:
    """Outside the logs, a session keeps the narrator's notes and a member's drafts of a
    silent round still open: each is in its owner's copy, and in no one else's."""
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
    nadia = await RoomClient.connect(cast.links["nadia"], session=session)
    claire = await RoomClient.connect(cast.links["claire"], session=session)
    karim = await RoomClient.connect(cast.links["karim"], session=session)
    try:
        await nadia.send(c.GoToPhase(phase="questions"))
        await claire.send(c.WriteNotes(text="Le périmètre bouge : en parler à Karim."))
        await nadia.send(c.OpenSilentRound(minutes=5))
        draft = c.WriteDraft(draft="d1", kind=Kind.QUESTION, body={"text": "Qui décide ?"})
        await karim.send(draft)
    finally:
        for client in (nadia, claire, karim):
            await client.close()
    copies = {}
    for name in ("claire", "karim"):
        async with _browser(server) as browser:
            await _opened(browser, cast, name)
            copy = json.loads((await browser.get("/me/export.json")).content)
            copies[name] = copy["groups"][0]["sections"]["kept"]
    assert [(k["kind"], k["text"]) for k in copies["claire"]] == [
        ("notes", "Le périmètre bouge : en parler à Karim.")
    ]
    assert [(k["kind"], k["text"]) for k in copies["karim"]] == [("draft", "Qui décide ?")]
