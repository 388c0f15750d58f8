"""What every route shares: the settings, the store, the hub, and the few acts that
pages and API both perform (create a session, invite, revoke)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import HTTPConnection

from room.domain import Code, DomainError, Role
from room.domain import commands as cmd
from room.hub import Hub, Room
from room.i18n import CHARTER_VERSION, negotiate
from room.settings import Settings
from room.store import Acceptance, Link, Store
from room.web.auth import Caller, identify, new_id, new_secret, secret_hash


@dataclass
class Services:
    settings: Settings
    store: Store
    hub: Hub

    async def caller(self, connection: HTTPConnection, session_id: str | None) -> Caller | None:
        """The participant behind a request: a live link of someone still in the session."""
        caller = await identify(self.store, self.settings.secret_key, connection, session_id)
        if caller is None:
            return None
        room = await self.hub.room(caller.session_id)
        if room is None or room.state.role_of(caller.participant) is None:
            return None
        return caller

    async def new_link(self, session_id: str, participant: str) -> str:
        """A fresh secret for ``participant``; returns the secret (shown once, never kept)."""
        secret = new_secret()
        link = Link(
            secret_hash=secret_hash(self.settings.secret_key, secret),
            session_id=session_id,
            participant=participant,
            created_at=self.hub.clock(),
        )
        await self.store.add_link(link)
        return secret

    async def create_session(self, title: str, name: str, template: str) -> tuple[str, str, str]:
        """Create a session and its facilitator; return (session, participant, secret).

        Raises DomainError when the title, name or template is refused.
        """
        session_id = new_id("s")
        facilitator = new_id("p")
        command = cmd.CreateSession(
            template=template, title=title, facilitator=facilitator, name=name
        )
        await self.hub.create(session_id, command)
        return session_id, facilitator, await self.new_link(session_id, facilitator)

    async def invite(self, caller: Caller, role: Role, name: str) -> tuple[str, str]:
        """The facilitator adds a participant; return (participant, secret)."""
        room = await self.hub.room(caller.session_id)
        assert room is not None  # a live link's session exists
        participant = new_id("p")
        await room.execute(
            caller.participant, cmd.AddParticipant(participant=participant, name=name, role=role)
        )
        return participant, await self.new_link(caller.session_id, participant)

    async def reissue(self, caller: Caller, participant: str) -> str:
        """A new link for a participant whose link was lost or leaked; the old ones die."""
        room = await self.require_facilitator(caller)
        if room.state.role_of(participant) is None:
            raise DomainError(Code.NOT_FOUND, what="participant", id=participant)
        await self._revoke_links(caller.session_id, participant)
        return await self.new_link(caller.session_id, participant)

    async def remove(self, caller: Caller, participant: str) -> None:
        """Revoke a participant's links, close their sockets, remove them from the session."""
        room = await self.hub.room(caller.session_id)
        assert room is not None
        await room.execute(caller.participant, cmd.RemoveParticipant(participant=participant))
        await self._revoke_links(caller.session_id, participant)

    async def require_facilitator(self, caller: Caller) -> Room:
        """The caller's room, if the caller facilitates it; refused otherwise."""
        room = await self.hub.room(caller.session_id)
        assert room is not None  # a live link's session exists
        if room.state.role_of(caller.participant) is not Role.FACILITATOR:
            raise DomainError(Code.FORBIDDEN_ROLE)
        return room

    async def _revoke_links(self, session_id: str, participant: str) -> None:
        now = self.hub.clock()
        for link in await self.store.links(session_id):
            if link.participant == participant and link.revoked_at is None:
                await self.store.revoke_link(link.secret_hash, now)

    async def has_accepted(self, caller: Caller) -> bool:
        acceptance = await self.store.acceptance(caller.session_id, caller.participant)
        return acceptance is not None and acceptance.charter_version >= CHARTER_VERSION

    async def accept_charter(self, caller: Caller) -> None:
        await self.store.accept_charter(
            Acceptance(caller.session_id, caller.participant, CHARTER_VERSION, self.hub.clock())
        )


def language(connection: HTTPConnection) -> str:
    """The caller's language: their explicit choice (a cookie), else their browser's."""
    chosen = connection.cookies.get("lang")
    if chosen in ("fr", "en"):
        return chosen
    return negotiate(connection.headers.get("accept-language"))
