"""An asyncio client of the room, for tests, benchmarks and bots.

It holds a session the way a browser does: it reads an invitation link, asks who
it is (``GET /api/me``), accepts the charter if asked to, then opens the session's
WebSocket, says hello with the last seq it holds, and folds every event it
receives into its own ``State`` with ``room.domain.session.evolve``. When the connection
drops it reconnects on its own, backing off, and resumes from that seq; commands not yet
acknowledged are sent again under the same key, so each takes effect once.

docs/protocol.md is the reference for the frames; this module trusts the server
only as far as the protocol promises: seqs must follow each other with no gap.

    client = await RoomClient.connect(link)
    async with client:
        seq = await client.send(Post(kind=Kind.QUESTION, body={"text": "Why?"}))
        async for seq, event in client.events():
            ...
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlsplit

import httpx
import msgpack
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from room.domain.plain import PlainDataError, from_plain
from room.domain.session import SCHEMA_VERSION, Command, Event, Role, State
from room.domain.session.evolve import evolve
from room.domain.session.upgrade import event_from_plain
from room.protocol import Close

log = logging.getLogger("room.client")

# Close codes after which the client reconnects and resumes: the server going away or
# restarting (1001, 1012), a lost connection (1006), a server error (1011), or the
# server dropping a reader that fell behind (4008). Every other code is final.
RECONNECT_CODES = frozenset({1001, 1006, 1011, 1012, Close.TOO_SLOW})
BACKOFF_FIRST = 0.5  # seconds: the longest first wait before a retry
BACKOFF_CAP = 30.0  # seconds: no wait is longer, however many attempts failed
LIVED = 5.0  # seconds ready: a connection that lasted this long worked
MAX_FRAME_BYTES = 16 * 1024 * 1024  # a snapshot of a long session may pass websockets' 1 MiB


# --- errors ----------------------------------------------------------------------------------


class ClientError(Exception):
    """Base of everything this module raises on purpose."""


class ClientClosed(ClientError):
    """The client stopped: a final close code, a refused handshake, or close() itself."""

    def __init__(self, code: int, reason: str = "") -> None:
        super().__init__(f"closed with code {code}: {reason}" if reason else f"closed: {code}")
        self.code = code  # a WebSocket close code; Close.* for the server's own
        self.reason = reason


class ProtocolError(ClientError):
    """The server broke a promise of the protocol; this is a server bug, never retried."""


class SeqGap(ProtocolError):
    """An event came with a seq further on than the next one: events were lost."""

    def __init__(self, held: int, got: int) -> None:
        super().__init__(f"seq gap: held {held}, expected {held + 1}, got {got}")
        self.held = held
        self.got = got


class CommandRefused(ClientError):
    """The server answered a command with an error frame; nothing was applied."""

    def __init__(
        self, code: str, message: str, params: dict[str, Any] | None = None, key: str | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code  # stable: a domain Code or a protocol WireError value
        self.message = message  # already in the client's language
        self.params = params or {}
        self.key = key


class ApiError(ClientError):
    """An HTTP call of the API did not answer what was expected."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status = status
        self.code = code  # the JSON body's "code", or "http_<status>" without one
        self.message = message


# --- pure parts ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Link:
    """An invitation link taken apart: where the server is, and the bearer secret."""

    base_url: str  # scheme, host, port and any path prefix, without a trailing slash
    secret: str

    def ws_url(self, session: str) -> str:
        scheme, rest = self.base_url.split("://", 1)
        ws_scheme = {"http": "ws", "https": "wss"}[scheme]
        return f"{ws_scheme}://{rest}/s/{quote(session, safe='')}/ws"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def parse_link(link: str) -> Link:
    """Split ``http://HOST:PORT[/prefix]/j/SECRET`` into its base URL and secret."""
    parts = urlsplit(link.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"expected an http(s) invitation link, got {link!r}")
    prefix, marker, secret = parts.path.rpartition("/j/")
    if not marker or not secret or "/" in secret:
        raise ValueError(f"expected a link ending in /j/SECRET, got {link!r}")
    return Link(base_url=f"{parts.scheme}://{parts.netloc}{prefix}", secret=secret)


def backoff_delay(
    attempt: int,
    *,
    first: float = BACKOFF_FIRST,
    cap: float = BACKOFF_CAP,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry number ``attempt`` (from 0): anything up to a
    ceiling that doubles from ``first`` to ``cap`` ("full jitter"), so that the clients
    one restart dropped come back spread over the whole window, not in waves."""
    return float(rand()) * min(cap, first * 2.0 ** min(attempt, 32))


class Backoff:
    """The waits between connection attempts. They start over only after a
    connection that lived (stayed ready ``lived`` seconds): a server that accepts and
    then closes at once sees its clients' attempts thin out, not come every fraction
    of a second."""

    def __init__(
        self,
        *,
        first: float = BACKOFF_FIRST,
        cap: float = BACKOFF_CAP,
        lived: float = LIVED,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.first = first  # seconds: the ceiling of the first wait
        self.cap = cap  # seconds: the ceiling never grows past this
        self.lived = lived  # seconds ready after which a connection counts as working
        self.rand = rand  # a draw in [0, 1)
        self.attempt = 0  # attempts since the last connection that lived

    def ended(self, ready_for: float | None) -> float:
        """A connection ended after ``ready_for`` seconds ready (None: never ready);
        returns the wait before the next attempt."""
        if ready_for is not None and ready_for >= self.lived:
            self.attempt = 0
        delay = backoff_delay(self.attempt, first=self.first, cap=self.cap, rand=self.rand)
        self.attempt += 1
        return delay


def frames_of(message: bytes) -> list[Any]:
    """The frames a server message carries: one, or several back to back for a client
    that asked for batches. Raises ProtocolError for bytes that are not whole frames."""
    try:
        return [msgpack.unpackb(message, raw=False)]  # the common case, at C speed
    except msgpack.ExtraData:
        pass  # a batch: read it frame by frame
    except Exception as error:  # msgpack raises several unrelated types
        raise ProtocolError(f"undecodable frame: {type(error).__name__}") from None
    unpacker = msgpack.Unpacker(raw=False, max_buffer_size=max(len(message), 1))
    unpacker.feed(message)
    frames, end = [], 0
    try:
        for frame in unpacker:
            frames.append(frame)
            end = unpacker.tell()  # where the last whole frame ends
    except Exception as error:  # msgpack raises several unrelated types
        raise ProtocolError(f"undecodable frame: {type(error).__name__}") from None
    if not frames or end != len(message):
        raise ProtocolError("undecodable frame: an empty message, or one cut short")
    return frames


def accept_seq(held: int, incoming: int) -> bool:
    """Whether an event numbered ``incoming`` is the next one after ``held``.

    True: apply it. False: already held (a duplicate), skip it. A gap raises SeqGap,
    since folding past a lost event would leave a state no one else has.
    """
    if incoming <= held:
        return False
    if incoming != held + 1:
        raise SeqGap(held, incoming)
    return True


def should_reconnect(code: int) -> bool:
    return code in RECONNECT_CODES


def _encode(frame: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(frame, use_bin_type=True)
    return data


# --- the client ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Me:
    """Who the server says this client is, from the ready frame."""

    participant: str
    role: Role
    name: str


@dataclass(slots=True)
class _Pending:
    frame: bytes  # the encoded cmd frame, sent again as is after a reconnect
    future: asyncio.Future[int]  # the ack's seq, or CommandRefused


class RoomClient:
    """One participant's live view of one session. Create it with ``connect``.

    Every wait takes a ``timeout`` (seconds, 10 by default) so that a test that would
    hang fails instead, with TimeoutError.
    """

    def __init__(
        self,
        link: Link,
        session: str,
        participant: str,
        *,
        lang: str,
        reconnect: bool,
        queue_events: bool,
        on_event: Callable[[int, Event], None] | None,
        give_up_after: float,
        backoff: Backoff,
    ) -> None:
        self.link = link
        self.session = session  # the session id /api/me named
        self.participant = participant  # this client's participant id
        self.lang = lang  # sent in every hello; error messages come in this language
        self.state = State()  # the fold of every event up to ``seq``, or the last snapshot's
        self.seq = 0  # the last event folded into ``state``; 0 before any
        self.me: Me | None = None  # from the last ready frame
        self.moves: dict[str, Any] = {}  # the last can frame: what this participant may do
        # The last drafts frame: this member's own drafts of the open silent round.
        self.drafts: list[dict[str, Any]] = []
        # The last notes frame: the narrator's own notes and marked questions.
        self.notes: dict[str, Any] = {"text": "", "marked": []}
        self.now_offset = 0.0  # server clock minus local clock, seconds (ready, pong)
        self.connections = 0  # sockets opened so far: 1 + reconnects
        self.snapshots = 0  # snapshots received; they replace state without events
        self.duplicates = 0  # events received again and skipped (the protocol sends none)
        self._reconnect = reconnect
        self._give_up_after = give_up_after  # seconds without a ready before giving up
        self._on_event = on_event  # called in the reader, on arrival: for exact timings
        # Events for events(); None marks the end. Unbounded, so bots that never read
        # them pass queue_events=False.
        self._events: asyncio.Queue[tuple[int, Event] | None] | None = (
            asyncio.Queue() if queue_events else None
        )
        # Acks and errors that answer no command sent with send(): replies to send_raw.
        self._replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._pending: dict[str, _Pending] = {}  # sent, not yet acked or refused; by key
        self._pongs: dict[float, asyncio.Future[float]] = {}  # ping's client time -> rtt
        self._ws: ClientConnection | None = None  # set from ready until the socket drops
        self.backoff = backoff  # the waits between connection attempts
        self._ready_at: float | None = None  # monotonic time of this socket's ready
        # Set on each change of state, seq, moves or liveness, then replaced: waiters
        # wake up, test their condition, and wait on the new one. No polling.
        self._changed = asyncio.Event()
        self._first_ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._failure: ClientError | None = None  # why the client stopped, for every waiter
        self._closed = False  # close() was called
        self._runner: asyncio.Task[None] | None = None

    # --- creation and end ----------------------------------------------------------------

    @classmethod
    async def connect(
        cls,
        link: str,
        *,
        lang: str = "fr",
        reconnect: bool = True,
        accept_charter: bool = True,
        queue_events: bool = True,
        on_event: Callable[[int, Event], None] | None = None,
        give_up_after: float = 60.0,
        backoff: Backoff | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - one deadline for the API calls and ready
        http: httpx.AsyncClient | None = None,
        session: str | None = None,
    ) -> RoomClient:
        """Ask who the link is, accept the charter unless told not to, open the socket,
        and return once the first ready frame came: ``state`` is then current.

        A group's link opens any session of the group: name it with ``session``.
        ``backoff`` spaces the reconnection attempts (by default as docs/protocol.md
        advises: up to 0.5 s, doubling to 30 s, starting over after 5 s connected).

        Raises ApiError when the API refuses the link, ClientClosed when the socket
        is closed for good before ready, TimeoutError after ``timeout`` seconds.
        """
        parsed = parse_link(link)
        deadline = asyncio.get_running_loop().time() + timeout
        async with asyncio.timeout_at(deadline):
            me = await whoami(link, accept_charter=accept_charter, http=http, session=session)
        room = cls(
            parsed,
            me["session"],
            me["participant"],
            lang=lang,
            reconnect=reconnect,
            queue_events=queue_events,
            on_event=on_event,
            give_up_after=give_up_after,
            backoff=backoff or Backoff(),
        )
        room._runner = asyncio.create_task(room._run(), name=f"room-client-{room.participant}")
        try:
            async with asyncio.timeout_at(deadline):
                await asyncio.shield(room._first_ready)
        except BaseException:
            await room.close()
            raise
        return room

    async def close(self) -> None:
        """Close the socket and end the client; pending send() calls raise ClientClosed."""
        if self._closed:
            return
        self._closed = True
        if self._runner is not None and not self._runner.done():
            self._runner.cancel()
            # The runner's `async with` closes the socket on its way out.
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
        self._end(ClientClosed(1000, "closed by the client"), quiet=True)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def failure(self) -> ClientError | None:
        """Why the client stopped by itself (a final close code, a protocol error)."""
        return self._failure

    @property
    def connected(self) -> bool:
        """Whether a socket is open and past its ready frame."""
        return self._ws is not None

    def server_time(self) -> float:
        """The server's clock now, as far as this client can tell."""
        return time.time() + self.now_offset

    # --- commands ------------------------------------------------------------------------

    async def send(self, command: Command, key: str | None = None) -> int:
        """Send ``command`` and return the seq of its ack.

        The ack comes after the command's events, so ``state`` already shows them on
        return. If the socket drops first, the command is sent again, with the same
        key, after the reconnect; the server applies a key once. Raises
        CommandRefused when the server refuses it, ClientClosed if the client ends.
        Cancelling the call forgets the command: it may or may not have been applied.
        """
        self._check_alive()
        key = key if key is not None else uuid.uuid4().hex
        if key in self._pending:
            raise ValueError(f"expected a key not already in flight, got {key!r}")
        plain = command.to_plain()
        for field in command.SERVER_FIELDS:  # the server's to fill: a frame may not say them
            plain.pop(field, None)
        frame = _encode({"t": "cmd", "key": key, "cmd": plain})
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._pending[key] = _Pending(frame, future)
        try:
            ws = self._ws
            if ws is not None:
                # A connection lost here is not an error: the runner resends on ready.
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(frame)
            return await future
        finally:
            self._pending.pop(key, None)

    async def send_raw(self, data: bytes | str) -> None:
        """Send one frame as is, for tests of hostile input. Its answers, if any, come
        out of next_reply(); text (not bytes) goes as a text frame."""
        self._check_alive()
        if self._ws is None:
            raise ClientError("not connected: wait for the client to be ready")
        await self._ws.send(data)

    async def next_reply(self, timeout: float = 10.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next ack or error frame that answers no send() call, as a plain map."""
        async with asyncio.timeout(timeout):
            return await self._replies.get()

    async def ping(self, timeout: float = 10.0) -> float:  # noqa: ASYNC109
        """Measure the round trip to the server in seconds; refreshes ``now_offset``."""
        self._check_alive()
        if self._ws is None:
            raise ClientError("not connected: wait for the client to be ready")
        sent = time.time()
        while sent in self._pongs:  # two pings in one clock tick
            sent += 1e-6
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._pongs[sent] = future
        try:
            await self._ws.send(_encode({"t": "ping", "c": sent}))
            async with asyncio.timeout(timeout):
                return await future
        finally:
            self._pongs.pop(sent, None)

    # --- reading -------------------------------------------------------------------------

    async def events(self) -> AsyncIterator[tuple[int, Event]]:
        """Every event received, once each, in seq order, as ``(seq, event)``.

        A snapshot yields nothing: the events it stands for are not sent, so a client
        that resumed from far behind (or connected to a long session) sees its
        ``state`` jump; compare ``snapshots`` before and after to notice. Ends after
        close(); raises the client's failure after the last event if it failed.
        """
        if self._events is None:
            raise RuntimeError("this client was connected with queue_events=False")
        while True:
            item = await self._events.get()
            if item is None:
                self._events.put_nowait(None)  # a second reader ends as well
                if self._failure is not None:
                    raise self._failure
                return
            yield item

    async def wait_for(
        self,
        predicate: Callable[[State], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> State:
        """Wait until ``predicate(state)`` holds, and return that state.

        Woken by each change (events, snapshots, can frames), never by polling.
        Raises TimeoutError, or the client's failure if it stops first.
        """
        await self._wait_until(lambda: predicate(self.state), timeout)
        return self.state

    async def wait_seq(self, seq: int, timeout: float = 10.0) -> State:  # noqa: ASYNC109
        """Wait until the client holds every event up to ``seq``."""
        await self._wait_until(lambda: self.seq >= seq, timeout)
        return self.state

    async def wait_moves(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait until ``predicate(moves)`` holds on the last can frame."""
        await self._wait_until(lambda: predicate(self.moves), timeout)
        return self.moves

    async def wait_drafts(
        self,
        predicate: Callable[[list[dict[str, Any]]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> list[dict[str, Any]]:
        """Wait until ``predicate(drafts)`` holds on the last drafts frame."""
        await self._wait_until(lambda: predicate(self.drafts), timeout)
        return self.drafts

    async def wait_notes(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Wait until ``predicate(notes)`` holds on the last notes frame."""
        await self._wait_until(lambda: predicate(self.notes), timeout)
        return self.notes

    async def _wait_until(self, test: Callable[[], bool], timeout: float) -> None:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while not test():
                self._check_alive()
                await self._changed.wait()

    def _check_alive(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise ClientClosed(1000, "closed by the client")

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # --- the runner: connect, read, reconnect --------------------------------------------

    async def _run(self) -> None:
        """Hold a connection open until close() or a final close code."""
        down_since = time.monotonic()
        try:
            while True:
                code, reason = await self._connection()
                self._ws = None
                self._notify()
                now = time.monotonic()
                ready_for = None if self._ready_at is None else now - self._ready_at
                self._ready_at = None
                if ready_for is not None:
                    down_since = now  # the connection had been ready
                if not self._reconnect or not should_reconnect(code):
                    raise ClientClosed(code, reason)
                if now - down_since > self._give_up_after:
                    raise ClientClosed(
                        code, f"{reason}; gave up after {self._give_up_after:.0f}s of retries"
                    )
                delay = self.backoff.ended(ready_for)
                log.info(
                    "%s: closed (%s %s); retry in %.2fs", self.participant, code, reason, delay
                )
                await asyncio.sleep(delay)
        except ClientError as error:
            self._end(error)
        except Exception as error:  # a bug here must not leave waiters hanging forever
            log.exception("%s: the client's reader failed", self.participant)
            self._end(ProtocolError(f"reader failed: {type(error).__name__}: {error}"))

    async def _connection(self) -> tuple[int, str]:
        """One socket's life; returns its close code and reason when it ends."""
        try:
            # proxy=None: a test, bench or bot talks to the server it was given, never
            # through a proxy the environment happens to name.
            async with ws_connect(
                self.link.ws_url(self.session),
                additional_headers=self.link.headers,
                proxy=None,
                max_size=MAX_FRAME_BYTES,
                open_timeout=10,
                close_timeout=2,
            ) as ws:
                self.connections += 1
                hello = {"t": "hello", "seq": self.seq, "lang": self.lang, "batch": True}
                await ws.send(_encode(hello))
                while True:
                    raw = await ws.recv()
                    await self._receive(ws, raw)
        except ConnectionClosed as closed:
            if closed.rcvd is not None:
                return closed.rcvd.code, closed.rcvd.reason
            return 1006, "connection lost"
        except InvalidStatus as refused:
            return _refusal(refused.response.status_code, bytes(refused.response.body or b""))
        except (OSError, TimeoutError, InvalidHandshake) as error:
            return 1006, f"{type(error).__name__}: {error}"

    async def _receive(self, ws: ClientConnection, raw: bytes | str) -> None:
        """Handle one message: the frames it carries, back to back (hello asked for
        batches, so a message may hold several)."""
        if isinstance(raw, str):
            raise ProtocolError(f"expected binary frames, got a text frame: {raw[:80]!r}")
        for frame in frames_of(raw):
            await self._handle(ws, frame)

    async def _handle(self, ws: ClientConnection, frame: object) -> None:
        if not isinstance(frame, dict):
            raise ProtocolError(f"expected a map, got {type(frame).__name__}")
        kind = frame.get("t")
        try:
            if kind == "ev":
                self._on_ev(frame)
            elif kind == "ready":
                await self._on_ready(ws, frame)
            elif kind == "snapshot":
                self._on_snapshot(frame)
            elif kind == "can":
                self.moves = dict(frame["moves"])
                self._notify()
            elif kind == "drafts":
                self.drafts = list(frame["drafts"])
                self._notify()
            elif kind == "notes":
                self.notes = {"text": frame["text"], "marked": list(frame["marked"])}
                self._notify()
            elif kind == "ack":
                self._on_ack(frame)
            elif kind == "error":
                self._on_error(frame)
            elif kind == "pong":
                self._on_pong(frame)
            else:
                # A newer server may add frames; an older client skips what it ignores.
                log.warning("%s: unknown frame %r skipped", self.participant, kind)
        except (KeyError, TypeError, ValueError, PlainDataError) as error:
            raise ProtocolError(f"bad {kind!r} frame: {type(error).__name__}: {error}") from None

    def _on_ev(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if not accept_seq(self.seq, seq):
            log.warning("%s: duplicate event %d skipped (held %d)", self.participant, seq, self.seq)
            self.duplicates += 1
            return
        data = dict(frame["e"])
        version = data.pop("v", SCHEMA_VERSION)
        event = event_from_plain(data, version)
        self.state = evolve(self.state, event)
        self.seq = seq
        if self._events is not None:
            self._events.put_nowait((seq, event))
        if self._on_event is not None:
            try:
                self._on_event(seq, event)
            except Exception:  # the listener's bug; the client carries on
                log.exception("%s: on_event failed at seq %d", self.participant, seq)
        self._notify()

    def _on_snapshot(self, frame: dict[str, Any]) -> None:
        seq = frame["seq"]
        if seq < self.seq:
            # Only for a seq beyond the log's head: the log lost events this client holds
            # (Redis restored from an older file). The log is what everyone shares now.
            log.warning(
                "%s: snapshot at %d, behind the seq held %d", self.participant, seq, self.seq
            )
        self.state = from_plain(State, frame["state"])
        self.seq = seq
        self.snapshots += 1
        self._notify()

    async def _on_ready(self, ws: ClientConnection, frame: dict[str, Any]) -> None:
        if frame["seq"] != self.seq:
            raise ProtocolError(f"ready at seq {frame['seq']}, but the client holds {self.seq}")
        me = frame["me"]
        self.me = Me(participant=me["participant"], role=Role(me["role"]), name=me["name"])
        self.now_offset = float(frame["now"]) - time.time()
        self._ready_at = time.monotonic()
        self._ws = ws
        # Commands the last socket took without answering: same key, so the server
        # applies each once (answering "dup" if it already had). Listed after _ws is
        # set, so a send() from now on sends its own frame and is not listed twice.
        for pending in list(self._pending.values()):
            await ws.send(pending.frame)
        if not self._first_ready.done():
            self._first_ready.set_result(None)
        self._notify()

    def _on_ack(self, frame: dict[str, Any]) -> None:
        key, seq = frame["key"], frame["seq"]
        pending = self._pending.pop(key, None)
        if pending is None:
            self._replies.put_nowait(frame)
            return
        if seq > self.seq:
            # The protocol sends a command's events before its ack; not holding them
            # means the server broke that order.
            log.error(
                "%s: ack for seq %d before its events (held %d)", self.participant, seq, self.seq
            )
        if not pending.future.done():
            pending.future.set_result(seq)

    def _on_error(self, frame: dict[str, Any]) -> None:
        key = frame.get("key")
        pending = self._pending.pop(key, None) if isinstance(key, str) else None
        if pending is None:
            log.info(
                "%s: error frame %s: %s", self.participant, frame.get("code"), frame.get("message")
            )
            self._replies.put_nowait(frame)
            return
        refusal = CommandRefused(
            str(frame["code"]), str(frame.get("message", "")), frame.get("params") or {}, key
        )
        if not pending.future.done():
            pending.future.set_exception(refusal)

    def _on_pong(self, frame: dict[str, Any]) -> None:
        sent = frame.get("c")
        received = time.time()
        if not isinstance(sent, float):
            return
        future = self._pongs.get(sent)
        if future is None or future.done():
            return
        rtt = received - sent
        # The server read its clock about half-way through the round trip.
        self.now_offset = float(frame["now"]) - (sent + rtt / 2)
        future.set_result(rtt)

    def _end(self, error: ClientError, *, quiet: bool = False) -> None:
        """Stop for good: every waiter, present and future, gets ``error``."""
        if self._failure is not None:
            return
        if not quiet:
            self._failure = error
            log.warning("%s: client stopped: %s", self.participant, error)
        self._ws = None
        for pending in self._pending.values():
            if not pending.future.done():
                pending.future.set_exception(error)
        self._pending.clear()
        for future in self._pongs.values():
            if not future.done():
                future.set_exception(error)
        if not self._first_ready.done():
            self._first_ready.set_exception(error)
            self._first_ready.exception()  # connect() may already have timed out
        if self._events is not None:
            self._events.put_nowait(None)
        self._notify()


def _refusal(status: int, body: bytes) -> tuple[int, str]:
    """A handshake refused with an HTTP status, as the close code it stands for."""
    reason = body.decode("utf-8", "replace")[:200]
    if status >= 500:
        return 1011, f"HTTP {status} {reason}"  # the server's trouble: retry
    codes = {401: Close.UNAUTHORIZED, 403: Close.FORBIDDEN_ORIGIN, 404: Close.NOT_FOUND}
    return codes.get(status, status), f"HTTP {status} {reason}"


# --- HTTP helpers ----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def _http(client: httpx.AsyncClient | None) -> AsyncIterator[httpx.AsyncClient]:
    """The caller's client when given (a bench reuses one pool), else a fresh one."""
    if client is not None:
        yield client
        return
    # trust_env=False for the same reason as proxy=None on the socket.
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as fresh:
        yield fresh


async def _call(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    headers: dict[str, str],
    expected: int | None,
    json: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One API call; its JSON body, or {} for none. ``expected`` None accepts any 2xx."""
    response = await client.request(method, url, headers=headers, json=json)
    ok = response.status_code == expected if expected is not None else response.is_success
    body: Any = None
    if response.content:
        with contextlib.suppress(ValueError):
            body = response.json()
    if not ok:
        detail = body if isinstance(body, dict) else {}
        raise ApiError(
            response.status_code,
            str(detail.get("code", f"http_{response.status_code}")),
            str(detail.get("message", response.text[:200])),
        )
    return body if isinstance(body, dict) else {}


async def create_session(
    base_url: str,
    title: str,
    name: str,
    template: str = "flyer",
    *,
    http: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """Create a session; returns {"session", "participant", "link"} (the facilitator's)."""
    async with _http(http) as client:
        return await _call(
            client,
            "POST",
            f"{base_url.rstrip('/')}/api/sessions",
            {},
            201,
            json={"title": title, "name": name, "template": template},
        )


async def whoami(
    link: str,
    *,
    accept_charter: bool = False,
    http: httpx.AsyncClient | None = None,
    session: str | None = None,
) -> dict[str, Any]:
    """``GET /api/me`` for ``link``: {"session", "participant", "role", "name", "charter"}
    (in ``session``, for a group's link).

    With ``accept_charter``, a charter not yet accepted is accepted first (its version
    as /api/me gives it), and the answer says so.
    """
    parsed = parse_link(link)
    async with _http(http) as client:
        url = f"{parsed.base_url}/api/me"
        if session is not None:
            # A group's session opens (and seats its member) on first entry.
            who = await _call(client, "GET", url, parsed.headers, 200)
            if "group" in who:
                group, quoted = quote(who["group"], safe=""), quote(session, safe="")
                opening = f"{parsed.base_url}/api/groups/{group}/sessions/{quoted}/open"
                await _call(client, "POST", opening, parsed.headers, 200, json={})
            url += f"?session={quote(session, safe='')}"
        me = await _call(client, "GET", url, parsed.headers, 200)
        charter = me.get("charter") or {}
        if accept_charter and not charter.get("accepted", False):
            await _call(
                client,
                "POST",
                f"{parsed.base_url}/api/sessions/{quote(me['session'], safe='')}/charter",
                parsed.headers,
                None,
                json={"version": charter.get("version", 1)},
            )
            me["charter"] = {**charter, "accepted": True}
        return me


async def invite(
    base_url: str,
    session: str,
    facilitator_link: str,
    role: Role | str,
    name: str,
    *,
    accept_charter: bool = True,
    http: httpx.AsyncClient | None = None,
) -> dict[str, Any]:
    """Invite someone as the facilitator; returns {"participant", "link"}.

    The server refuses a facilitator who has not accepted the charter yet; with
    ``accept_charter`` (the default) the facilitator accepts it and the call is retried.
    """
    secret = parse_link(facilitator_link)
    url = f"{base_url.rstrip('/')}/api/sessions/{quote(session, safe='')}/invitations"
    body = {"role": str(Role(role)), "name": name}
    async with _http(http) as client:
        try:
            return await _call(client, "POST", url, secret.headers, 201, json=body)
        except ApiError as error:
            if error.code != "charter_required" or not accept_charter:
                raise
        await whoami(facilitator_link, accept_charter=True, http=client)
        return await _call(client, "POST", url, secret.headers, 201, json=body)
