"""The time budget's borrowing and the closing round's weather, over real sockets: what
each participant's frames hold, live, in a snapshot, in a replay and over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection

from tests.integration.people import OPEN_SOCKETS, Cast, command, pack, receive, seat
from tests.running import ServerProcess

SECRET = "Un mot que personne d'autre ne lit"


async def _until(ws: ClientConnection, seq: int) -> list[dict[str, Any]]:
    """The event frames ``ws`` receives up to seq ``seq`` (its acks and "can" skipped)."""
    events = []
    while True:
        frame = await receive(ws)
        if frame["t"] == "ev":
            events.append(frame)
            if frame["seq"] >= seq:
                return events


async def _joined(cast: Cast, name: str, after: int) -> list[dict[str, Any]]:
    """What a new socket of ``name`` saying it holds seq ``after`` gets before "ready"."""
    ws = await websockets.connect(cast.socket_url, additional_headers=cast.auth(name))
    OPEN_SOCKETS.append(ws)
    await ws.send(pack({"t": "hello", "seq": after}))
    frames = []
    while (frame := await receive(ws))["t"] != "ready":
        frames.append(frame)
    return frames


def _weather_given(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f["e"] for f in frames if f["t"] == "ev" and f["e"]["type"] == "weather_given"]


async def test_no_one_but_its_author_receives_a_weather_before_the_reveal(
    server: ServerProcess,
) -> None:
    """Karim gives his weather: his own frame holds it; the facilitator's, the
    narrator's, another member's and the observer's hold only that he answered. So does
    a snapshot, a replay and the HTTP state. When the last one awaited answers, one
    event brings everyone's to everyone."""
    cast = await seat(server)
    sockets = {
        name: await cast.raw(name) for name in ("nadia", "claire", "karim", "sophie", "thomas")
    }
    moved = await command(sockets["nadia"], "closing", {"type": "go_to_phase", "phase": "closing"})
    assert moved["t"] == "ack", moved
    give = {"type": "give_weather", "mood": 4, "word": SECRET}
    given = await command(sockets["karim"], "w1", give)
    assert given["t"] == "ack", given
    seq = given["seq"]
    for name, ws in sockets.items():
        if name == "karim":
            continue
        [event] = _weather_given(await _until(ws, seq))
        assert (event["by"], event["mood"], event["word"]) == (cast.ids["karim"], 0, ""), name

    snapshot = await _joined(cast, "thomas", 0)
    assert snapshot[0]["t"] == "snapshot"
    assert snapshot[0]["state"]["weather"] == {cast.ids["karim"]: {"mood": 0, "word": ""}}
    [replayed] = _weather_given(await _joined(cast, "sophie", seq - 1))
    assert (replayed["mood"], replayed["word"]) == (0, "")
    [own] = _weather_given(await _joined(cast, "karim", seq - 1))
    assert (own["mood"], own["word"]) == (4, SECRET)
    async with httpx.AsyncClient(base_url=server.url) as http:
        for name in ("nadia", "thomas"):
            served = await http.get(f"/api/sessions/{cast.session}", headers=cast.auth(name))
            assert SECRET not in served.text, name
            assert served.json()["state"]["weather_revealed"] is False

    # The narrator and Sophie answer (Aïcha never came: not awaited): Sophie's answer
    # reveals all three to everyone, the observer included.
    await command(sockets["claire"], "w2", {"type": "give_weather", "mood": 3, "word": "Merci"})
    last = await command(
        sockets["sophie"], "w3", {"type": "give_weather", "mood": 5, "word": "Top"}
    )
    assert last["t"] == "ack", last
    revealed = [
        f
        for f in await _until(sockets["thomas"], last["seq"])
        if f["e"]["type"] == "weather_revealed"
    ]
    assert len(revealed) == 1
    weather = revealed[0]["e"]["weather"]
    assert weather[cast.ids["karim"]] == {"mood": 4, "word": SECRET}
    assert {w["word"] for w in weather.values()} == {SECRET, "Merci", "Top"}
    snapshot = await _joined(cast, "thomas", 0)
    assert snapshot[0]["state"]["weather"][cast.ids["karim"]]["word"] == SECRET


async def test_the_facilitator_borrows_an_overrun_and_everyone_is_told(
    server: ServerProcess,
) -> None:
    """The questions step runs 30 minutes short of its box's end, i.e. over it: taking
    from the exposé (earlier) is refused by its reason; from the action plan, every
    socket receives the borrowing, and the boxes' total is what it was."""
    cast = await seat(server)
    nadia, thomas = await cast.raw("nadia"), await cast.raw("thomas")
    await command(nadia, "q", {"type": "go_to_phase", "phase": "questions"})
    early = await command(nadia, "b0", {"type": "borrow_time", "from_phase": "action"})
    assert (early["code"], early["params"]["what"]) == ("conflict", "no_overrun")
    await command(nadia, "late", {"type": "extend_timer", "seconds": -1800})  # 5 min over
    earlier = await command(nadia, "b1", {"type": "borrow_time", "from_phase": "expose"})
    assert (earlier["code"], earlier["params"]["reason"]) == ("invalid", "not_later")
    assert earlier["message"]  # in words, from the catalogue
    member = await cast.raw("karim")
    refused = await command(member, "b2", {"type": "borrow_time", "from_phase": "action"})
    assert refused["code"] == "forbidden_role"
    borrowed = await command(nadia, "b3", {"type": "borrow_time", "from_phase": "action"})
    assert borrowed["t"] == "ack", borrowed
    [event] = [
        f["e"] for f in await _until(thomas, borrowed["seq"]) if f["e"]["type"] == "time_borrowed"
    ]
    assert (event["phase"], event["from_phase"]) == ("questions", "action")
    assert event["minutes"] in (5, 6)  # 5 min and a few seconds, rounded up
    async with httpx.AsyncClient(base_url=server.url) as http:
        state = (
            await http.get(f"/api/sessions/{cast.session}", headers=cast.auth("thomas"))
        ).json()["state"]
    assert sum(state["time_boxes"].values()) == sum(state["planned_boxes"].values()) == 150
    assert state["time_boxes"]["action"] == 15 - event["minutes"]
