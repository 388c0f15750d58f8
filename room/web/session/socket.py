"""The session's WebSocket: a reader that decodes and applies frames, a writer that
drains the connection's queue (room.live.connection), and nothing shared between sockets but
the room."""

from __future__ import annotations

import contextlib
import logging

from starlette.websockets import WebSocket

from room import protocol
from room.domain.errors import DomainError
from room.i18n import error_message, message
from room.live.connection import Connection
from room.live.room import Room
from room.protocol import Close, FrameError, WireError
from room.store import Unavailable
from room.web.auth import Caller
from room.web.security import origin_allowed
from room.web.services import Services, language

log = logging.getLogger(__name__)

MAX_STRIKES = 50  # malformed frames in a row before the connection counts as abuse


async def session_socket(websocket: WebSocket) -> None:
    services: Services = websocket.app.state.services
    session_id = websocket.path_params["session_id"]
    lang = language(websocket)
    await websocket.accept()
    try:
        admitted = await _admit(websocket, services, session_id, lang)
    except Unavailable:
        # The store did not answer: come back (to any worker) once it does.
        await _refuse(websocket, lang, Close.RECONNECTING, "unavailable")
        return
    if admitted is None:
        return
    room, caller = admitted

    # This task reads; the connection sends in the caller's turn, with a writer task of
    # its own only while frames wait (room.live.connection).
    connection = Connection(websocket, caller.participant, lang)
    crashed = False
    try:
        await _read(websocket, room, connection)
    except Exception:
        crashed = True
        log.exception("session socket failed")
    finally:
        closed_by_us = connection.close_code is not None
        await connection.stop()
        await room.leave(connection)
        if not closed_by_us:
            # A bug of ours is not the client's cue to stop: 1011 tells it to come back.
            with contextlib.suppress(Exception):
                await websocket.close(1011 if crashed else 1000)


async def _admit(
    websocket: WebSocket, services: Services, session_id: str, lang: str
) -> tuple[Room, Caller] | None:
    """The room and the caller, or None once refused. Refusals are told in a frame,
    then by a close code, so a browser can say why. Raises Unavailable."""
    if not origin_allowed(websocket, services.settings.allowed_origins):
        await _refuse(websocket, lang, Close.FORBIDDEN_ORIGIN, "forbidden_origin")
        return None
    if not services.hub.fanout.alive:
        # Deaf to the other workers: come back when this one hears them again.
        await _refuse(websocket, lang, Close.RECONNECTING, "unavailable")
        return None
    room = await services.hub.room(session_id)
    if room is None:
        await _refuse(websocket, lang, Close.NOT_FOUND, "not_found")
        return None
    caller = await services.caller(websocket, session_id)
    if caller is None:
        held = services.groups and await services.groups.held_back(websocket, room)
        if held and held.must_accept:  # the group's charter changed: accept it, come back
            await _refuse(websocket, lang, Close.CHARTER_REQUIRED, "charter_required")
            return None
        await _refuse(websocket, lang, Close.UNAUTHORIZED, "unauthorized")
        return None
    if not await services.has_accepted(caller):
        await _refuse(websocket, lang, Close.CHARTER_REQUIRED, "charter_required")
        return None
    return room, caller


async def _refuse(websocket: WebSocket, lang: str, code: Close, reason: str) -> None:
    await websocket.send_bytes(protocol.error_frame(reason, message(lang, f"error.{reason}")))
    await websocket.close(code, reason)


async def _read(websocket: WebSocket, room: Room, connection: Connection) -> None:
    """Apply the client's frames in the order they came, until it leaves."""
    joined = False
    strikes = 0
    while not connection.closing:
        received = await websocket.receive()
        if received["type"] == "websocket.disconnect":
            return
        data = received.get("bytes")
        try:
            if data is None:
                raise FrameError(WireError.BAD_FRAME, "frames are binary")
            frame = protocol.decode(data)
        except FrameError as error:
            strikes += 1
            if strikes > MAX_STRIKES:
                connection.shut(Close.ABUSE, "too many malformed frames")
                return
            _send_error(connection, error.code.value, error.key, detail=error.detail)
            continue
        strikes = 0
        if isinstance(frame, protocol.Ping):
            connection.send(protocol.pong_frame(frame.client_time, room.clock()))
        elif isinstance(frame, protocol.Hello):
            if joined:
                _send_error(connection, WireError.BAD_FRAME.value, None, detail="hello once")
                continue
            connection.lang = frame.lang or connection.lang
            connection.batch = frame.batch
            try:
                if not await room.join(connection, frame.seq):
                    connection.shut(Close.REMOVED, "not in this session")
                    return
            except Unavailable:
                # Never answered from a state older than the log: come back (anywhere).
                connection.shut(Close.RECONNECTING, "unavailable")
                return
            joined = True
        elif not joined:
            _send_error(connection, WireError.HELLO_FIRST.value, frame.key)
        else:
            try:
                seq, duplicate = await room.execute(
                    connection.participant, frame.command, frame.key, origin=connection
                )
            except DomainError as error:
                _send_error(connection, error.code.value, frame.key, **error.params)
            except Unavailable:
                _send_error(connection, WireError.UNAVAILABLE.value, frame.key)
            else:
                connection.send(protocol.ack_frame(frame.key, seq, duplicate))


def _send_error(connection: Connection, code: str, key: str | None, **params: object) -> None:
    text = error_message(connection.lang, code, params)
    plain = {name: value for name, value in params.items() if isinstance(value, str | int | float)}
    connection.send(protocol.error_frame(code, text, key, plain))
