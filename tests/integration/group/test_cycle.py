"""The cycle over a real server: attendance from who joined, its sheet, the calendar
download, the journal, and erasure that leaves nothing in the store's files."""

from __future__ import annotations

import csv
import io
import uuid
from pathlib import Path

import httpx
from icalendar import Calendar

from room.client import RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from tests.integration.groups import found
from tests.running import ServerProcess


async def test_attendance_counts_who_joined_and_for_how_long(server: ServerProcess) -> None:
    """Claire comes, leaves and comes back; Karim stays; Sophie never comes. The sheet
    says so, with the facilitator's confirmation, and opens as a spreadsheet's CSV."""
    cast = await found(server, ("claire", "karim", "sophie"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
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

        facilitator = cast.auth("nadia")
        sheet = await http.get(
            f"/g/{cast.group}/sessions/{session}/attendance.csv", headers=facilitator
        )
        assert sheet.status_code == 200, sheet.text
        assert sheet.content.startswith(b"\xef\xbb\xbf")  # a BOM: accents intact in Excel
        rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig")), delimiter=";"))
        by_name = {row[0]: row for row in rows if len(row) == 6}
        assert by_name["Claire"][5].startswith("présent·e")
        assert by_name["Karim"][5].startswith("présent·e")
        assert by_name["Sophie"][5].startswith("absent·e") and by_name["Sophie"][2] == ""
        assert all(by_name[name][2] for name in ("Claire", "Karim", "Nadia"))

        await cast.do(
            http,
            "nadia",
            type="confirm_attendance",
            session=session,
            person=cast.ids["sophie"],
            status="excused",
            note="Malade, prévenu la veille.",
        )
        page = await http.get(f"/g/{cast.group}/sessions/{session}/attendance", headers=facilitator)
        assert "absence excusée" in page.text and "Malade, prévenu la veille." in page.text
        table = await http.get(f"/g/{cast.group}/attendance", headers=facilitator)
        assert table.status_code == 200 and "absence excusée" in table.text
        # The funder's record is the facilitators': a member reads none of it.
        for path in (
            f"/g/{cast.group}/attendance",
            f"/g/{cast.group}/sessions/{session}/attendance.csv",
        ):
            assert (await http.get(path, headers=cast.auth("karim"))).status_code == 403


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
    """A session whose text carried a unique marker is erased: the marker is in no file
    of the store, the next session says the one it follows was erased, and the group's
    history lists its date only."""
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = await cast.plan(http, "2027-01-12T14:00", "claire")
        second = await cast.plan(http, "2027-02-09T14:00", "karim")
        nadia = await RoomClient.connect(cast.links["nadia"], session=first)
        claire = await RoomClient.connect(cast.links["claire"], session=first)
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
