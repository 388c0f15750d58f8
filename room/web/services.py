"""What every route shares: the settings, the store, the hub, and the few acts that
pages and API both perform (create a session, invite, revoke)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from starlette.requests import HTTPConnection, Request

from room.domain.errors import Code, DomainError
from room.domain.session import Role
from room.domain.session import commands as cmd
from room.domain.session.attendance import Presence, attendance
from room.domain.session.decide import REISSUE_LINK, check_move
from room.domain.session.state import DEFAULT_BUDGET_MINUTES, DEFAULT_TIME_ZONE
from room.i18n import CHARTER_VERSION, negotiate
from room.ids import PERSON, SESSION, new_id
from room.live.hub import Hub
from room.live.private import Notebook
from room.live.room import Room, decode_event
from room.protocol import Close
from room.records.session import Record, record
from room.settings import Settings
from room.store import Acceptance, Link, Store
from room.web.auth import Caller, identify, new_secret, secret_hash


class HeldBack(Protocol):
    """A person of a session's group whom the group holds back for now."""

    @property
    def group_id(self) -> str: ...

    @property
    def must_accept(self) -> bool:
        """The group's charter changed and waits for their acceptance."""
        ...


class GroupAccess(Protocol):
    """What a session asks of its group (``room.web.group.services`` answers): whether
    a caller enters it as a member of the group, and what it shows of the cycle. A
    protocol, so that sessions never import groups: groups build on sessions."""

    async def session_member(self, connection: Any, room: Room) -> tuple[Link, str] | None: ...

    async def is_person(self, group_id: str, person: str) -> bool: ...

    async def sees_content(self, group_id: str, person: str) -> bool: ...

    async def held_back(self, connection: Any, room: Room) -> HeldBack | None: ...

    async def cycle_of(self, room: Room, participant: str) -> dict[str, Any]: ...

    async def named(self, group_id: str) -> tuple[str, str]: ...

    async def record_copied(self, group_id: str, person: str, session: str) -> None: ...


@dataclass
class Services:
    settings: Settings
    store: Store
    hub: Hub
    # The groups' side, set once both exist: a group's member enters its sessions.
    groups: GroupAccess | None = None

    async def caller(self, connection: HTTPConnection, session_id: str | None) -> Caller | None:
        """The participant behind a request: a live link of someone still in the session,
        or — for a group's session — of a member who sees the group's content."""
        caller = await identify(self.store, self.settings.secret_key, connection, session_id)
        room = await self.hub.room(caller.session_id if caller else session_id or "")
        if room is not None and room.state.group and self.groups is not None:
            if caller is None:
                found = await self.groups.session_member(connection, room)
                if found is not None:
                    link, person = found
                    caller = Caller(link, room.session_id, person, group=room.state.group)
            elif await self.groups.is_person(room.state.group, caller.participant):
                # A person of the group holding one of the session's own links is held to
                # the group's rules all the same: admitted, bound by its current charter.
                if not await self.groups.sees_content(room.state.group, caller.participant):
                    return None
                caller = Caller(
                    caller.link, caller.session_id, caller.participant, group=room.state.group
                )
        if caller is None or room is None or room.state.role_of(caller.participant) is None:
            return None
        return caller

    async def record(self, room: Room, reader: str) -> Record:
        """The session's record, with what its state alone does not tell: its group,
        and who came (from the presence its log holds); for its narrator, their own
        notes and marked questions too, which no one else's record holds."""
        group, time_zone = "", DEFAULT_TIME_ZONE
        if room.state.group and self.groups is not None:
            group, time_zone = await self.groups.named(room.state.group)
        came = await self.attendance(room.session_id)
        present = {p for p, presence in came.items() if presence.arrived is not None}
        notebook = Notebook()
        if room.state.role_of(reader) is Role.NARRATOR:
            notebook = await room.notebooks.of(reader)
        return record(
            room.state,
            group=group,
            present=present,
            time_zone=time_zone,
            notes=notebook.text,
            marked=notebook.marked,
            now=room.clock(),
        )

    async def attendance(self, session_id: str) -> dict[str, Presence]:
        """Who came to a session and for how long, from the presence its log holds."""
        events = [decode_event(stored.data) for stored in await self.store.read(session_id)]
        return attendance(events, self.hub.clock())

    async def new_link(self, scope: str, participant: str) -> str:
        """A fresh secret for ``participant`` of a session or group; returns the secret
        (shown once, never kept)."""
        secret = new_secret()
        link = Link(
            secret_hash=secret_hash(self.settings.secret_key, secret),
            scope=scope,
            participant=participant,
            created_at=self.hub.clock(),
        )
        await self.store.add_link(link)
        return secret

    async def create_session(
        self,
        title: str,
        name: str,
        template: str,
        budget_minutes: int = DEFAULT_BUDGET_MINUTES,
        auto_timer: bool = True,
    ) -> tuple[str, str, str]:
        """Create a session and its facilitator; return (session, participant, secret).

        Raises DomainError when the title, name, template or budget is refused.
        """
        session_id = new_id(SESSION)
        facilitator = new_id(PERSON)
        command = cmd.CreateSession(
            template=template,
            title=title,
            facilitator=facilitator,
            name=name,
            budget_minutes=budget_minutes,
            auto_timer=auto_timer,
        )
        await self.hub.create(session_id, command)
        return session_id, facilitator, await self.new_link(session_id, facilitator)

    async def invite(self, caller: Caller, role: Role, name: str) -> tuple[str, str]:
        """The facilitator adds a participant; return (participant, secret)."""
        room = await self.hub.room(caller.session_id)
        assert room is not None  # a live link's session exists
        if room.state.group and role is not Role.OBSERVER:
            # A group's members come in through the group, admitted and bound by its
            # charter; a session's own link can only make an observer of this session.
            raise DomainError(Code.INVALID, field="role", reason="group_session")
        participant = new_id(PERSON)
        await room.execute(
            caller.participant, cmd.AddParticipant(participant=participant, name=name, role=role)
        )
        return participant, await self.new_link(caller.session_id, participant)

    async def reissue(self, caller: Caller, participant: str) -> str:
        """A new link for a participant whose link was lost or leaked; the old ones die."""
        room = await self.hub.room(caller.session_id)
        assert room is not None  # a live link's session exists
        check_move(room.state, caller.participant, (REISSUE_LINK, participant), self.hub.clock())
        await self.revoke_links(caller.session_id, participant)
        return await self.new_link(caller.session_id, participant)

    async def remove(self, caller: Caller, participant: str) -> None:
        """Revoke a participant's links, close their sockets, remove them from the session."""
        room = await self.hub.room(caller.session_id)
        assert room is not None
        await room.execute(caller.participant, cmd.RemoveParticipant(participant=participant))
        await self.revoke_links(caller.session_id, participant)

    async def erase_session(self, caller: Caller) -> None:
        """The facilitator erases their session, for good: every socket of it closes
        (4040), the store erases it (events, command keys, links, acceptances, scrubbed
        from its files), and the other workers forget it. Only a session of no group: a
        group's session is erased by the group's ``erase_session``, so that the group's
        record says so and its narrator's draft goes with it."""
        room = await self.require_facilitator(caller)
        if room.state.group:
            raise DomainError(Code.CONFLICT, what="group_session")
        self.hub.forget(caller.session_id, Close.NOT_FOUND, "erased")
        await self.store.erase([caller.session_id])
        await self.hub.fanout.announce(caller.session_id, 0)

    async def require_facilitator(self, caller: Caller) -> Room:
        """The caller's room, if the caller facilitates it; refused otherwise."""
        room = await self.hub.room(caller.session_id)
        assert room is not None  # a live link's session exists
        if room.state.role_of(caller.participant) is not Role.FACILITATOR:
            raise DomainError(Code.FORBIDDEN_ROLE)
        return room

    async def revoke_links(self, scope: str, participant: str) -> None:
        """Every live link of ``participant`` to a session or group dies now."""
        now = self.hub.clock()
        for link in await self.store.links(scope):
            if link.participant == participant and link.revoked_at is None:
                await self.store.revoke_link(link.secret_hash, now)

    async def has_accepted(self, caller: Caller) -> bool:
        """The session's charter, or — for a member of its group — the group's, which
        ``caller`` checked: a group member never accepts a session's charter apart."""
        if caller.group:
            return True
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


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
