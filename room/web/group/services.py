"""What a group's pages and API do beyond the pure domain: links for the people it
invites, the live sessions of its cycle, and access revoked everywhere at once.

A group's session is an ordinary session whose log says which group it belongs to,
which session it follows and who tells the follow-up. It is created the first time
someone of the group opens it, with the group's admitted people as participants
(the same ids: one person is one member across the cycle), and its roster is kept in
step afterwards: a member admitted later is added when they first open it, a removed
one is removed from every session of the group and their sockets are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from starlette.requests import HTTPConnection

from room.domain.cycle import AttendanceRow, History, Situation, attendance_rows, history, situation
from room.domain.errors import Code, DomainError
from room.domain.group import (
    GroupCommand,
    GroupRole,
    Move,
    State,
    Status,
    allowed,
    check_move,
    decide,
    move_of,
    must_accept,
    previous_session,
    sees_content,
)
from room.domain.group import commands as gcmd
from room.domain.group import events as gev
from room.domain.group.state import DEFAULT_TIME_ZONE, ExportedRecord, PlannedSession
from room.domain.plain import PlainDataError, to_plain
from room.domain.session import SYSTEM, Role
from room.domain.session import commands as cmd
from room.domain.session.templates import DEFAULT_TEMPLATE
from room.domain.text import TITLE_MAX
from room.i18n import catalogue
from room.ids import GROUP, PERSON, SESSION, new_id
from room.live.groups import Group, Groups, decode_group_event
from room.live.room import Room, decode_event
from room.mail.message import Letter
from room.mail.notices import Post, after_events, invitation, invitation_letter
from room.mail.worker import Postman
from room.protocol import Close
from room.records.access import Envelope, Kept, Part, Sources, access_export
from room.store import Link, Mail, MailStatus
from room.web.auth import live_link
from room.web.ratelimit import RateLimit
from room.web.services import Services

# The From of messages shown to copy, when no MAIL_FROM is set: it is never sent.
COPY_FROM = "codev-room@localhost"

# A move that is no command of the group: a facilitator's new link for a person of it.
REISSUE_LINK = "reissue_link"

# Moves on a session that the server allows or not by whether it began.
_BY_BEGUN = (gcmd.CancelSession.type, gcmd.ConfirmPresence.type)

# Fields of new things whose ids the server chooses, per command type.
_NEW_IDS: dict[str, tuple[str, str]] = {
    gcmd.InvitePerson.type: ("person", PERSON),
    gcmd.InviteApplicant.type: ("person", PERSON),
    gcmd.PlanSession.type: ("session", SESSION),
    gcmd.SaveDraft.type: ("draft", "d"),
    gcmd.FixSlot.type: ("session", SESSION),
}


@dataclass(frozen=True)
class Member:
    """Someone a live group link names, whatever their status (invited, waiting…)."""

    group: Group
    person: str
    link: Link

    @property
    def group_id(self) -> str:
        return self.group.id

    @property
    def state(self) -> State:
        return self.group.state

    @property
    def role(self) -> GroupRole | None:
        return self.state.role_of(self.person)

    @property
    def sees_content(self) -> bool:
        return sees_content(self.state, self.person)

    @property
    def must_accept(self) -> bool:
        return must_accept(self.state, self.person)

    def follow(self, page: str) -> dict[str, object]:
        """What a page needs to follow the group live (templates/base.html): the group,
        the seq the page is rendered at — 0 for someone waiting, who is not told the
        group's pace — and which page it is. Taken before the page reads anything, so
        what it shows is at least that new."""
        seq = self.group.seq if self.sees_content else 0
        return {"group": self.group.id, "seq": seq, "page": page}


@dataclass(frozen=True)
class Outcome:
    """What a group command did: its events, the new thing's id, a link to hand over."""

    events: list[gev.GroupEvent]
    new_id: str | None = None
    secret: str | None = None  # shown once to whoever invited; never stored


@dataclass(frozen=True)
class Invitation:
    """A link made for a person, and what becomes of its message."""

    letter: Letter  # the invitation's words, with the link: shown to copy without SMTP
    mailed_to: str = ""  # the address it was queued for, if it was


_MINUTE = "%Y-%m-%dT%H:%M"  # a planned session's date, to the minute

APPLICATIONS_PER_ADDRESS = 3  # a person applies once; a few tries allow for a typo
APPLICATION_WINDOW = 600.0  # seconds


@dataclass
class GroupServices:
    services: Services
    groups: Groups
    # Posts to the public forms, per client address.
    public_form: RateLimit = field(
        default_factory=lambda: RateLimit(APPLICATIONS_PER_ADDRESS, APPLICATION_WINDOW, time.time)
    )
    # One opening at a time per session, so two members arriving together create it once.
    _opening: dict[str, asyncio.Lock] = field(default_factory=dict)
    # The outbox's worker, woken when a message is queued; None until the lifespan sets it.
    postman: Postman | None = None

    @property
    def sending(self) -> bool:
        """Whether an SMTP server sends the messages (else they are shown, to copy)."""
        return self.services.settings.smtp_url is not None

    def post(self, group_url: str = "") -> Post:
        settings = self.services.settings
        return Post(
            sender=settings.mail_from or COPY_FROM,
            group_url=group_url,
            controller=settings.privacy_controller,
            contact=settings.privacy_contact,
        )

    # --- who is calling ----------------------------------------------------------------

    async def member(self, connection: Any, group_id: str) -> Member | None:
        """The person behind a request to a group: a live link to it, not removed."""
        group = await self.groups.get(group_id)
        if group is None:
            return None
        settings = self.services.settings
        link = await live_link(self.services.store, settings.secret_key, connection, group_id)
        if link is None or group.state.person(link.participant) is None:
            return None
        return Member(group, link.participant, link)

    # --- acts --------------------------------------------------------------------------

    async def create_group(
        self, name: str, facilitator_name: str, lang: str
    ) -> tuple[str, str, str]:
        """A new group with the flyer's rules as its charter; return (group, person,
        secret). Raises DomainError when the name or the facilitator's name is refused."""
        group_id, person = new_id(GROUP), new_id(PERSON)
        rules = tuple(catalogue(lang)["charter.rules"])
        await self.groups.create(
            group_id,
            gcmd.CreateGroup(
                name=name,
                facilitator=person,
                facilitator_name=facilitator_name,
                facilitator_lang=lang,
                rules=rules,
            ),
        )
        return group_id, person, await self.services.new_link(group_id, person)

    def command(self, data: Mapping[str, Any]) -> GroupCommand:
        """A group command from a client's plain data, with the server's ids for new
        things. Raises DomainError(INVALID) for data that is no command."""
        plain = dict(data)
        chosen = _NEW_IDS.get(str(plain.get("type", "")))
        if chosen is not None and not (chosen[0] == "draft" and plain.get("draft")):
            plain[chosen[0]] = new_id(chosen[1])
        try:
            return GroupCommand.from_plain(plain)
        except PlainDataError as error:
            raise DomainError(Code.INVALID, field=error.path or "body") from None

    async def moves(
        self, member: Member, begun: Mapping[str, Room] | None = None
    ) -> frozenset[Move]:
        """Every act ``member`` may do now, as pages offer them: the domain's moves less
        those refused for what only the server knows (which sessions began, who sat in
        them), and the links it reissues. A page offers a control for a listed move only.
        ``begun`` is what ``begun()`` answers, for a caller that has it already."""
        state = member.state
        if begun is None:
            begun = await self.begun(state)
        moves = set()
        for move in allowed(state, member.person):
            try:
                await self._check_known(member, move, set(begun))
            except DomainError:
                continue
            moves.add(move)
        if member.role is GroupRole.FACILITATOR and member.sees_content:
            moves |= {(REISSUE_LINK, p) for p in state.people if self._reissuable(member, p)}
        return frozenset(moves)

    async def _check_known(self, member: Member, move: Move, begun: set[str]) -> None:
        """Refuse a move the domain allows but the server knows better of: a session that
        began cannot be cancelled, and one confirms one's presence only at a session one
        sat in. (Erasing needs no such check: called again after a failure, when the
        session's log may already read as gone, it must still finish the job.)"""
        kind, target = move[0], move[-1]
        if kind == gcmd.CancelSession.type and target in begun:
            raise DomainError(Code.CONFLICT, what="session_begun")
        if kind == gcmd.ConfirmPresence.type and target not in begun:
            raise DomainError(Code.CONFLICT, what="not_begun")
        if kind == gcmd.ConfirmPresence.type and not await self.was_there(member, target):
            raise DomainError(Code.CONFLICT, what="not_present")

    async def execute(self, member: Member, command: GroupCommand, group_url: str = "") -> Outcome:
        """Apply ``command`` by ``member``, then what it means for links, sessions and
        the messages it makes (``group_url``, the group's page, is where they point)."""
        move = move_of(command)
        if move[0] in _BY_BEGUN:  # the group's state first, so that its refusal comes first
            check_move(member.state, member.person, move)
            started = await self.services.hub.room(move[1]) is not None
            await self._check_known(member, move, {move[1]} if started else set())
        if isinstance(command, gcmd.EraseSession | gcmd.EraseGroup):
            return await self._erase(member, command)
        if isinstance(command, gcmd.ReplanSession):
            await self._check_replan(member.group, command)
        if isinstance(command, gcmd.EditGroup):
            _check_time_zone(command.time_zone)
        before = member.group.state
        events = await member.group.execute(member.person, command)
        first = member.group.seq - len(events) + 1  # read at once: the seqs of these events
        await self.queue_notices(member.group, before, list(enumerate(events, first)), group_url)
        outcome = Outcome(events)
        for event in events:
            if isinstance(event, gev.PersonInvited):
                secret = await self.services.new_link(member.group.id, event.person)
                outcome = Outcome(events, event.person, secret)
            elif isinstance(event, gev.SessionPlanned):
                outcome = Outcome(events, event.session)
            elif isinstance(event, gev.DraftSaved):
                outcome = Outcome(events, event.draft)
            elif isinstance(event, gev.PersonRemoved):
                await self._remove_everywhere(member.group, event.person)
            elif isinstance(event, gev.CharterEdited):
                self._close_unbound(member.group)
            elif isinstance(event, gev.PersonCorrected):
                await self._rename_everywhere(member.group, event.person, event.name)
        return outcome

    # --- personal data -----------------------------------------------------------------

    async def access(self, group: Group, person: str) -> list[Part]:
        """Everything ``group`` holds about ``person`` (room.records.access), read now
        from its log, its sessions' states and logs, and its outbox."""
        store = self.services.store
        log = [decode_group_event(stored.data) for stored in await store.read(group.id)]
        begun = await self.begun(group.state)
        session_logs = {
            session: [decode_event(stored.data) for stored in await store.read(session)]
            for session in begun
        }
        sources = Sources(
            person=person,
            group_id=group.id,
            group=group.state,
            group_log=log,
            sessions={session: room.state for session, room in begun.items()},
            session_logs=session_logs,
            mails=[
                Envelope(
                    person=mail.person,
                    kind=mail.kind,
                    recipient=mail.recipient,
                    created_at=mail.created_at,
                    status=mail.status.value,
                    settled_at=mail.settled_at,
                )
                for mail in await store.mails(group.id)
            ],
            kept=[kept for room in begun.values() for kept in await _kept_for(room, person)],
        )
        return access_export(sources)

    async def access_for(self, member: Member, person: str) -> list[Part]:
        """A facilitator's copy of a person's data, for a person who asked them."""
        self._require_facilitator(member)
        if person not in member.state.people:
            raise DomainError(Code.NOT_FOUND, what="person", id=person)
        return await self.access(member.group, person)

    async def record_copy(
        self,
        group: Group,
        person: str,
        record: ExportedRecord,
        session: str = "",
        subject: str = "",
    ) -> None:
        """Write in the group's log that ``person`` downloaded ``record``: the
        facilitators' log of copies. Before the download is served: a copy the log does
        not hold is never handed over."""
        command = gcmd.RecordExport(person=person, record=record, session=session, subject=subject)
        await group.execute(SYSTEM, command)

    async def _erase(self, member: Member, command: gcmd.EraseSession | gcmd.EraseGroup) -> Outcome:
        """Erase first, record after: the store's copy goes before the group says it went,
        so a failure leaves the content listed (and erasable again), never claimed gone.
        A session takes with it the draft its narrator handed to it, rewritten out of
        the group's log; called again after a failure, every step is done again."""
        group = member.group
        if isinstance(command, gcmd.EraseSession):

            async def first() -> None:
                await self._erase_logs([command.session])
                await group.erase_handed_draft(command.session)

            return Outcome(await group.execute(member.person, command, first))
        decide(group.state, member.person, command, group.clock())  # refused: raises, nothing done
        await self._erase_logs([group.id, *group.state.sessions])
        self.groups.forget(group.id)
        return Outcome([])

    async def _erase_logs(self, log_ids: list[str]) -> None:
        await self.services.hub.erase(log_ids)

    async def queue_notices(
        self,
        group: Group,
        before: State,
        events: list[tuple[int, gev.GroupEvent]],
        group_url: str = "",
    ) -> None:
        """Queue the messages some events make (room.mail.notices). Without an SMTP
        server, the facilitators' own notice of an application is not queued: their page
        shows it already, and there is no one else to copy it to."""
        mails = after_events(
            group.id, before, group.state, events, self.post(group_url), self.services.hub.clock()
        )
        if not self.sending:
            mails = [mail for mail in mails if mail.kind != "application"]
        for mail in mails:
            await self.services.store.enqueue(mail)
        if mails and self.postman is not None:
            self.postman.wake()

    async def invitation(self, group: Group, person: str, link: str) -> Invitation:
        """The message that hands ``link`` to ``person``: queued when an SMTP server
        sends and they have an address; in any case returned, for the page to show."""
        mail = invitation(
            group.id, group.state, person, link, self.post(), self.services.hub.clock()
        )
        written = invitation_letter(group.state, person, link, self.post())
        if not (self.sending and mail.recipient):
            return Invitation(letter=written)
        await self.services.store.enqueue(mail)
        if self.postman is not None:
            self.postman.wake()
        return Invitation(letter=written, mailed_to=mail.recipient)

    async def copied(self, member: Member, mail_id: str) -> None:
        """A facilitator copied a message of this group into their own mail."""
        self._require_facilitator(member)
        mails = {mail.id: mail for mail in await self.services.store.mails(member.group.id)}
        mail = mails.get(mail_id)
        if mail is None or mail.status.settled:
            raise DomainError(Code.NOT_FOUND, what="mail", id=mail_id[:80])
        await self.services.store.settle(mail_id, MailStatus.COPIED, self.services.hub.clock())

    async def mails(self, member: Member) -> list[Mail]:
        """The group's messages, for its facilitators' page."""
        if member.role is not GroupRole.FACILITATOR or not member.sees_content:
            return []
        return await self.services.store.mails(member.group.id)

    async def reissue(self, member: Member, person: str) -> str:
        """A facilitator's new link for a person of the group (another facilitator who
        lost theirs, a member); the person's old links die."""
        self._require_facilitator(member)
        if member.state.person(person) is None:
            raise DomainError(Code.NOT_FOUND, what="person", id=person)
        if not self._reissuable(member, person):
            raise DomainError(Code.INVALID, field="person", reason="not_reissuable")
        await self.services.revoke_links(member.group.id, person)
        return await self.services.new_link(member.group.id, person)

    async def receive_application(
        self, group: Group, name: str, email: str, practice: str, lang: str, group_url: str = ""
    ) -> None:
        """An application from the public form (rate-limited by the caller), in the
        language of the page it came from; its facilitators are told."""
        before = group.state
        events = await group.execute(
            SYSTEM,
            gcmd.ReceiveApplication(
                application=new_id("a"), name=name, email=email, practice=practice, lang=lang
            ),
        )
        first = group.seq - len(events) + 1
        await self.queue_notices(group, before, list(enumerate(events, first)), group_url)

    # --- the cycle's live sessions -----------------------------------------------------

    async def open_session(self, member: Member, session_id: str) -> Room:
        """The live room of one of the group's sessions, created on first opening, with
        ``member`` in its roster. Only for those who see the group's content."""
        if not member.sees_content:
            raise DomainError(Code.CHARTER_REQUIRED if member.must_accept else Code.NOT_ADMITTED)
        planned = member.state.sessions.get(session_id)
        if planned is None:
            raise DomainError(Code.NOT_FOUND, what="session", id=session_id)
        if planned.erased_at is not None:
            raise DomainError(Code.INVALID, field="session", reason="erased")
        if not planned.narrator:
            # A date fixed from the poll: the room needs its narrator before it opens.
            raise DomainError(Code.CONFLICT, what="no_narrator")
        async with self._opening.setdefault(session_id, asyncio.Lock()):
            room = await self.services.hub.room(session_id)
            if room is None:
                room = await self._create_session(member.group, planned)
        await self.ensure_participant(room, member.state, member.person)
        return room

    async def is_person(self, group_id: str, person: str) -> bool:
        """Whether ``person`` was ever invited to the group (removed ones included)."""
        group = await self.groups.get(group_id)
        return group is not None and person in group.state.people

    async def sees_content(self, group_id: str, person: str) -> bool:
        group = await self.groups.get(group_id)
        return group is not None and sees_content(group.state, person)

    async def named(self, group_id: str) -> tuple[str, str]:
        """The group's name and time zone, as its sessions' records tell them."""
        group = await self.groups.get(group_id)
        if group is None:
            return "", DEFAULT_TIME_ZONE
        return group.state.name, group.state.time_zone

    async def record_copied(self, group_id: str, person: str, session: str) -> None:
        """A session's record was taken by ``person``: into its group's log of copies."""
        group = await self.groups.get(group_id)
        if group is None or person not in group.state.people:
            return
        if session in group.state.sessions:
            await self.record_copy(group, person, ExportedRecord.SESSION_RECORD, session=session)

    async def held_back(self, connection: Any, room: Room) -> Member | None:
        """A person of the session's group whom the group holds back for now (a charter
        to accept, an admission to wait for): told so, rather than turned away."""
        if not room.state.group:
            return None
        member = await self.member(connection, room.state.group)
        return member if member is not None and not member.sees_content else None

    async def session_member(self, connection: Any, room: Room) -> tuple[Link, str] | None:
        """For a group's session: the group link and person of a caller who sees the
        group's content, now in the session's roster."""
        if not room.state.group:
            return None
        member = await self.member(connection, room.state.group)
        if member is None or not member.sees_content:
            return None
        if room.session_id not in member.state.sessions:
            return None
        await self.ensure_participant(room, member.state, member.person)
        return member.link, member.person

    async def history(self, member: Member) -> History:
        """The cycle so far, read from each opened session of the group."""
        begun = await self.begun(member.state)
        return history(member.state, {s: room.state for s, room in begun.items()})

    async def attendance(self, member: Member, session_id: str) -> list[AttendanceRow]:
        """Who of the group came to one of its sessions, from the session's own log."""
        presences = await self.services.attendance(session_id)
        return attendance_rows(member.state, session_id, presences)

    async def cycle_of(self, room: Room, participant: str) -> dict[str, Any]:
        """What a group's session shows of the cycle: the situation it follows (with the
        follow-up posted here), and the draft its narrator handed to it."""
        group = await self.groups.get(room.state.group)
        assert group is not None  # a group's session is only created by its group
        previous = None
        if room.state.follows:
            before = await self.services.hub.room(room.state.follows)
            planned = group.state.sessions[room.state.follows]
            person = group.state.people.get(planned.narrator)
            narrator = person.name if person is not None else ""
            if planned.erased_at is not None:
                told = Situation(
                    session=planned.id, date=planned.date, narrator=narrator, erased=True
                )
            elif before is not None:
                told = situation(before.state, planned.id, planned.date, narrator)
            else:
                told = Situation(session=planned.id, date=planned.date, narrator=narrator)
            previous = {**to_plain(told), "follow_up_by": room.state.follow_up_by}
        draft = None
        for candidate in group.state.drafts.values():
            if candidate.used_in == room.session_id and candidate.author == participant:
                draft = {
                    "title": candidate.title,
                    "context": candidate.context,
                    "problem": candidate.problem,
                    "question": candidate.question,
                    "request": candidate.request,
                }
        return {"group": group.id, "name": group.state.name, "previous": previous, "draft": draft}

    async def ensure_participant(self, room: Room, state: State, person: str) -> None:
        """Add a member of the group to one of its sessions, if they are not in it yet."""
        if person in room.state.participants:
            return
        record = state.person(person)
        if record is None:
            return
        role = _session_role(state.sessions[room.session_id], record.role, person)
        await room.execute(
            SYSTEM, cmd.AddParticipant(participant=person, name=record.name, role=role)
        )

    async def _create_session(self, group: Group, planned: PlannedSession) -> Room:
        state = group.state
        host = next(
            p
            for p in state.people.values()
            if p.role is GroupRole.FACILITATOR and p.status is Status.ADMITTED
        )
        follows = previous_session(state, planned.id, await self.begun(state)) or ""
        title = f"{state.name} · {planned.date.replace('T', ' ')}"
        room = await self.services.hub.create(
            planned.id,
            cmd.CreateSession(
                template=DEFAULT_TEMPLATE,
                title=title[:TITLE_MAX],
                facilitator=host.id,
                name=host.name,
                group=group.id,
                follows=follows,
                follow_up_by=state.sessions[follows].narrator if follows else "",
                budget_minutes=state.cycle.minutes,
            ),
        )
        for person in state.people.values():
            if person.status is Status.ADMITTED and person.id != host.id:
                await self.ensure_participant(room, state, person.id)
        return room

    def today(self, state: State) -> str:
        """Now on the group's wall clock, "YYYY-MM-DDTHH:MM", as its sessions' dates read."""
        moment = self.services.hub.clock()
        try:
            return datetime.fromtimestamp(moment, ZoneInfo(state.time_zone)).strftime(_MINUTE)
        except (ValueError, KeyError):
            return datetime.fromtimestamp(moment).strftime(_MINUTE)

    async def begun(self, state: State) -> dict[str, Room]:
        """The group's sessions that began — those with a live room (a log) — by id."""
        hub = self.services.hub
        rooms = {s: await hub.room(s) for s in state.sessions}
        return {s: room for s, room in rooms.items() if room is not None}

    async def was_there(self, member: Member, session: str) -> bool:
        """Whether ``member`` was seated in that session while it ran, by its log."""
        rows = await self.attendance(member, session)
        return any(row.person == member.person and row.seconds > 0 for row in rows)

    async def _check_replan(self, group: Group, command: gcmd.ReplanSession) -> None:
        """Once a session is open its narrator is who the room says: a new narrator would
        find someone else's situation on the table."""
        planned = group.state.sessions.get(command.session)
        if planned is None or planned.narrator == command.narrator:
            return
        if await self.services.hub.room(planned.id) is not None:
            raise DomainError(Code.CONFLICT, what="session_opened")

    async def _remove_everywhere(self, group: Group, person: str) -> None:
        """A removed person loses every link to the group and every seat in its sessions,
        live sockets included, at once."""
        await self.services.revoke_links(group.id, person)
        for session_id in group.state.sessions:
            room = await self.services.hub.room(session_id)
            if room is None:
                continue
            with contextlib.suppress(DomainError):
                await room.execute(SYSTEM, cmd.RemoveParticipant(participant=person))
            room.disconnect(person, Close.REMOVED, "removed")

    async def _rename_everywhere(self, group: Group, person: str, name: str) -> None:
        """A corrected name reaches the group's sessions still open; an ended session's
        record keeps the name it was held under."""
        for session_id in group.state.sessions:
            room = await self.services.hub.room(session_id)
            if room is None or person not in room.state.participants:
                continue
            with contextlib.suppress(DomainError):
                await room.execute(person, cmd.Rename(name=name))

    def _close_unbound(self, group: Group) -> None:
        """A new charter binds no one until they accept it: their open rooms close, and
        the page they come back to asks for the new version."""
        for session_id in group.state.sessions:
            room = self.services.hub.rooms.get(session_id)
            if room is None:
                continue
            for person in group.state.people:
                if must_accept(group.state, person):
                    room.disconnect(person, Close.CHARTER_REQUIRED, "charter changed")

    @staticmethod
    def _reissuable(member: Member, person: str) -> bool:
        """A new link goes to someone still in the group, and never to oneself: one's
        own other device has its own link (``/me/link``), the old one still works."""
        record = member.state.person(person)
        return record is not None and not record.removed and person != member.person

    @staticmethod
    def _require_facilitator(member: Member) -> None:
        if member.role is not GroupRole.FACILITATOR or not member.sees_content:
            raise DomainError(Code.FORBIDDEN_ROLE)


def _check_time_zone(name: str) -> None:
    """The domain checks an IANA name's shape; whether the zone exists is known here."""
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        raise DomainError(Code.INVALID, field="time_zone") from None


def _session_role(planned: PlannedSession, role: GroupRole, person: str) -> Role:
    if role is GroupRole.FACILITATOR:
        return Role.FACILITATOR
    return Role.NARRATOR if planned.narrator == person else Role.MEMBER


def groups_of(connection: HTTPConnection) -> GroupServices:
    """The groups' services of the app serving ``connection`` (set by its lifespan)."""
    groups: GroupServices = connection.app.state.groups
    return groups


async def _kept_for(room: Room, person: str) -> list[Kept]:
    """What ``room`` keeps for ``person`` alone: their drafts of the open silent round,
    their notes as its narrator."""
    kept = [
        Kept(room.session_id, "draft", "\n".join(v for v in draft.body.values() if v), draft.at)
        for draft in await room.drafts.of(room.state, person)
    ]
    notebook = await room.notebooks.of(person)
    if notebook.text or notebook.marked:
        kept.append(Kept(room.session_id, "notes", notebook.text, marked=notebook.marked))
    return kept
