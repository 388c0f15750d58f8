"""A session with its cast, set up over the real HTTP API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import msgpack
import websockets
from websockets.asyncio.client import ClientConnection

from tests.running import ServerProcess


@dataclass
class Cast:
    server: ServerProcess
    session: str
    links: dict[str, str] = field(default_factory=dict)  # name -> invitation link
    ids: dict[str, str] = field(default_factory=dict)  # name -> participant id

    def secret(self, name: str) -> str:
        return self.links[name].rsplit("/", 1)[1]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret(name)}"}

    @property
    def socket_url(self) -> str:
        return f"{self.server.ws_url}/s/{self.session}/ws"

    async def raw(self, name: str, **options: Any) -> ClientConnection:
        """A bare WebSocket for ``name``, hello sent, read up to its "ready" and "can"."""
        ws = await websockets.connect(
            self.socket_url, additional_headers=self.auth(name), **options
        )
        OPEN_SOCKETS.append(ws)
        await ws.send(pack({"t": "hello", "seq": 0}))
        while (await receive(ws))["t"] != "can":
            pass
        return ws


# Raw sockets opened by a test, closed after it by the package's conftest.
OPEN_SOCKETS: list[ClientConnection] = []

ROLES = {
    "nadia": "facilitator",
    "claire": "narrator",
    "karim": "member",
    "sophie": "member",
    "aicha": "member",
    "thomas": "observer",
}


async def seat(server: ServerProcess, cast: dict[str, str] | None = None) -> Cast:
    """Create a session led by Nadia, invite the others; everyone accepts the charter."""
    cast = cast or ROLES
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = await http.post("/api/sessions", json={"title": "Séance 2", "name": "Nadia"})
        assert created.status_code == 201, created.text
        body = created.json()
        seated = Cast(
            server, body["session"], {"nadia": body["link"]}, {"nadia": body["participant"]}
        )
        await _accept(http, seated, "nadia")
        for name, role in cast.items():
            if name == "nadia":
                continue
            invited = await http.post(
                f"/api/sessions/{seated.session}/invitations",
                json={"role": role, "name": name.capitalize()},
                headers=seated.auth("nadia"),
            )
            assert invited.status_code == 201, invited.text
            seated.links[name] = invited.json()["link"]
            seated.ids[name] = invited.json()["participant"]
            await _accept(http, seated, name)
    return seated


async def _accept(http: httpx.AsyncClient, cast: Cast, name: str) -> None:
    accepted = await http.post(
        f"/api/sessions/{cast.session}/charter", json={"version": 1}, headers=cast.auth(name)
    )
    assert accepted.status_code == 204, accepted.text


def pack(frame: object) -> bytes:
    data: bytes = msgpack.packb(frame, use_bin_type=True)
    return data


async def receive(ws: ClientConnection) -> dict[str, Any]:
    frame: dict[str, Any] = msgpack.unpackb(await ws.recv(), raw=False)
    return frame


PRESENCE = ("connected", "disconnected")


async def receive_news(ws: ClientConnection) -> dict[str, Any]:
    """The next frame that is not about who came or went."""
    while True:
        frame = await receive(ws)
        if not (frame["t"] == "ev" and frame["e"]["type"] in PRESENCE):
            return frame


async def command(ws: ClientConnection, key: str, cmd: dict[str, Any]) -> dict[str, Any]:
    """Send a command; return its ack or error, skipping the events and "can" before it."""
    await ws.send(pack({"t": "cmd", "key": key, "cmd": cmd}))
    while True:
        frame = await receive(ws)
        if frame["t"] in ("ack", "error") and frame.get("key") == key:
            return frame
