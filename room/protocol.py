"""The wire: binary WebSocket frames, each one msgpack map with a "t" field.

This module decodes what clients send — checking size, shape and types before
anything reaches the hub or the domain — and encodes what the server sends.
docs/protocol.md documents every frame, error code and close code named here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

import msgpack

from room.domain.plain import PlainDataError
from room.domain.session import Command

MAX_FRAME_BYTES = 64 * 1024  # a client frame; the longest command text is 5,000 chars
MAX_KEY_LENGTH = 64
MAX_DEPTH = 8  # the deepest legitimate command is three maps deep
MAX_SEQ = 2**53  # the largest whole number a JavaScript client counts exactly
LANGUAGES = ("fr", "en")
# The fields each client frame may have: any other is a mistake the client should hear of.
FIELDS: dict[str, frozenset[str]] = {
    "hello": frozenset({"t", "seq", "lang", "batch"}),
    "cmd": frozenset({"t", "key", "cmd"}),
    "ping": frozenset({"t", "c"}),
}


class Close(IntEnum):
    """Close codes the server uses, besides the standard 1000/1001/1009/1011."""

    RECONNECTING = 1012  # this worker lost Redis (or its subscription): reconnect, resume
    UNAUTHORIZED = 4001  # no valid link for this session (forged, revoked, other session)
    CHARTER_REQUIRED = 4003  # the charter was not accepted yet
    FORBIDDEN_ORIGIN = 4004  # the page that opened the socket is not an allowed origin
    TOO_SLOW = 4008  # the client did not read fast enough; reconnect with hello{seq}
    ABUSE = 4009  # too many malformed frames in a row
    REMOVED = 4010  # the participant was removed from the session
    NOT_FOUND = 4040  # no such session


class WireError(StrEnum):
    """Error codes for frames that never reached the domain."""

    BAD_FRAME = "bad_frame"  # not msgpack, not a map, too deep, a field wrong or unknown
    FRAME_TOO_LARGE = "frame_too_large"
    UNKNOWN_FRAME = "unknown_frame"  # a map whose "t" is not a known frame type
    BAD_COMMAND = "bad_command"  # a command of unknown type or with wrongly typed fields
    HELLO_FIRST = "hello_first"  # a command before the hello
    UNAVAILABLE = "unavailable"  # the store could not take the command; resend it later


class FrameError(Exception):
    """A client frame refused before the domain; the connection stays up."""

    def __init__(self, code: WireError, detail: str = "", key: str | None = None) -> None:
        super().__init__(f"{code.value}: {detail}" if detail else code.value)
        self.code = code
        self.detail = detail  # for the message: which field, what was expected
        self.key = key  # the command key, when one could be read


@dataclass(frozen=True, slots=True)
class Hello:
    seq: int  # the last seq the client holds; 0 for none
    lang: str | None
    batch: bool = False  # the client reads several frames from one message


@dataclass(frozen=True, slots=True)
class CommandFrame:
    key: str
    command: Command


@dataclass(frozen=True, slots=True)
class Ping:
    client_time: float | int | None  # echoed back, to measure the round trip


ClientFrame = Hello | CommandFrame | Ping


def encode(frame: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(frame, use_bin_type=True)
    return data


def decode(data: bytes) -> ClientFrame:
    """Read one client frame, or raise FrameError saying what is wrong with it."""
    if len(data) > MAX_FRAME_BYTES:
        raise FrameError(WireError.FRAME_TOO_LARGE, f"at most {MAX_FRAME_BYTES} bytes")
    try:
        # Each declared length is capped by the frame's own size, so a tiny frame cannot
        # make the decoder reserve a huge list or string.
        frame = msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=True,
            max_str_len=MAX_FRAME_BYTES,
            max_bin_len=0,
            max_ext_len=0,
            max_array_len=1024,
            max_map_len=64,
        )
    except Exception as error:  # msgpack raises several unrelated types for bad input
        raise FrameError(WireError.BAD_FRAME, type(error).__name__) from None
    if not isinstance(frame, dict):
        raise FrameError(WireError.BAD_FRAME, "a frame is a map")
    # Read first, so that every refusal of a command frame names the command it refuses.
    key = _key_of(frame)
    if _depth(frame) > MAX_DEPTH:
        raise FrameError(WireError.BAD_FRAME, f"nested deeper than {MAX_DEPTH}", key)
    kind = frame.get("t")
    fields = FIELDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise FrameError(WireError.UNKNOWN_FRAME, f"t: {str(kind)[:20]!r}")
    unknown = sorted(str(name)[:20] for name in frame if name not in fields)
    if unknown:
        raise FrameError(WireError.BAD_FRAME, f"unknown field {unknown[0]!r}", key)
    if kind == "cmd":
        return _command(frame, key)
    if kind == "hello":
        return _hello(frame)
    client_time = frame.get("c")
    if not isinstance(client_time, int | float | None) or isinstance(client_time, bool):
        raise FrameError(WireError.BAD_FRAME, "c: a number")
    return Ping(client_time)


def _key_of(frame: dict[str, Any]) -> str | None:
    """A command frame's key, when it is one (1 to MAX_KEY_LENGTH characters)."""
    key = frame.get("key")
    if frame.get("t") == "cmd" and isinstance(key, str) and 0 < len(key) <= MAX_KEY_LENGTH:
        return key
    return None


def _depth(value: Any) -> int:
    """How many containers deep ``value`` goes, counted level by level (no recursion,
    so a hostile frame cannot exhaust the stack); stops counting past MAX_DEPTH."""
    depth, level = 0, [value]
    while depth <= MAX_DEPTH:
        containers = [item for item in level if isinstance(item, dict | list)]
        if not containers:
            break
        depth += 1
        level = [
            child
            for container in containers
            for child in (container.values() if isinstance(container, dict) else container)
        ]
    return depth


def _hello(frame: dict[str, Any]) -> Hello:
    seq = frame.get("seq", 0)
    if not isinstance(seq, int) or isinstance(seq, bool) or not 0 <= seq <= MAX_SEQ:
        raise FrameError(WireError.BAD_FRAME, "seq: a whole number from 0 to 2^53")
    lang = frame.get("lang")
    if lang is not None and lang not in LANGUAGES:
        lang = None  # an unknown language falls back to the connection's, quietly
    batch = frame.get("batch", False)
    if not isinstance(batch, bool):
        raise FrameError(WireError.BAD_FRAME, "batch: true or false")
    return Hello(seq=seq, lang=lang, batch=batch)


def _command(frame: dict[str, Any], key: str | None) -> CommandFrame:
    if key is None:
        raise FrameError(WireError.BAD_FRAME, f"key: text of 1 to {MAX_KEY_LENGTH} characters")
    try:
        command = Command.from_plain(frame.get("cmd"))
    except PlainDataError as error:
        raise FrameError(WireError.BAD_COMMAND, str(error), key=key) from None
    filled = sorted(command.SERVER_FIELDS & frame["cmd"].keys())
    if filled:
        # What only the server knows (the drafts it keeps): a client does not say it.
        raise FrameError(WireError.BAD_COMMAND, f"{filled[0]}: filled by the server", key=key)
    return CommandFrame(key=key, command=command)


# --- what the server sends -------------------------------------------------------------------


def event_frame(seq: int, event: dict[str, Any]) -> bytes:
    return encode({"t": "ev", "seq": seq, "e": event})


def snapshot_frame(seq: int, state: dict[str, Any]) -> bytes:
    return encode({"t": "snapshot", "seq": seq, "state": state})


def ack_frame(key: str, seq: int, duplicate: bool = False) -> bytes:
    frame: dict[str, Any] = {"t": "ack", "key": key, "seq": seq}
    if duplicate:
        frame["dup"] = True
    return encode(frame)


def error_frame(
    code: str, message: str, key: str | None = None, params: dict[str, Any] | None = None
) -> bytes:
    return encode(
        {"t": "error", "key": key, "code": code, "message": message, "params": params or {}}
    )


def can_frame(moves: dict[str, Any]) -> bytes:
    return encode({"t": "can", "moves": moves})


def drafts_frame(round_number: int, drafts: list[dict[str, Any]]) -> bytes:
    """A member's own drafts of silent round ``round_number``: to their connections only."""
    return encode({"t": "drafts", "round": round_number, "drafts": drafts})


def notes_frame(text: str, marked: list[str]) -> bytes:
    """The narrator's own notes and marked questions: to their connections only."""
    return encode({"t": "notes", "text": text, "marked": marked})


def pong_frame(client_time: float | int | None, now: float) -> bytes:
    return encode({"t": "pong", "c": client_time, "now": now})


def ready_frame(seq: int, now: float, me: dict[str, Any]) -> bytes:
    """After the snapshot or replay: the client is up to date at ``seq``; live events follow.

    ``now`` is the server's clock, for the client's offset; ``me`` says who the client is.
    """
    return encode({"t": "ready", "seq": seq, "now": now, "me": me})
