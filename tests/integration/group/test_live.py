"""The group's socket, over the real server: members hear "the group is at seq N" when
someone answers the calendar poll or writes in the thread; strangers are turned away;
access that ends closes the socket; a burst of commands does not queue a frame each.

The socket carries no content: each test reads what changed through the JSON API, as
the page does.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from room.domain.group import commands as gcmd
from room.domain.session import SYSTEM
from room.live.groups import Group
from room.store import open_store
from tests.integration.groups import GroupCast, found
from tests.integration.people import OPEN_SOCKETS, pack, receive
from tests.running import ServerProcess

WITHIN = 5.0  # seconds a frame or a close may take: "at once", with margin


# --- helpers --------------------------------------------------------------------------------


def _url(cast: GroupCast, group: str | None = None) -> str:
    return f"{cast.server.ws_url}/g/{group or cast.group}/ws"


async def _follow(cast: GroupCast, name: str) -> tuple[ClientConnection, int]:
    """A live group socket for ``name``; returns it with the seq of its first frame."""
    ws = await websockets.connect(_url(cast), additional_headers=cast.auth(name))
    OPEN_SOCKETS.append(ws)
    first = await _frame(ws)
    assert first["t"] == "group", first
    return ws, first["seq"]


async def _frame(ws: ClientConnection) -> dict[str, Any]:
    async with asyncio.timeout(WITHIN):
        return await receive(ws)


async def _until(ws: ClientConnection, seq: int) -> list[int]:
    """Read ``group`` frames until one says ``seq``; the seqs read, in order."""
    seen: list[int] = []
    while not seen or seen[-1] < seq:
        frame = await _frame(ws)
        assert frame["t"] == "group", frame
        seen.append(frame["seq"])
    assert seen[-1] == seq, seen
    return seen


async def _closed(ws: ClientConnection) -> int:
    """Wait for the server to close ``ws`` (skipping what it sends before); its code."""
    async with asyncio.timeout(WITHIN):
        try:
            while True:
                await ws.recv()
        except ConnectionClosed as closed:
            assert closed.rcvd is not None, "closed without a close frame"
            return closed.rcvd.code


async def _refused(url: str, headers: dict[str, str] | None = None) -> tuple[str, int]:
    """Open a socket that must be refused: its error frame's code, then the close code."""
    async with websockets.connect(url, additional_headers=headers or {}) as ws:
        frame = await _frame(ws)
        assert frame["t"] == "error" and frame["message"], frame
        return frame["code"], await _closed(ws)


async def _still_live(ws: ClientConnection) -> None:
    """The server still answers on ``ws``: a ping gets its pong."""
    await ws.send(pack({"t": "ping", "c": 1}))
    while (await _frame(ws))["t"] != "pong":
        pass


# --- members hear of changes ----------------------------------------------------------------


async def test_members_hear_of_a_message_and_of_an_answer_at_once(server: ServerProcess) -> None:
    """Claire and Karim follow the group; Sophie writes in the thread, then answers a
    date Nadia proposed: both sockets say the new seq each time, and the API then
    shows the message and the answer."""
    cast = await found(server, ("claire", "karim", "sophie"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        claire, start = await _follow(cast, "claire")
        karim, same = await _follow(cast, "karim")
        assert start == same == (await cast.view(http, "claire"))["seq"]

        text = "Quelqu'un a déjà recadré un client qui change le périmètre chaque semaine ?"
        posted = await cast.do(http, "sophie", type="post_message", text=text)
        for ws in (claire, karim):
            assert await _until(ws, posted["seq"]) == [posted["seq"]]
        thread = (await cast.view(http, "karim"))["state"]["messages"]
        assert [(m["text"], m["author"]) for m in thread.values()] == [(text, cast.ids["sophie"])]

        proposed = await cast.do(http, "nadia", type="propose_slots", dates=["2027-01-12T14:00"])
        answered = await cast.do(http, "sophie", type="answer_slot", slot="t1", answer="if_needed")
        for ws in (claire, karim):
            await _until(ws, answered["seq"])
        slots = (await cast.view(http, "claire"))["state"]["slots"]
        assert proposed["seq"] < answered["seq"]
        assert slots["t1"]["answers"] == {cast.ids["sophie"]: "if_needed"}

        await cast.do(http, "karim", type="post_message", text="Oui, moi.", reply_to="m1")
        await _still_live(claire)  # what came meanwhile was group frames, then the pong


async def test_a_ping_is_answered_and_other_frames_are_refused_up_to_a_limit(
    server: ServerProcess,
) -> None:
    """The socket answers a ping with a pong; a command, a text frame or garbage get an
    error frame and the socket stays up — until 50 of them in a row close it (4009)."""
    cast = await found(server, ("claire",))
    claire, _ = await _follow(cast, "claire")
    await claire.send(pack({"t": "ping", "c": 42}))
    pong = await _frame(claire)
    assert pong["t"] == "pong" and pong["c"] == 42 and pong["now"] > 0
    await claire.send(pack({"t": "hello", "seq": 0}))
    assert (await _frame(claire))["code"] == "unknown_frame"
    await claire.send("bonjour")
    assert (await _frame(claire))["code"] == "bad_frame"
    await claire.send(b"\xc1")
    assert (await _frame(claire))["code"] == "bad_frame"
    await _still_live(claire)
    for _ in range(51):  # the ping above started the count again
        await claire.send(pack({"t": "cmd"}))
    assert await _closed(claire) == 4009


# --- who may follow -------------------------------------------------------------------------


async def test_strangers_and_members_of_another_group_are_refused(server: ServerProcess) -> None:
    """No link, a forged one, another group's member, a session-less guess: an error
    frame, then 4001; a foreign page's Origin: 4004; an unknown group: 4040. Someone
    invited who has not accepted the charter is told to (4003)."""
    cast = await found(server, ("claire",))
    other = await found(server, ("karim",), name="Codev Nantes")
    url = _url(cast)
    assert await _refused(url) == ("unauthorized", 4001)
    assert await _refused(url, {"Authorization": "Bearer " + "x" * 43}) == ("unauthorized", 4001)
    for name in ("nadia", "karim"):
        assert await _refused(url, other.auth(name)) == ("unauthorized", 4001)
    foreign = {**cast.auth("claire"), "Origin": "https://evil.example"}
    assert await _refused(url, foreign) == ("forbidden_origin", 4004)
    unknown = _url(cast, "g" + "0" * 12)
    assert await _refused(unknown, cast.auth("claire")) == ("not_found", 4040)
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.invite(http, "ines")
        assert await _refused(url, cast.auth("ines")) == ("charter_required", 4003)


async def test_someone_waiting_hears_nothing_until_admitted(server: ServerProcess) -> None:
    """Inès accepted the charter and waits: her socket stays open but says nothing, not
    even the group's seq, while the group talks; the moment Nadia admits her it says the
    seq, so that her waiting page becomes the group's space."""
    cast = await found(server, ("claire",))
    async with httpx.AsyncClient(base_url=server.url) as http:
        await cast.invite(http, "ines")
        await cast.do(http, "ines", type="accept_charter", version=1)
        ines = await websockets.connect(_url(cast), additional_headers=cast.auth("ines"))
        OPEN_SOCKETS.append(ines)
        claire, _ = await _follow(cast, "claire")
        posted = await cast.do(http, "claire", type="post_message", text="Qui vient jeudi ?")
        await _until(claire, posted["seq"])
        await ines.send(pack({"t": "ping", "c": 7}))
        assert (await _frame(ines))["t"] == "pong"  # nothing came before it
        admitted = await cast.do(
            http, "nadia", type="admit_person", person=cast.ids["ines"], note="Appel."
        )
        assert await _until(ines, admitted["seq"]) == [admitted["seq"]]
        assert (await cast.view(http, "ines"))["me"]["status"] == "admitted"


async def test_a_member_removed_while_following_is_closed_with_4010(
    server: ServerProcess,
) -> None:
    """Nadia removes Karim while his and Claire's sockets are open: his closes with 4010,
    Claire's says the new seq and stays up; his link opens no socket again."""
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(base_url=server.url) as http:
        claire, _ = await _follow(cast, "claire")
        karim, _ = await _follow(cast, "karim")
        removed = await cast.do(http, "nadia", type="remove_person", person=cast.ids["karim"])
        assert await _closed(karim) == 4010
        await _until(claire, removed["seq"])
        await _still_live(claire)
    assert await _refused(_url(cast), cast.auth("karim")) == ("unauthorized", 4001)


async def test_a_charter_edit_closes_the_sockets_of_those_it_unbinds_with_4003(
    server: ServerProcess,
) -> None:
    """Nadia edits the charter: Claire's socket closes with 4003 (accept it, then come
    back), Nadia's — who wrote it — hears the change; once Claire accepts, she follows
    the group again."""
    cast = await found(server, ("claire",))
    async with httpx.AsyncClient(base_url=server.url) as http:
        nadia, _ = await _follow(cast, "nadia")
        claire, _ = await _follow(cast, "claire")
        rules = [*(await cast.view(http, "nadia"))["state"]["charter"]["rules"], "Rien hors ligne."]
        edited = await cast.do(http, "nadia", type="edit_charter", rules=rules)
        assert await _closed(claire) == 4003
        await _until(nadia, edited["seq"])
        assert await _refused(_url(cast), cast.auth("claire")) == ("charter_required", 4003)
        await cast.do(http, "claire", type="accept_charter", version=2)
        claire, _ = await _follow(cast, "claire")
        await _still_live(claire)


async def test_erasing_the_group_closes_its_sockets_with_4040(server: ServerProcess) -> None:
    """The group is erased while Claire follows it: her socket closes with 4040."""
    cast = await found(server, ("claire",))
    async with httpx.AsyncClient(base_url=server.url) as http:
        claire, _ = await _follow(cast, "claire")
        await cast.do(http, "nadia", type="erase_group")
        assert await _closed(claire) == 4040


# --- bounded: only the latest seq matters ---------------------------------------------------


async def test_a_flood_of_commands_does_not_queue_a_frame_each(server: ServerProcess) -> None:
    """200 messages posted at once: Claire's socket ends on the final seq, its seqs only
    grow, and it got fewer frames than commands — changes made while it was busy are
    told once, with the latest seq."""
    cast = await found(server, ("claire", "karim"))
    async with httpx.AsyncClient(
        base_url=server.url, limits=httpx.Limits(max_connections=200)
    ) as http:
        claire, start = await _follow(cast, "claire")
        answers = await asyncio.gather(
            *(cast.do(http, "karim", type="post_message", text=f"Message {n}") for n in range(200))
        )
        final = max(answer["seq"] for answer in answers)
        assert final == start + 200
        seen = await _until(claire, final)
        assert seen == sorted(set(seen)) and len(seen) < 200, seen
        await _still_live(claire)  # nothing more was queued after the final seq


async def test_a_listener_that_looks_late_sees_one_change_at_the_latest_seq(
    tmp_path: Path,
) -> None:
    """In process: 200 commands while a watch is not looking leave it one change to take,
    at the final seq; nothing is queued behind it."""
    store = open_store(f"sqlite:///{tmp_path / 'room.db'}")
    await store.open()
    try:
        group = Group("g0123456789ab", store, lambda: 1_800_000_000.0)
        await group.execute(
            SYSTEM,
            gcmd.CreateGroup(
                name="Codev Lyon",
                facilitator="pnadia",
                facilitator_name="Nadia",
                rules=("Se taire.",),
            ),
        )
        start = group.seq
        with group.watch() as watch:
            assert not watch.pending
            for n in range(200):
                await group.execute("pnadia", gcmd.PostMessage(text=f"Message {n}"))
            assert watch.pending and group.seq == start + 200
            assert await asyncio.wait_for(watch.changed(), WITHIN) == start + 200
            assert not watch.pending  # nothing queued behind it: the next wake needs a change
            await group.execute("pnadia", gcmd.PostMessage(text="Encore un"))
            assert await asyncio.wait_for(watch.changed(), WITHIN) == start + 201
        assert not group.watches
    finally:
        await store.close()
