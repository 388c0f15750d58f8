"""Several ``room serve`` workers on one Redis, and what their tests need around them:
a party of clients spread over the workers, the log read straight from Redis, a TCP
relay that can be pointed at another worker, and the worker's own Redis connections."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import msgpack
import redis
import websockets
from websockets.asyncio.client import ClientConnection

from room.client import Backoff, CommandRefused, RoomClient
from room.domain.plain import to_plain
from room.domain.session import Command, Event, Kind
from room.domain.session import commands as c
from room.domain.session.events import ContributionPosted
from room.live.room import decode_event
from room.store.redis import RedisStore
from tests.running import ServerProcess

SECRET_KEY = "scale-out-tests-share-this-key"  # every worker hashes link secrets with it
RESEND_AFTER = 0.2  # seconds before a command refused as unavailable is sent again
# Seconds: the longest wait of a party's clients between connection attempts. The tests
# wait for what happens, not for the back-off, whose own ceilings tests/unit checks.
QUICK_BACKOFF_CAP = 2.0


# --- the workers -----------------------------------------------------------------------------


class Workers:
    """``room serve`` processes sharing one Redis and one SECRET_KEY, each on its port."""

    def __init__(self, root: Path, redis_url: str) -> None:
        self.root = root  # each worker gets a directory here, for its log and ROOM_DB
        self.redis_url = redis_url
        self.started: list[ServerProcess] = []

    def env(self, data_dir: Path) -> dict[str, str]:
        return {
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": SECRET_KEY,
            "ROOM_DB": str(data_dir / "room.db"),  # unused on Redis
        }

    def start(self, name: str) -> ServerProcess:
        """A new worker, started and answering /healthz with 200."""
        data_dir = self.root / name
        data_dir.mkdir(parents=True, exist_ok=True)
        worker = ServerProcess(data_dir, env=self.env(data_dir))
        self.started.append(worker)
        worker.start()
        return worker

    def stop(self) -> None:
        for worker in self.started:
            worker.stop()


def on(link: str, port: int) -> str:
    """The same link, served by whatever listens on ``port`` (another worker, a relay)."""
    parts = urlsplit(link)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{port}"))


async def health(worker: ServerProcess) -> tuple[int, dict[str, Any]]:
    """``GET /healthz``: its status and JSON body; (0, {}) when it does not answer."""
    try:
        async with httpx.AsyncClient(timeout=2.0, trust_env=False) as http:
            answer = await http.get(f"{worker.url}/healthz")
    except httpx.TransportError:
        return 0, {}
    try:
        body = answer.json()
    except ValueError:
        body = {"text": answer.text[:200]}
    return answer.status_code, body if isinstance(body, dict) else {"body": body}


async def wait_subscription(
    worker: ServerProcess,
    subscription: str,
    timeout: float = 30.0,  # noqa: ASYNC109
) -> dict[str, Any]:
    """Poll /healthz until it says the subscription is ``alive`` (200) or ``dead`` (503)."""
    status_for = {"alive": 200, "dead": 503}[subscription]
    seen: tuple[int, dict[str, Any]] = (0, {})
    try:
        async with asyncio.timeout(timeout):
            while True:
                seen = await health(worker)
                status, body = seen
                if status == status_for and body.get("subscription") == subscription:
                    return body
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(
            f"expected /healthz {status_for} with subscription {subscription!r} on port "
            f"{worker.port} within {timeout} s, last got {seen}"
        ) from None


# --- clients ---------------------------------------------------------------------------------


class Record:
    """What one client received: (seq, event type) in order of arrival."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str]] = []

    def __call__(self, seq: int, event: Event) -> None:
        self.events.append((seq, event.type))

    def assert_gapless(self, name: str) -> None:
        seqs = [seq for seq, _ in self.events]
        if seqs:
            expected = list(range(seqs[0], seqs[0] + len(seqs)))
            assert seqs == expected, f"{name}: a gap or a duplicate in {_diff(seqs, expected)}"


def _diff(seqs: list[int], expected: list[int]) -> str:
    for index, (got, want) in enumerate(zip(seqs, expected, strict=False)):
        if got != want:
            return f"seqs {seqs[max(0, index - 3) : index + 4]} (expected {want} at {index})"
    return f"lengths {len(seqs)} and {len(expected)}"


class Party:
    """Clients of one session, each on the worker its link names, each recorded."""

    def __init__(self) -> None:
        self.clients: dict[str, RoomClient] = {}
        self.records: dict[str, Record] = {}

    def __getitem__(self, name: str) -> RoomClient:
        return self.clients[name]

    async def join(self, name: str, link: str, session: str | None = None) -> RoomClient:
        record = Record()
        client = await RoomClient.connect(
            link,
            on_event=record,
            queue_events=False,
            session=session,
            timeout=30.0,
            backoff=Backoff(cap=QUICK_BACKOFF_CAP),
        )
        self.clients[name], self.records[name] = client, record
        return client

    async def close(self) -> None:
        for client in self.clients.values():
            await client.close()

    async def level(self, seq: int, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every client holds every event up to ``seq``."""
        for name, client in self.clients.items():
            try:
                await client.wait_seq(seq, timeout=timeout)
            except TimeoutError:
                raise AssertionError(
                    f"{name} stayed at seq {client.seq}, expected {seq} within {timeout} s "
                    f"({client.connections} connections, failure {client.failure})"
                ) from None

    async def all_present(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every client sees every participant of the party present."""
        ids = {client.participant for client in self.clients.values()}
        for name, client in self.clients.items():
            try:
                await client.wait_for(
                    lambda state: (
                        all(state.participants[p].present for p in ids if p in state.participants)
                        and ids <= state.participants.keys()
                    ),
                    timeout=timeout,
                )
            except TimeoutError:
                absent = [p for p in ids if not client.state.participants.get(p, _ABSENT).present]
                raise AssertionError(f"{name} still shows {absent} absent") from None

    def assert_one_history(self, log: list[tuple[int, str]], upto: int) -> None:
        """Every client received events gapless, each exactly the log's from the first it
        got (after its snapshot) up to ``upto``, and all clients hold one state there."""
        for name, record in self.records.items():
            record.assert_gapless(name)
            got = [(seq, kind) for seq, kind in record.events if seq <= upto]
            assert got, f"{name} received no event"
            first = got[0][0]
            assert got == log[first - 1 : upto], f"{name}'s events differ from the log"
        states = {name: to_plain(client.state) for name, client in self.clients.items()}
        reference_name, reference = next(iter(states.items()))
        for name, state in states.items():
            assert state == reference, f"{name}'s state differs from {reference_name}'s"


class _Absent:
    present = False


_ABSENT = _Absent()


async def deliver(
    client: RoomClient,
    command: Command,
    key: str,
    timeout: float = 120.0,  # noqa: ASYNC109
) -> int:
    """Send ``command`` until acknowledged: refused as ``unavailable`` (nothing applied),
    it is sent again under the same key, as the protocol says to. Returns the ack's seq."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                return await client.send(command, key=key)
            except CommandRefused as refused:
                if refused.code != "unavailable":
                    raise
            await asyncio.sleep(RESEND_AFTER)


# --- posts that say which key sent them ------------------------------------------------------


def follow_up(key: str) -> c.Post:
    """A post whose text names its key, so that the log shows each key's events."""
    return c.Post(kind=Kind.FOLLOW_UP, body={"text": f"Retour {key}"})


async def stream(party: Party, name: str, count: int, acked: dict[str, int]) -> None:
    """``name`` posts ``count`` follow-ups one after the other, each under its own key."""
    for n in range(count):
        key = f"{name}-{n}"
        acked[key] = await deliver(party[name], follow_up(key), key)


def assert_each_key_once(log: list[Event], acked: dict[str, int]) -> None:
    """Every acknowledged post is in the log exactly once, at the seq it was acked at."""
    texts = Counter(
        event.contribution.body["text"] for event in log if isinstance(event, ContributionPosted)
    )
    for key, seq in acked.items():
        assert texts[f"Retour {key}"] == 1, f"{key} is in the log {texts[f'Retour {key}']} times"
        event = log[seq - 1]
        assert isinstance(event, ContributionPosted), f"{key} acked at {seq}, which is {event}"
        assert event.contribution.body["text"] == f"Retour {key}", f"{key} acked at {seq}"


# --- the log, read from Redis ----------------------------------------------------------------


async def read_log(redis_url: str, session: str) -> list[Event]:
    """The session's whole log as Redis holds it, event n at index n - 1."""
    store = RedisStore(redis_url)
    await store.open()
    try:
        stored = await store.read(session)
    finally:
        await store.close()
    assert [event.seq for event in stored] == list(range(1, len(stored) + 1))
    return [decode_event(event.data) for event in stored]


def kinds(log: list[Event]) -> list[tuple[int, str]]:
    return [(seq, event.type) for seq, event in enumerate(log, 1)]


# --- a relay that can be pointed at another worker -------------------------------------------


class Relay:
    """A TCP relay on a port of its own, forwarding every connection to ``target``.

    Clients given links on the relay's port reach whichever worker it points at: after
    ``point_at`` the next connections go to the new worker, while the ones open stay
    where they are until either end closes them.
    """

    def __init__(self, target: int) -> None:
        self.target = target  # the port new connections are forwarded to
        self.port = 0  # set by start()
        self.server: asyncio.Server | None = None
        self.pipes: set[asyncio.Task[None]] = set()
        self.connects: list[float] = []  # loop time of each connection accepted, in order
        self._counted = asyncio.Condition()  # notified at each connection accepted

    async def start(self) -> Relay:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def wait_connects(self, count: int) -> list[float]:
        """Wait until ``count`` connections were accepted; when each came."""
        async with self._counted:
            await self._counted.wait_for(lambda: len(self.connects) >= count)
        return self.connects[:count]

    def point_at(self, target: int) -> None:
        self.target = target

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        for task in list(self.pipes):
            task.cancel()
        for task in list(self.pipes):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.server.wait_closed()

    async def __aenter__(self) -> Relay:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        async with self._counted:
            self.connects.append(asyncio.get_running_loop().time())
            self._counted.notify_all()
        self.pipes.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            try:
                up_reader, upstream = await asyncio.open_connection("127.0.0.1", self.target)
            except OSError:
                return  # the worker is gone: the client sees the connection drop
            one = asyncio.create_task(_pump(reader, upstream))
            other = asyncio.create_task(_pump(up_reader, writer))
            try:
                await asyncio.wait({one, other}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in (one, other):
                    pump.cancel()
                await asyncio.gather(one, other, return_exceptions=True)
        finally:
            for end in (writer, upstream):
                if end is not None:
                    end.close()
                    with contextlib.suppress(OSError, asyncio.CancelledError):
                        await end.wait_closed()
            self.pipes.discard(task)


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()


# --- a worker's subscription, seen from Redis ------------------------------------------------


def _local_ports(pid: int) -> set[int]:
    """The local TCP ports of the sockets process ``pid`` holds (Linux /proc)."""
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
            for line in lines:
                fields = line.split()
                if fields[9] in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def pubsub_clients(redis_client: redis.Redis, worker: ServerProcess) -> list[dict[str, Any]]:
    """Redis's records of the subscriber connections that ``worker``'s process holds."""
    assert worker.process is not None
    ports = _local_ports(worker.process.pid)
    return [
        entry
        for entry in redis_client.client_list(_type="pubsub")
        if int(str(entry["addr"]).rsplit(":", 1)[1]) in ports
    ]


# --- the group's socket ----------------------------------------------------------------------


class GroupSocket:
    """A group's socket (``/g/GROUP/ws``): the seqs it announces, read as they come."""

    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws
        self.seq = 0  # the last seq announced

    @classmethod
    async def open(cls, worker: ServerProcess, group: str, secret: str) -> GroupSocket:
        ws = await websockets.connect(
            f"{worker.ws_url}/g/{group}/ws",
            additional_headers={"Authorization": f"Bearer {secret}"},
            proxy=None,
        )
        socket = cls(ws)
        await socket.wait_seq(1)
        return socket

    async def wait_seq(self, seq: int, timeout: float = 15.0) -> int:  # noqa: ASYNC109
        """Read frames until the group is announced at ``seq`` or later."""
        async with asyncio.timeout(timeout):
            while self.seq < seq:
                frame = msgpack.unpackb(await self.ws.recv(), raw=False)
                assert frame["t"] == "group", frame
                self.seq = frame["seq"]
        return self.seq

    async def close(self) -> None:
        await self.ws.close()


@contextlib.contextmanager
def redis_client(url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(url, socket_timeout=5)
    try:
        yield client
    finally:
        client.close()
