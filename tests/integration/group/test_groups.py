"""A group's cycle over real sockets: founded, joined, session 1 played, session 2
opening on what became of session 1."""

from __future__ import annotations

import httpx

from room.client import CommandRefused, RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from tests.integration.groups import found, play_first_session
from tests.running import ServerProcess


async def test_a_cycle_begins_and_session_two_opens_on_session_one(
    server: ServerProcess,
) -> None:
    cast = await found(server)
    async with httpx.AsyncClient(base_url=server.url) as http:
        view = await cast.view(http, "nadia")
        admitted = [p for p in view["state"]["people"].values() if p["status"] == "admitted"]
        assert len(admitted) == 6  # Nadia and the five members
        first = await cast.plan(http, "2027-01-12T14:00", "claire")
        await play_first_session(cast.links, first)

        second = await cast.plan(http, "2027-02-09T14:00", "karim")
        view = await cast.view(http, "nadia")
        # Claire narrated session 1 and Karim is down for session 2: the rotation
        # suggests a member who has neither narrated nor been planned to.
        assert view["state"]["people"][cast.ids["sophie"]]["status"] == "admitted"
        suggested = await http.get(f"/g/{cast.group}", headers=cast.auth("nadia"))
        assert "Sophie" in suggested.text

        karim = await RoomClient.connect(cast.links["karim"], session=second)
        claire = await RoomClient.connect(cast.links["claire"], session=second)
        try:
            assert karim.me is not None and karim.me.role == "narrator"
            assert claire.me is not None and claire.me.role == "member"
            assert karim.state.follows == first
            cycle = await http.get(f"/api/sessions/{second}/cycle", headers=cast.auth("sophie"))
            assert cycle.status_code == 200, cycle.text
            previous = cycle.json()["previous"]
            assert previous["request"] == "Comment tenir le cadre sans perdre la relation ?"
            assert previous["actions"] == [
                {"what": "Proposer un comité mensuel", "how": "Par écrit", "when": "Lundi"}
            ]
            assert previous["follow_up_by"] == cast.ids["claire"]
            # Only the previous narrator tells what became of her situation.
            sophie = await RoomClient.connect(cast.links["sophie"], session=second)
            try:
                refused = None
                try:
                    await sophie.send(c.Post(kind=Kind.FOLLOW_UP, body={"text": "Moi ?"}))
                except CommandRefused as error:
                    refused = error.code
                assert refused == "forbidden_role"
            finally:
                await sophie.close()
            told = "Le comité a eu lieu : le client a accepté un avenant."
            await claire.send(c.Post(kind=Kind.FOLLOW_UP, body={"text": told}))
        finally:
            await karim.close()
            await claire.close()

        history = await http.get(f"/api/groups/{cast.group}/history", headers=cast.auth("lucas"))
        assert history.status_code == 200, history.text
        one, two = history.json()["situations"]
        assert one["session"] == first and one["follow_ups"] == [told]
        assert one["actions"][0]["what"] == "Proposer un comité mensuel"
        assert two["session"] == second and two["narrator"] == "Karim"
