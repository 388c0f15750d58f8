"""A whole session over real sockets, and a server killed mid-stream."""

from __future__ import annotations

import asyncio
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest

from room.client import CommandRefused, RoomClient
from room.domain.plain import to_plain
from room.domain.session import Kind, Welcome
from room.domain.session import commands as c
from room.live.room import decode_event
from tests.integration.people import Cast, command, seat
from tests.running import ServerProcess


class Seen:
    """The seqs one client received events for, in arrival order."""

    def __init__(self) -> None:
        self.seqs: list[int] = []

    def __call__(self, seq: int, event: object) -> None:
        self.seqs.append(seq)

    def assert_gapless_to(self, last: int) -> None:
        assert self.seqs == list(range(self.seqs[0], last + 1)), "a gap or a duplicate"


@pytest.fixture
async def clients(server: ServerProcess) -> AsyncIterator[tuple[Cast, dict[str, RoomClient]]]:
    cast = await seat(server)
    opened: dict[str, RoomClient] = {}
    try:
        for name, link in cast.links.items():
            seen = Seen()
            opened[name] = await RoomClient.connect(link, on_event=seen, queue_events=False)
            opened[name].seen = seen  # type: ignore[attr-defined]
        yield cast, opened
    finally:
        for client in opened.values():
            await client.close()


async def _level(clients: dict[str, RoomClient], seq: int) -> None:
    for client in clients.values():
        await client.wait_seq(seq)


async def test_a_whole_session_reaches_every_client_in_the_same_order(
    clients: tuple[Cast, dict[str, RoomClient]],
) -> None:
    """Facilitator, narrator, three members and an observer play the flyer's method from
    opening to closing; every client ends with the same state at the same seq."""
    cast, room = clients
    nadia, claire = room["nadia"], room["claire"]
    karim, sophie, aicha = room["karim"], room["sophie"], room["aicha"]

    await sophie.send(c.Post(kind=Kind.FOLLOW_UP, body={"text": "Le diagnostic a commencé."}))
    await nadia.send(c.GoToPhase(phase="expose"))  # its countdown starts with it
    await nadia.send(c.PauseTimer())
    await nadia.send(c.StartTimer())
    await claire.send(
        c.WriteSituation(
            title="Une démarche QVCT déjà « décidée »",
            context="PME de logistique, 120 salariés, absentéisme en hausse.",
            request="Des façons concrètes de reformuler la commande avec le dirigeant.",
        )
    )
    await nadia.send(c.GoToPhase(phase="questions"))
    await nadia.send(c.StartRound(order=(cast.ids["karim"], cast.ids["sophie"], cast.ids["aicha"])))
    questions = []
    for member in (karim, sophie, aicha):
        seq = await member.send(c.Post(kind=Kind.QUESTION, body={"text": "Qui a sollicité ?"}))
        await member.wait_seq(seq)
        questions.append(f"c{member.state.next_number - 1}")
        await member.send(c.PassTurn())
    await nadia.send(c.GoToPhase(phase="understanding"))
    for question in questions:
        await claire.send(
            c.Post(kind=Kind.ANSWER, body={"text": "Le dirigeant."}, answers=question)
        )
    await claire.send(c.Post(kind=Kind.STATEMENT, body={"values": "Partir du travail réel."}))
    await nadia.send(c.GoToPhase(phase="possibilities"))
    seq = await karim.send(c.Post(kind=Kind.PROPOSAL, body={"text": "Un comité paritaire."}))
    await claire.wait_seq(seq)
    proposal = f"c{claire.state.next_number - 1}"
    await claire.send(c.WelcomeProposal(proposal=proposal, mark=Welcome.KEPT))
    await nadia.send(c.GoToPhase(phase="action"))
    await claire.send(
        c.Post(kind=Kind.ACTION, body={"what": "Proposer le comité"}, cites=(proposal,))
    )
    await nadia.send(c.GoToPhase(phase="closing"))
    for member in (karim, sophie, aicha, claire):
        await member.send(c.Post(kind=Kind.TAKEAWAY, body={"text": "Je retiens."}))
    last = await nadia.send(c.EndSession())

    await _level(room, last)
    reference = to_plain(nadia.state)
    assert reference["ended_at"] is not None
    assert reference["contributions"][proposal]["welcome"] == "kept"
    for name, client in room.items():
        assert client.seq == last, name
        assert to_plain(client.state) == reference, name
        client.seen.assert_gapless_to(last)  # type: ignore[attr-defined]
    async with httpx.AsyncClient(base_url=cast.server.url) as http:
        served = await http.get(f"/api/sessions/{cast.session}", headers=cast.auth("thomas"))
    assert served.json()["seq"] == last and served.json()["state"] == reference
    assert room["thomas"].moves == {
        "do": [],
        "post": [],
        "on_behalf": {},
        "edit": [],
        "withdraw": [],
        "remove_participant": [],
        "reissue_link": [],
        "write_draft": [],
    }


async def test_refusals_come_back_in_the_participants_language(
    clients: tuple[Cast, dict[str, RoomClient]],
) -> None:
    """A refused command raises with the domain's code and a readable French message."""
    _, room = clients
    with pytest.raises(CommandRefused) as refused:
        await room["karim"].send(c.Post(kind=Kind.PROPOSAL, body={"text": "Trop tôt"}))
    assert refused.value.code == "wrong_phase"
    assert "étape" in refused.value.message


async def test_capabilities_follow_the_phase(
    clients: tuple[Cast, dict[str, RoomClient]],
) -> None:
    """What a member may post changes, live, when the facilitator changes the step."""
    _, room = clients
    karim = room["karim"]
    assert karim.moves["post"] == ["follow_up"]
    await room["nadia"].send(c.GoToPhase(phase="questions"))
    await karim.wait_moves(lambda moves: moves["post"] == ["hypothesis", "question"])


async def test_killed_server_loses_nothing_acknowledged_and_applies_nothing_twice(
    server: ServerProcess,
) -> None:
    """The server is SIGKILLed while members stream commands, then restarted: every
    acknowledged key is in the log exactly once, and every client resumes gapless."""
    cast = await seat(server)
    names = ["karim", "sophie", "aicha", "thomas", "nadia"]
    room = {}
    for name in names:
        seen = Seen()
        room[name] = await RoomClient.connect(cast.links[name], on_event=seen, queue_events=False)
        room[name].seen = seen  # type: ignore[attr-defined]
    acked: dict[str, int] = {}
    streamed = asyncio.Event()

    async def stream(member: str) -> None:
        for n in range(40):
            key = f"{member}-{n}"
            text = f"Retour {key}"
            acked[key] = await room[member].send(
                c.Post(kind=Kind.FOLLOW_UP, body={"text": text}), key=key
            )
            if len(acked) == 30:
                streamed.set()

    try:
        streams = [asyncio.create_task(stream(m)) for m in ("karim", "sophie", "aicha")]
        await asyncio.wait_for(streamed.wait(), 30)
        server.kill()
        server.start()
        await asyncio.wait_for(asyncio.gather(*streams), 60)
        last = max(acked.values())
        await _level(room, last)
        reference = to_plain(room["nadia"].state)
        for name, client in room.items():
            assert to_plain(client.state) == reference, name
            client.seen.assert_gapless_to(client.seq)  # type: ignore[attr-defined]
            assert client.connections >= 2, f"{name} never lost its connection"
    finally:
        for client in room.values():
            await client.close()

    with sqlite3.connect(server.db_path) as db:
        rows = db.execute("SELECT data FROM events WHERE session_id = ?", (cast.session,))
        texts = Counter(
            event.contribution.body["text"]
            for event in (decode_event(row[0]) for row in rows)
            if event.type == "contribution_posted"
        )
    assert len(acked) == 120
    for key in acked:
        assert texts[f"Retour {key}"] == 1, f"{key} is in the log {texts[f'Retour {key}']} times"


async def test_a_resend_after_a_restart_gets_its_first_answer_not_a_refusal(
    server: ServerProcess,
) -> None:
    """A hand raised before the server died, resent under the same key after it came
    back, is acknowledged as the same command, not refused as a hand already raised."""
    cast = await seat(server, {"nadia": "facilitator", "karim": "member"})
    karim = await cast.raw("karim")
    first = await command(karim, "hand-1", {"type": "raise_hand"})
    assert first["t"] == "ack"
    await karim.close()
    server.kill()
    server.start()
    again = await cast.raw("karim")
    resent = await command(again, "hand-1", {"type": "raise_hand"})
    assert (resent["t"], resent["seq"], resent.get("dup")) == ("ack", first["seq"], True)
    other = await command(again, "hand-2", {"type": "raise_hand"})
    assert (other["t"], other["code"]) == ("error", "conflict")
