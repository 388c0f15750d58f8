"""A session of no group erased by its facilitator, over the real server: its sockets
close, its words are in no file of the store, and no one else may erase it."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from room.client import RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from tests.integration.groups import found
from tests.integration.people import Cast, receive, seat
from tests.running import ServerProcess


def files_holding(directory: Path, marker: str) -> list[str]:
    """Every file under ``directory`` (the store's, and the server's log) holding
    ``marker`` in its raw bytes."""
    needle = marker.encode()
    return [str(p) for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes()]


async def closed_code(ws: websockets.ClientConnection) -> int:
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await receive(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def marked(server: ServerProcess) -> tuple[Cast, str]:
    """A session whose situation and a post carry a unique marker."""
    marker = f"MARQUEUR-{uuid.uuid4().hex}"
    cast = await seat(server)
    nadia = await RoomClient.connect(cast.links["nadia"])
    claire = await RoomClient.connect(cast.links["claire"])
    karim = await RoomClient.connect(cast.links["karim"])
    try:
        await nadia.send(c.GoToPhase(phase="expose"))
        await claire.send(c.WriteSituation(title=f"Situation {marker}", request=marker))
        await nadia.send(c.GoToPhase(phase="questions"))
        await karim.send(c.Post(kind=Kind.QUESTION, body={"text": f"Pourquoi {marker} ?"}))
    finally:
        for client in (nadia, claire, karim):
            await client.close()
    assert files_holding(server.db_path.parent, marker)  # the test can see it
    return cast, marker


async def test_the_facilitator_erases_the_session_and_its_words_are_in_no_file(
    server: ServerProcess,
) -> None:
    """DELETE by the facilitator closes every socket of the session with 4040, and its
    words are then in no file; its links open nothing, its page is refused; another
    session is whole."""
    kept = await seat(server)
    cast, marker = await marked(server)
    karim, thomas = await cast.raw("karim"), await cast.raw("thomas")
    async with httpx.AsyncClient(base_url=server.url) as http:
        headers = {**cast.auth("nadia"), "origin": server.url}
        erased = await http.delete(f"/api/sessions/{cast.session}", headers=headers)
        assert erased.status_code == 204, erased.text
        assert await closed_code(karim) == 4040 and await closed_code(thomas) == 4040

        assert files_holding(server.db_path.parent, marker) == []
        for name in ("nadia", "karim"):
            api = await http.get(f"/api/sessions/{cast.session}", headers=cast.auth(name))
            assert api.status_code == 401 and api.json()["code"] == "unauthorized"
            page = await http.get(f"/s/{cast.session}", headers=cast.auth(name))
            assert page.status_code == 403
            assert (await http.get(f"/j/{cast.secret(name)}")).status_code == 404
        again = await http.delete(f"/api/sessions/{cast.session}", headers=headers)
        assert again.status_code == 401
        whole = await http.get(f"/api/sessions/{kept.session}", headers=kept.auth("karim"))
        assert whole.status_code == 200 and whole.json()["state"]["title"] == "Séance 2"


async def test_no_one_but_the_facilitator_erases_a_session(server: ServerProcess) -> None:
    """The narrator, a member and an observer are refused forbidden_role (403, a message
    in their language); no link is unauthorized (401); a foreign page forbidden_origin.
    The session is untouched."""
    cast, marker = await marked(server)
    url = f"/api/sessions/{cast.session}"
    async with httpx.AsyncClient(base_url=server.url) as http:
        for name in ("claire", "karim", "thomas"):
            refused = await http.delete(url, headers=cast.auth(name))
            assert refused.status_code == 403, (name, refused.text)
            body = refused.json()
            assert body["code"] == "forbidden_role"
            assert body["message"] == "Votre rôle ne permet pas cette action."
        english = await http.delete(url, headers={**cast.auth("karim"), "accept-language": "en"})
        assert english.json()["message"] == "Your role does not allow this."
        stranger = await http.delete(url)
        assert stranger.status_code == 401 and stranger.json()["code"] == "unauthorized"
        foreign = {**cast.auth("nadia"), "origin": "https://evil.example"}
        elsewhere = await http.delete(url, headers=foreign)
        assert elsewhere.status_code == 403 and elsewhere.json()["code"] == "forbidden_origin"
        state = (await http.get(url, headers=cast.auth("nadia"))).json()["state"]
        assert state["situation"]["request"] == marker
    assert files_holding(server.db_path.parent, marker)


async def test_a_group_s_session_is_erased_by_its_group_only(server: ServerProcess) -> None:
    """A group's facilitator, facilitating one of its sessions, is refused here (409
    conflict, what: group_session): the group's erase_session is the way, so that the
    group's record stays true. The session is untouched."""
    cast = await found(server, ("claire",))
    async with httpx.AsyncClient(base_url=server.url) as http:
        session = await cast.plan(http, "2027-01-12T14:00", "claire")
        nadia = await RoomClient.connect(cast.links["nadia"], session=session)  # opens it
        await nadia.close()
        url = f"/api/sessions/{session}"
        refused = await http.delete(url, headers=cast.auth("nadia"))
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "conflict"
        assert refused.json()["params"] == {"what": "group_session"}
        assert "page du groupe" in refused.json()["message"]
        assert (await http.get(url, headers=cast.auth("nadia"))).status_code == 200
        page = await http.get(f"/s/{session}", headers=cast.auth("nadia"))
        assert 'id="room"' in page.text and "/erase" not in page.text  # no erasure form


async def test_the_facilitator_s_page_erases_the_session_once_confirmed(
    server: ServerProcess,
) -> None:
    """The facilitator's room page holds the erasure form (a member's does not). Posted
    without the tick, it is refused and erases nothing; ticked, the session is erased,
    its cookie dropped, and its words are in no file."""
    cast, marker = await marked(server)
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=True) as browser:
        member = await browser.get(f"/s/{cast.session}", headers=cast.auth("karim"))
        assert 'id="room"' in member.text and 'name="confirm"' not in member.text
        await browser.get(cast.links["nadia"].removeprefix(server.url))  # the cookie
        page = await browser.get(f"/s/{cast.session}")
        action = f'action="/s/{cast.session}/erase"'
        assert action in page.text and "Effacer cette séance" in page.text
        assert 'name="confirm" value="yes" required' in page.text

        post = f"/s/{cast.session}/erase"
        origin = {"origin": server.url}
        unticked = await browser.post(post, data={}, headers=origin)
        assert unticked.status_code == 400
        assert "Cochez la case pour confirmer l&#39;effacement." in unticked.text
        async with httpx.AsyncClient(base_url=server.url) as karim:
            ticked = {"confirm": "yes"}
            refused = await karim.post(post, data=ticked, headers=cast.auth("karim"))
            assert refused.status_code == 403
            assert "Votre rôle ne permet pas cette action." in refused.text
        assert files_holding(server.db_path.parent, marker)

        erased = await browser.post(post, data={"confirm": "yes"}, headers=origin)
        assert erased.status_code == 200 and "Séance effacée" in erased.text
        assert f"room_{cast.session}=" in erased.headers["set-cookie"]
        assert files_holding(server.db_path.parent, marker) == []
        assert (await browser.get(f"/s/{cast.session}")).status_code == 403
