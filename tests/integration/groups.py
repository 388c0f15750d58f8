"""A co-development group with its people, set up over the real HTTP API."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from room.client import RoomClient
from room.domain.session import Kind
from room.domain.session import commands as c
from tests.running import ServerProcess

MEMBERS = ("claire", "karim", "sophie", "aicha", "lucas")


@dataclass
class GroupCast:
    server: ServerProcess
    group: str
    links: dict[str, str] = field(default_factory=dict)  # name -> group link
    ids: dict[str, str] = field(default_factory=dict)  # name -> person id

    def secret(self, name: str) -> str:
        return self.links[name].rsplit("/", 1)[1]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret(name)}"}

    async def do(self, http: httpx.AsyncClient, who: str, /, **command: Any) -> dict[str, Any]:
        """Post a group command as ``who``; it must be accepted."""
        answer = await self.try_(http, who, **command)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def try_(self, http: httpx.AsyncClient, who: str, /, **command: Any) -> httpx.Response:
        return await http.post(
            f"/api/groups/{self.group}/commands", json=command, headers=self.auth(who)
        )

    async def view(self, http: httpx.AsyncClient, name: str) -> dict[str, Any]:
        answer = await http.get(f"/api/groups/{self.group}", headers=self.auth(name))
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def invite(self, http: httpx.AsyncClient, name: str, by: str = "nadia") -> None:
        """Invite ``name``: their link is in ``links``; nothing accepted yet."""
        done = await self.do(http, by, type="invite_person", name=name.capitalize())
        self.links[name], self.ids[name] = done["link"], done["id"]

    async def admit(self, http: httpx.AsyncClient, name: str, by: str = "nadia") -> None:
        """``name`` accepts the current charter, then is admitted by ``by``."""
        version = (await self.view(http, name))["state"]["charter"]["version"]
        await self.do(http, name, type="accept_charter", version=version)
        note = f"Échange préalable avec {name.capitalize()} sur sa pratique, le 2 octobre."
        await self.do(http, by, type="admit_person", person=self.ids[name], note=note)

    async def plan(self, http: httpx.AsyncClient, date: str, narrator: str) -> str:
        done = await self.do(
            http, "nadia", type="plan_session", date=date, narrator=self.ids[narrator]
        )
        session: str = done["id"]
        return session


async def found(
    server: ServerProcess, members: tuple[str, ...] = MEMBERS, name: str = "Codev Lyon 2027"
) -> GroupCast:
    """A group led by Nadia, with ``members`` invited, charter accepted and admitted."""
    async with httpx.AsyncClient(base_url=server.url) as http:
        created = await http.post("/api/groups", json={"name": name, "facilitator_name": "Nadia"})
        assert created.status_code == 201, created.text
        body = created.json()
        cast = GroupCast(server, body["group"], {"nadia": body["link"]}, {"nadia": body["person"]})
        for member in members:
            await cast.invite(http, member)
            await cast.admit(http, member)
    return cast


async def play_first_session(links: dict[str, str], session: str) -> None:
    """Claire narrates; Karim asks and proposes; Claire plans one action; the end."""
    nadia = await RoomClient.connect(links["nadia"], session=session)
    claire = await RoomClient.connect(links["claire"], session=session)
    karim = await RoomClient.connect(links["karim"], session=session)
    try:
        assert claire.me is not None and claire.me.role == "narrator"
        assert karim.me is not None and karim.me.role == "member"
        await nadia.send(c.GoToPhase(phase="expose"))
        await claire.send(
            c.WriteSituation(
                title="Un client qui change le périmètre chaque semaine",
                context="Mission de six mois dans une PME.",
                request="Comment tenir le cadre sans perdre la relation ?",
            )
        )
        await nadia.send(c.GoToPhase(phase="questions"))
        await karim.send(c.Post(kind=Kind.QUESTION, body={"text": "Qui signe l'avenant ?"}))
        await nadia.send(c.GoToPhase(phase="possibilities"))
        await karim.send(c.Post(kind=Kind.PROPOSAL, body={"text": "Un comité mensuel."}))
        await nadia.send(c.GoToPhase(phase="action"))
        await claire.send(
            c.Post(
                kind=Kind.ACTION,
                body={"what": "Proposer un comité mensuel", "how": "Par écrit", "when": "Lundi"},
            )
        )
        await nadia.send(c.EndSession())
    finally:
        for client in (nadia, claire, karim):
            await client.close()
