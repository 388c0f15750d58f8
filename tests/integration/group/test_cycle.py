"""The cycle over a real server: attendance from who joined, its sheet, the calendar
download, the journal, and erasure that leaves nothing in the store's files."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import datetime
from pathlib import Path

import httpx
from icalendar import Calendar

from room.client import RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from room.i18n import message
from room.records.sheet import COLUMNS
from tests.integration.groups import found, play_first_session
from tests.running import ServerProcess


async def test_attendance_counts_who_joined_and_for_how_long(server: ServerProcess) -> None:
    """Claire comes, leaves and comes back; Karim stays; Sophie never comes. The sheet
    says so, with the facilitator's confirmation and Karim's own, and opens as a
    spreadsheet's CSV with ISO 8601 moments. The next session, not begun, is "à venir"
    for everyone and has no sheet yet."""
    cast = await found(server, ("claire", "karim", "sophie"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
        later = await cast.plan(http, "2027-02-09T14:00", "karim")
        not_begun = await cast.try_(http, "karim", type="confirm_presence", session=session)
        assert not_begun.json()["params"] == {"what": "not_begun"}, not_begun.text
        nadia = await RoomClient.connect(cast.links["nadia"], session=session)
        karim = await RoomClient.connect(cast.links["karim"], session=session)
        claire = await RoomClient.connect(cast.links["claire"], session=session)
        await claire.close()
        await nadia.wait_for(lambda s: not s.participants[cast.ids["claire"]].present)
        claire = await RoomClient.connect(cast.links["claire"], session=session)
        await nadia.send(c.EndSession())
        await claire.wait_for(lambda s: s.ended)
        for client in (nadia, karim, claire):
            await client.close()

        # Karim signs for himself, from his own link; Sophie, who never came, cannot.
        await cast.do(http, "karim", type="confirm_presence", session=session)
        absent = await cast.try_(http, "sophie", type="confirm_presence", session=session)
        assert absent.status_code == 409 and absent.json()["params"] == {"what": "not_present"}
        await cast.do(
            http,
            "nadia",
            type="confirm_attendance",
            session=session,
            person=cast.ids["sophie"],
            status="excused",
            note="Malade, prévenu la veille.",
        )

        facilitator = cast.auth("nadia")
        sheet = await http.get(
            f"/g/{cast.group}/sessions/{session}/attendance.csv", headers=facilitator
        )
        assert sheet.status_code == 200, sheet.text
        assert sheet.content.startswith(b"\xef\xbb\xbf")  # a BOM: accents intact in Excel
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
        assert rows[2] == ["2027-01-12T14:00:00+01:00"]  # the session's start, with its offset
        header, people = rows[4], {row[0]: dict(zip(rows[4], row, strict=True)) for row in rows[5:]}
        # The columns the unit tests of room.records.sheet read, in the page's language.
        assert header == [message("fr", f"sheet.{column}") for column in COLUMNS]
        assert set(people) == {"Nadia", "Claire", "Karim", "Sophie"}
        assert people["Claire"]["Statut"] == people["Karim"]["Statut"] == "présent·e"
        for name in ("Claire", "Karim", "Nadia"):
            for column in ("Arrivée", "Départ"):
                assert datetime.fromisoformat(people[name][column]).utcoffset() is not None
        sophie = people["Sophie"]
        assert (sophie["Statut"], sophie["Arrivée"], sophie["Minutes"]) == (
            "absence excusée",
            "",
            "0",
        )
        assert (sophie["Note"], sophie["Confirmé par"]) == ("Malade, prévenu la veille.", "Nadia")
        assert datetime.fromisoformat(sophie["Confirmé le"]).tzinfo is not None
        assert datetime.fromisoformat(people["Karim"]["Confirmé par la personne le"])
        assert people["Claire"]["Confirmé par la personne le"] == ""

        page = await http.get(f"/g/{cast.group}/sessions/{session}/attendance", headers=facilitator)
        assert "absence excusée" in page.text and "Malade, prévenu la veille." in page.text
        table = await http.get(f"/g/{cast.group}/attendance", headers=facilitator)
        assert table.status_code == 200 and "absence excusée" in table.text
        # The session to come: "à venir" in every row, no absence invented, no sheet yet.
        cells = re.findall(r"<td>(.*?)</td>", table.text, re.S)
        assert sum("à venir" in cell for cell in cells) == 4, cells
        assert "absent·e" not in table.text
        for suffix in ("attendance", "attendance.csv"):
            early = await http.get(
                f"/g/{cast.group}/sessions/{later}/{suffix}", headers=facilitator
            )
            assert early.status_code == 404, suffix
        # Karim's own page says he confirmed; the button is gone.
        mine = await http.get(f"/g/{cast.group}", headers=cast.auth("karim"))
        assert "Présence confirmée le" in mine.text
        assert 'value="confirm_presence"' not in mine.text
        claires = await http.get(f"/g/{cast.group}", headers=cast.auth("claire"))
        assert claires.text.count('value="confirm_presence"') == 1  # session 1, and only it
        # The funder's record is the facilitators': a member reads none of it.
        for path in (
            f"/g/{cast.group}/attendance",
            f"/g/{cast.group}/sessions/{session}/attendance.csv",
        ):
            assert (await http.get(path, headers=cast.auth("karim"))).status_code == 403


async def test_fixing_a_date_plans_one_session_and_the_cycle_counts_held_ones(
    server: ServerProcess,
) -> None:
    """A poll's date fixed is that session, narrator chosen, listed at once; planning
    the same time again is refused unless meant; a cancelled session counts nowhere;
    a date gone by unheld is not "the previous session", and numbers follow."""
    cast = await found(server, ("claire", "karim", "sophie"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.do(http, "nadia", type="propose_slots", dates=["2027-01-12T14:00"])
        view = await cast.view(http, "nadia")
        assert ["fix_slot", "t1"] in view["moves"]
        assert view["suggested_narrator"] == cast.ids["claire"]
        fixed = await cast.do(
            http, "nadia", type="fix_slot", slot="t1", narrator=view["suggested_narrator"]
        )
        first = fixed["id"]
        view = await cast.view(http, "karim")
        assert [(s["date"], s["narrator"]) for s in view["state"]["sessions"].values()] == [
            ("2027-01-12T14:00", cast.ids["claire"])
        ]
        assert ["fix_slot", "t1"] not in (await cast.view(http, "nadia"))["moves"]

        twice = await cast.try_(
            http, "nadia", type="plan_session", date="2027-01-12T14:00", narrator=cast.ids["karim"]
        )
        assert twice.status_code == 409 and twice.json()["code"] == "date_taken", twice.text
        assert twice.json()["params"]["session"] == first
        assert "même heure" in twice.json()["message"]
        # A session planned by mistake is cancelled: it leaves the cycle.
        mistake = await cast.plan(http, "2027-01-05T14:00", "sophie")
        await cast.do(http, "nadia", type="cancel_session", session=mistake)
        second = await cast.plan(http, "2027-02-09T14:00", "karim")

        await play_first_session(cast.links, first)
        karim = await RoomClient.connect(cast.links["karim"], session=second)
        try:
            assert karim.state.follows == first  # not the cancelled one before it
        finally:
            await karim.close()
        began = await cast.try_(http, "nadia", type="cancel_session", session=first)
        assert began.json()["params"] == {"what": "session_begun"}, began.text

        page = (await http.get(f"/g/{cast.group}", headers=cast.auth("nadia"))).text
        assert "Séance 1 · mardi 12 janvier 2027 à 14:00" in page
        assert "Séance 2 · mardi 9 février 2027 à 14:00" in page
        assert "<s>mardi 5 janvier 2027 à 14:00</s>" in page
        sheet = await http.get(
            f"/g/{cast.group}/sessions/{second}/attendance", headers=cast.auth("nadia")
        )
        assert "Codev Lyon 2027 — séance 2" in re.sub(r"<[^>]+>", "", sheet.text)
        history = await http.get(f"/api/groups/{cast.group}/history", headers=cast.auth("karim"))
        assert [s["session"] for s in history.json()["situations"]] == [first, second]
        # Its record names the group, and who of it came: those who played it.
        record = await http.get(f"/s/{first}/export.md", headers=cast.auth("nadia"))
        lines = record.text.replace("\u2068", "").replace("\u2069", "").splitlines()
        assert "- **Groupe** : Codev Lyon 2027" in lines, record.text
        assert "- **Présent·es** : Nadia, Claire, Karim" in lines, record.text
        table = await http.get(f"/g/{cast.group}/attendance", headers=cast.auth("nadia"))
        assert "2027-01-05" not in table.text
        calendar = Calendar.from_ical(
            (await http.get(f"/g/{cast.group}/calendar.ics", headers=cast.auth("karim"))).content
        )
        summaries = [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")]
        assert summaries == ["Codev Lyon 2027 — séance 1", "Codev Lyon 2027 — séance 2"]


async def test_the_calendar_download_parses_with_the_group_s_dates(server: ServerProcess) -> None:
    cast = await found(server, ("claire",), name="Codev; Lyon, « pairs »")
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.plan(http, "2027-03-23T14:00", "claire")
        await cast.plan(http, "2027-04-06T14:00", "claire")
        answer = await http.get(f"/g/{cast.group}/calendar.ics", headers=cast.auth("claire"))
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/calendar")
        assert "attachment" in answer.headers["content-disposition"]
        events = Calendar.from_ical(answer.content).walk("VEVENT")
        starts = sorted(e.decoded("DTSTART") for e in events)
        assert [s.isoformat() for s in starts] == [
            "2027-03-23T14:00:00+01:00",
            "2027-04-06T14:00:00+02:00",
        ]
        assert all("Codev; Lyon, « pairs »" in str(e["SUMMARY"]) for e in events)


async def test_erasing_a_session_leaves_its_words_in_no_file(server: ServerProcess) -> None:
    """A session whose text, and the draft its narrator handed to it, carried a unique
    marker is erased: the marker is in no file of the store, the draft is gone from the
    group, the next session says the one it follows was erased, and the group's history
    lists its date only."""
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = await cast.plan(http, "2027-01-12T14:00", "claire")
        second = await cast.plan(http, "2027-02-09T14:00", "karim")
        words = {"context": f"Contexte {marker}", "request": f"Demande {marker}"}
        saved = await cast.do(http, "claire", type="save_draft", title=f"Brouillon {marker}")
        draft = saved["id"]
        await cast.do(http, "claire", type="use_draft", draft=draft, session=first)
        edited = {"draft": draft, "title": f"Brouillon v2 {marker}", **words}
        await cast.do(http, "claire", type="save_draft", **edited)
        nadia = await RoomClient.connect(cast.links["nadia"], session=first)
        claire = await RoomClient.connect(cast.links["claire"], session=first)
        handed = await http.get(f"/api/sessions/{first}/cycle", headers=cast.auth("claire"))
        assert handed.json()["draft"]["request"] == f"Demande {marker}", handed.text
        await nadia.send(c.GoToPhase(phase="expose"))
        await claire.send(c.WriteSituation(title=f"Situation {marker}", request=marker))
        await nadia.send(c.GoToPhase(phase="closing"))
        await claire.send(c.Post(kind=Kind.TAKEAWAY, body={"text": f"Retenu : {marker}"}))
        await claire.close()
        assert _files_holding(server.db_path.parent, marker)  # the test can see it

        form = {"type": "erase_session", "session": first, "confirm": "yes"}
        headers = {**cast.auth("nadia"), "origin": server.url}
        erased = await http.post(f"/g/{cast.group}/do", data=form, headers=headers)
        assert erased.status_code == 303, erased.text
        await nadia.close()

        assert _files_holding(server.db_path.parent, marker) == []
        assert (await cast.view(http, "claire"))["state"]["drafts"] == {}
        karim = await RoomClient.connect(cast.links["karim"], session=second)  # opens it
        await karim.close()
        cycle = await http.get(f"/api/sessions/{second}/cycle", headers=cast.auth("karim"))
        assert cycle.json()["previous"]["erased"] is True
        history = await http.get(f"/api/groups/{cast.group}/history", headers=cast.auth("karim"))
        one = history.json()["situations"][0]
        assert one["erased"] is True and one["title"] == "" and one["date"] == "2027-01-12T14:00"
        page = await http.get(f"/s/{first}", headers=cast.auth("claire"))
        assert page.status_code == 403


async def test_erasing_the_group_leaves_nothing_of_it(server: ServerProcess) -> None:
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    cast = await found(server, ("claire",), name=f"Groupe {marker}")
    other = await found(server, ("karim",), name="Un autre groupe")
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
        await cast.do(http, "claire", type="post_message", text=f"À l'aide : {marker}")
        client = await RoomClient.connect(cast.links["claire"], session=session)
        await client.close()
        headers = {**cast.auth("nadia"), "origin": server.url}
        wrong = {"type": "erase_group", "confirm": "yes", "confirm_name": "pas le nom"}
        refused = await http.post(f"/g/{cast.group}/do", data=wrong, headers=headers)
        assert refused.status_code == 400 and _files_holding(server.db_path.parent, marker)
        form = {"type": "erase_group", "confirm": "yes", "confirm_name": f"Groupe {marker}"}
        erased = await http.post(f"/g/{cast.group}/do", data=form, headers=headers)
        assert erased.status_code == 200 and "effacé" in erased.text
        assert _files_holding(server.db_path.parent, marker) == []
        assert (await http.get(f"/j/{cast.secret('claire')}")).status_code == 404
        assert (await http.get(f"/api/groups/{cast.group}", headers=headers)).status_code == 401
        assert (await other.view(http, "karim"))["state"]["name"] == "Un autre groupe"


async def test_nothing_of_the_cycle_of_one_group_reaches_another(server: ServerProcess) -> None:
    """Thread, journal, calendar, attendance of group A: a member of group B reads none."""
    a = await found(server, ("claire",), name="Groupe A")
    b = await found(server, ("karim",), name="Groupe B")
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await a.plan(http, "2027-01-12T14:00", "claire")
        await a.do(http, "claire", type="post_message", text="Secret du groupe A")
        await a.do(http, "nadia", type="propose_slots", dates=["2027-05-04T14:00"])
        karim = b.auth("karim")
        for path in (
            f"/g/{a.group}/journal",
            f"/g/{a.group}/journal.md",
            f"/g/{a.group}/calendar.ics",
            f"/g/{a.group}/attendance",
            f"/g/{a.group}/sessions/{session}/attendance",
            f"/g/{a.group}/sessions/{session}/attendance.csv",
        ):
            answer = await http.get(path, headers=karim)
            assert answer.status_code == 403, path
            assert "Secret du groupe A" not in answer.text and "2027-05-04" not in answer.text
        assert (await http.get(f"/api/groups/{a.group}", headers=karim)).status_code == 401
        mine = await b.view(http, "karim")
        assert mine["state"]["messages"] == {} and mine["state"]["slots"] == {}


def _files_holding(directory: Path, marker: str) -> list[str]:
    """Every file under ``directory`` whose raw bytes contain ``marker``."""
    needle = marker.encode()
    return [
        str(path) for path in directory.rglob("*") if path.is_file() and needle in path.read_bytes()
    ]


async def test_the_space_shows_the_next_session_first_and_the_cycle_as_a_timeline(
    server: ServerProcess,
) -> None:
    """Claire's session began, Karim's is the next, Sophie's was cancelled: the space
    opens on Karim's date with a way in, and each session says where it stands."""
    cast = await found(server, ("claire", "karim", "sophie"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = await cast.plan(http, "2027-01-12T14:00", "claire")
        second = await cast.plan(http, "2027-02-09T14:00", "karim")
        dropped = await cast.plan(http, "2027-03-09T14:00", "sophie")
        await cast.do(http, "nadia", type="cancel_session", session=dropped)
        claire = await RoomClient.connect(cast.links["claire"], session=first)
        await claire.close()
        for name in ("claire", "nadia"):
            page = (await http.get(f"/g/{cast.group}", headers=cast.auth(name))).text
            card = page[page.index('class="next-session"') :]
            card = card[: card.index("</section>")]
            assert "mardi 9 février 2027 à 14:00" in card and "Karim" in card, card
            assert f"/g/{cast.group}/sessions/{second}" in card
            for session, status in ((first, "began"), (second, "next"), (dropped, "cancelled")):
                assert f'data-session="{session}" class="is-{status}"' in page, status
        assert 'class="admin-note"' in page  # Nadia's page: administration apart
        member = (await http.get(f"/g/{cast.group}", headers=cast.auth("claire"))).text
        assert 'class="admin-note"' not in member


async def test_the_journal_keeps_a_sessions_weather_once_revealed_and_without_names(
    server: ServerProcess,
) -> None:
    """Karim gave his weather at the closing: the group's journal (page and Markdown)
    shows nothing of it while it is sealed; once the facilitator reveals it, the page
    and the file hold the mood in words and the word, and not whose they are."""
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
        nadia = await RoomClient.connect(cast.links["nadia"], session=session)
        karim = await RoomClient.connect(cast.links["karim"], session=session)
        try:
            await nadia.send(c.GoToPhase(phase="closing"))
            await karim.send(c.GiveWeather(mood=5, word="Lumineux"))
            journal = await http.get(f"/g/{cast.group}/journal", headers=cast.auth("claire"))
            assert "Lumineux" not in journal.text
            await nadia.send(c.RevealWeather())
        finally:
            await nadia.close()
            await karim.close()
        page = await http.get(f"/g/{cast.group}/journal", headers=cast.auth("claire"))
        assert "Lumineux" in page.text and message("fr", "weather.mood.5") in page.text
        md = await http.get(f"/g/{cast.group}/journal.md", headers=cast.auth("nadia"))
        assert md.status_code == 200, md.text
        line = next(line for line in md.text.splitlines() if "Lumineux" in line)
        assert message("fr", "weather.mood.5") in line and "Karim" not in line
