"""The group's WebSocket: tells a member's page "the group is now at seq N", at once and
after each change, so every part of the page follows the group without a reload.

It carries no content. The page reads the group through the JSON API, which cuts the
state to the reader; the socket only says when to read again. Changes are coalesced by
the group's ``Watch`` (room.live.groups): a burst of commands sends one frame or a few, each
with the latest seq, and nothing queues for a client that reads slowly. At each change
the member's standing is checked again, as every request to a group is: a person
removed, or unbound by a new charter, has the socket closed (4010, 4003).

Someone waiting to be admitted may open it too, so that their waiting page turns into
the group's space the moment they are let in; until then it tells them nothing, not
even the seq, which would say how busy the group is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.websockets import WebSocket, WebSocketDisconnect

from room import protocol
from room.domain.group import Status
from room.i18n import error_message
from room.live.groups import Group, Watch
from room.protocol import Close, FrameError, WireError
from room.web.group.services import GroupServices, Member, groups_of
from room.web.security import origin_allowed
from room.web.services import Services, language

log = logging.getLogger(__name__)

MAX_STRIKES = 50  # frames other than a ping, in a row, before the connection counts as abuse


class _Refusal(Exception):
    """The caller may not (or no longer) follow the group: a close code and an error code."""

    def __init__(self, close: Close, code: str) -> None:
        super().__init__(code)
        self.close = close
        self.code = code  # an error code with a message in the catalogues


async def group_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    groups = groups_of(websocket)
    group_id = websocket.path_params["group_id"]
    lang = language(websocket)
    await websocket.accept()
    # Refusals are told in a frame, then by a close code, so a page can say why.
    try:
        if not origin_allowed(websocket, services.settings.allowed_origins):
            raise _Refusal(Close.FORBIDDEN_ORIGIN, "forbidden_origin")
        member = await _standing(groups, websocket, group_id, person=None)
    except _Refusal as refusal:
        frame = protocol.error_frame(refusal.code, error_message(lang, refusal.code, {}))
        with contextlib.suppress(WebSocketDisconnect):  # gone already: nobody to tell
            await websocket.send_bytes(frame)
            await websocket.close(refusal.close, refusal.code)
        return

    group = member.group
    sending = asyncio.Lock()  # the reader's pongs and the watcher's frames, one at a time
    with group.watch() as watch:
        watcher = asyncio.create_task(
            _watch(websocket, groups, group, watch, member.person, sending)
        )
        reader = asyncio.create_task(_read(websocket, group, lang, sending))
        crashed = closed = False
        try:
            done, _ = await asyncio.wait({watcher, reader}, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                error = None if task.cancelled() else task.exception()
                if error is not None:
                    crashed = True
                    log.error("group socket failed", exc_info=error)
                elif not task.cancelled():
                    closed = closed or task.result()  # the task closed with its own code
        finally:
            for task in (watcher, reader):
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.gather(watcher, reader, return_exceptions=True)
        if not closed:
            # A bug of ours is not the client's cue to stop: 1011 tells it to come back.
            with contextlib.suppress(Exception):
                await websocket.close(1011 if crashed else 1000)


def group_frame(seq: int) -> bytes:
    return protocol.encode({"t": "group", "seq": seq})


async def _standing(
    groups: GroupServices, websocket: WebSocket, group_id: str, person: str | None
) -> Member:
    """The member behind the socket, if they still see the group's content; raises
    _Refusal saying why not. ``person`` is who the socket was opened for, once known."""
    member = await groups.member(websocket, group_id)
    if member is None:
        group = await groups.groups.get(group_id)
        if group is None:
            raise _Refusal(Close.NOT_FOUND, "not_found")
        record = group.state.people.get(person) if person else None
        if record is not None and record.removed:
            raise _Refusal(Close.REMOVED, "not_participant")  # their links are revoked next
        raise _Refusal(Close.UNAUTHORIZED, "unauthorized")
    if person is not None and member.person != person:
        raise _Refusal(Close.UNAUTHORIZED, "unauthorized")  # another person's link now
    if member.must_accept:
        raise _Refusal(Close.CHARTER_REQUIRED, "charter_required")
    if not member.sees_content and member.state.people[member.person].status is not Status.WAITING:
        raise _Refusal(Close.UNAUTHORIZED, "not_admitted")
    return member


async def _watch(
    websocket: WebSocket,
    groups: GroupServices,
    group: Group,
    watch: Watch,
    person: str,
    sending: asyncio.Lock,
) -> bool:
    """The group's seq at once; then after each change of the group, the member's
    standing again and the new seq — for someone still waiting, nothing until they are
    admitted. Returns True once it closed the socket (access ended, or the group was
    erased), False if the client left first."""
    sent = None
    try:
        # Asked again now that the watch is in place: a change between the first check
        # and the watch's opening (an admission, a removal) would otherwise wait for the
        # next one.
        member = await _standing(groups, websocket, group.id, person)
        while True:
            # The group's seq now, not the watch's: changes during the check are included.
            if member.sees_content and group.seq != sent:
                sent = group.seq
                async with sending:
                    await websocket.send_bytes(group_frame(sent))
            await watch.changed()
            try:
                if watch.gone:
                    raise _Refusal(Close.NOT_FOUND, "erased")
                member = await _standing(groups, websocket, group.id, person)
            except _Refusal as refusal:
                reason = "removed" if refusal.close is Close.REMOVED else refusal.code
                async with sending:
                    await websocket.close(refusal.close, reason)
                return True
    except WebSocketDisconnect:
        return False


async def _read(websocket: WebSocket, group: Group, lang: str, sending: asyncio.Lock) -> bool:
    """Answer pings; refuse anything else, politely, up to MAX_STRIKES in a row. Returns
    when the client leaves (False) or once it closed the socket for abuse (True)."""
    strikes = 0
    try:
        while True:
            received = await websocket.receive()
            if received["type"] == "websocket.disconnect":
                return False
            data = received.get("bytes")
            try:
                if data is None:
                    raise FrameError(WireError.BAD_FRAME, "frames are binary")
                frame = protocol.decode(data)
                if not isinstance(frame, protocol.Ping):
                    raise FrameError(WireError.UNKNOWN_FRAME, "this socket takes only ping")
            except FrameError as error:
                strikes += 1
                if strikes > MAX_STRIKES:
                    async with sending:
                        await websocket.close(Close.ABUSE, "too many unexpected frames")
                    return True
                params = {"detail": error.detail} if error.detail else {}
                text = error_message(lang, error.code.value, params)
                refused = protocol.error_frame(error.code.value, text, None, params)
                async with sending:
                    await websocket.send_bytes(refused)
                continue
            strikes = 0
            async with sending:
                await websocket.send_bytes(protocol.pong_frame(frame.client_time, group.clock()))
    except WebSocketDisconnect:
        return False
