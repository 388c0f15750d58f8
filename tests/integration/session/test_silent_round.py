"""Silent writing rounds over the real server: a member's drafts reach their own
connections only — no frame, snapshot or export of anyone else holds them before the
reveal —, survive the member's absence, come out at once when revealed, and leave no
byte in any file when the round is closed without reveal."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import ClientConnection

from room.client import CommandRefused, RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from tests.integration.people import Cast, command, seat
from tests.integration.session.test_erasure import files_holding
from tests.running import ServerProcess

WATCHERS = ("nadia", "claire", "sophie", "thomas")  # facilitator, narrator, member, observer


class Heard:
    """Every byte a raw socket receives, read in the background."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.bytes: list[bytes] = []
        self.arrived = asyncio.Condition()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(Exception):
            async for message in self.ws:
                assert isinstance(message, bytes)
                async with self.arrived:
                    self.bytes.append(message)
                    self.arrived.notify_all()

    def holds(self, marker: str) -> bool:
        return any(marker.encode() in message for message in self.bytes)

    async def until(self, marker: str) -> None:
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: self.holds(marker))


@contextlib.asynccontextmanager
async def listening(
    cast: Cast, names: tuple[str, ...] = WATCHERS
) -> AsyncIterator[dict[str, Heard]]:
    heard = {name: Heard(await cast.raw(name)) for name in names}
    try:
        yield heard
    finally:
        for one in heard.values():
            one.task.cancel()


def marked() -> str:
    return f"BROUILLON-{uuid.uuid4().hex}"


async def test_drafts_reach_their_author_alone_until_the_reveal(server: ServerProcess) -> None:
    cast = await seat(server)
    marker = marked()
    nadia = await RoomClient.connect(cast.links["nadia"])
    karim = await RoomClient.connect(cast.links["karim"])
    try:
        await nadia.send(c.GoToPhase(phase="questions"))
        async with listening(cast) as heard:
            await nadia.send(c.OpenSilentRound(minutes=5))
            await karim.send(
                c.WriteDraft(draft="d1", kind=Kind.QUESTION, body={"text": f"{marker} ?"})
            )
            drafts = await karim.wait_drafts(lambda drafts: len(drafts) == 1)
            assert drafts[0]["body"] == {"text": f"{marker} ?"}
            await karim.send(c.WriteDraft(draft="d2", kind=Kind.QUESTION, body={"text": "Et ?"}))
            await karim.wait_drafts(lambda drafts: len(drafts) == 2)
            # A member who posts in the open instead is told to write a draft.
            refused = await command(
                await cast.raw("sophie"),
                "p1",
                {"type": "post", "kind": "question", "body": {"text": "Pourquoi ?"}},
            )
            assert refused["code"] == "writing_silently", refused
            # The server alone fills in what a reveal publishes.
            forged = await command(
                await cast.raw("nadia"), "r1", {"type": "reveal_silent_round", "drafts": []}
            )
            assert forged["code"] == "bad_command" and "filled by the server" in forged["message"]

            # Whoever else reads the room, live or afresh, and the record: nothing of it.
            for name in WATCHERS:
                async with await RoomClient.connect(cast.links[name]) as fresh:
                    assert marker not in repr(fresh.state), name
                    assert fresh.drafts == []
                assert not heard[name].holds(marker), name
            async with httpx.AsyncClient(base_url=server.url) as http:
                record = await http.get(f"/s/{cast.session}/export.md", headers=cast.auth("nadia"))
            assert record.status_code == 200 and marker not in record.text

            # Away and back, Karim finds his drafts; then the facilitator reveals.
            await karim.close()
            karim = await RoomClient.connect(cast.links["karim"])
            await karim.wait_drafts(lambda drafts: len(drafts) == 2)
            seq = await nadia.send(c.RevealSilentRound(order_by="shuffled"))
            for name in WATCHERS:
                await heard[name].until(marker)
        state = await karim.wait_seq(seq)
        # Both at once, in one event: posted at the same instant, the round table on.
        assert state.silent is None
        texts = sorted(x.body["text"] for x in state.contributions.values())
        assert texts == sorted(["Et ?", f"{marker} ?"])
        assert len({x.at for x in state.contributions.values()}) == 1
        assert state.floor.order == (cast.ids["karim"],)  # he reads his, in turn
        assert sorted(sum(state.reading, ())) == sorted(state.contributions)
    finally:
        await nadia.close()
        await karim.close()


async def test_a_round_closed_unrevealed_leaves_no_byte_of_its_drafts(
    server: ServerProcess,
) -> None:
    cast = await seat(server)
    marker = marked()
    async with (
        await RoomClient.connect(cast.links["nadia"]) as nadia,
        await RoomClient.connect(cast.links["karim"]) as karim,
    ):
        await nadia.send(c.GoToPhase(phase="questions"))
        await nadia.send(c.OpenSilentRound(minutes=2))
        for n in range(5):
            body = {"text": f"{marker} version {n}"}
            await karim.send(c.WriteDraft(draft="d1", kind=Kind.QUESTION, body=body))
        await karim.wait_drafts(lambda drafts: drafts[0]["body"]["text"].endswith("4"))
        assert files_holding(server.db_path.parent, marker)  # the test can see it
        # The step cannot move on with drafts pending: reveal or close first.
        with pytest.raises(CommandRefused) as refused:
            await nadia.send(c.GoToPhase(phase="understanding"))
        assert refused.value.params == {"what": "silent_round_open"}
        seq = await nadia.send(c.CloseSilentRound())
        state = await karim.wait_seq(seq)
        assert state.silent is None and not state.contributions
    assert files_holding(server.db_path.parent, marker) == []
