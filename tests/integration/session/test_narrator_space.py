"""The narrator's own space over the real server: their notes and marked questions
reach their own connections only, and only their own record; no frame, snapshot or
record of anyone else holds them."""

from __future__ import annotations

import uuid

import httpx
import pytest

from room.client import CommandRefused, RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from tests.integration.people import seat
from tests.integration.session.test_silent_round import WATCHERS, listening
from tests.running import ServerProcess


async def test_notes_and_marks_are_the_narrators_alone(server: ServerProcess) -> None:
    cast = await seat(server)
    marker = f"NOTE-{uuid.uuid4().hex}"
    nadia = await RoomClient.connect(cast.links["nadia"])
    claire = await RoomClient.connect(cast.links["claire"])
    karim = await RoomClient.connect(cast.links["karim"])
    try:
        await nadia.send(c.GoToPhase(phase="questions"))
        await karim.send(c.Post(kind=Kind.QUESTION, body={"text": "Qui décide ?"}))
        question = next(iter(karim.state.contributions))
        watchers = tuple(name for name in WATCHERS if name != "claire")
        async with listening(cast, watchers) as heard:
            await claire.send(c.WriteNotes(text=f"Revenir sur {marker}"))
            await claire.send(c.MarkQuestion(question=question, marked=True))
            notes = await claire.wait_notes(lambda n: n["marked"] == [question])
            assert notes["text"] == f"Revenir sur {marker}"
            # Only the narrator keeps notes; a question that is none cannot be marked.
            with pytest.raises(CommandRefused) as refused:
                await karim.send(c.WriteNotes(text="moi aussi"))
            assert refused.value.code == "forbidden_role"
            with pytest.raises(CommandRefused) as refused:
                await claire.send(c.MarkQuestion(question="c999", marked=True))
            assert refused.value.code == "not_found"
            for name in watchers:
                async with await RoomClient.connect(cast.links[name]) as fresh:
                    assert marker not in repr(fresh.state) and fresh.notes["text"] == ""
                assert not heard[name].holds(marker), name
        # Back on another device, the narrator finds them.
        async with await RoomClient.connect(cast.links["claire"]) as again:
            await again.wait_notes(lambda n: marker in n["text"] and n["marked"] == [question])
        async with httpx.AsyncClient(base_url=server.url) as http:
            own = await http.get(f"/s/{cast.session}/export.md", headers=cast.auth("claire"))
            shared = await http.get(f"/s/{cast.session}/export.md", headers=cast.auth("nadia"))
            page = await http.get(f"/s/{cast.session}/export.html", headers=cast.auth("claire"))
        assert marker in own.text and "à reprendre" in own.text
        assert marker in page.text
        assert marker not in shared.text and "à reprendre" not in shared.text
    finally:
        for client in (nadia, claire, karim):
            await client.close()
