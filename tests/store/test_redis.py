"""What the Redis backend promises beyond the contract: its append-only file keeps what
was acknowledged through a crash of redis-server, and erasure and rewriting leave the old
bytes in none of Redis's files. Also the crash-ordering of what spans slots, and its key
layout."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import room.store
from room.store import Acceptance, CommandKey, Link, PrivateText, StoredEvent, StoreError
from room.store.redis import RedisStore
from tests.conftest import require
from tests.redisserver import REDIS_SERVER, RedisServer
from tests.store.test_erasure import (
    ERASED,
    KEPT,
    REWRITTEN,
    assert_kept_intact,
    assert_rewritten,
    blank,
    files_holding,
    fill,
    fill_rewritten,
    kept_event,
    rewrite_marked,
)

OpenRedis = Callable[..., Awaitable[RedisStore]]


@pytest.fixture
def private_redis(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    """A redis-server of this test's own, which it may kill, restart or reconfigure.
    ``@pytest.mark.parametrize("private_redis", [{"save": "3600 1"}], indirect=True)``
    passes options to RedisServer."""
    require(REDIS_SERVER is not None, "redis-server (apt-get install redis-server)")
    options: dict[str, Any] = getattr(request, "param", {})
    server = RedisServer(tmp_path / "redis", **options)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
async def open_redis() -> AsyncIterator[OpenRedis]:
    """Opens Redis stores (``open_(server, **options)``); closes them all at teardown."""
    stores: list[RedisStore] = []

    async def open_(server: RedisServer, **options: Any) -> RedisStore:
        store = RedisStore(server.url, **options)
        stores.append(store)
        await store.open()
        return store

    yield open_
    for store in stores:
        await store.close()


@pytest.fixture
def marker() -> bytes:
    """Bytes that occur only in what is erased, and nowhere by chance."""
    return b"MARKER-" + uuid.uuid4().hex.encode()


def redis_files(server: RedisServer) -> list[str]:
    return sorted(str(p.relative_to(server.data_dir)) for p in server.data_dir.rglob("*"))


# --- durability -----------------------------------------------------------------------------


async def test_acknowledged_appends_survive_a_sigkill(
    private_redis: RedisServer, open_redis: OpenRedis
) -> None:
    """Everything acknowledged before redis-server is killed (SIGKILL, no shutdown) is
    there once it restarts on the same files: to a new store and to the one left open."""
    store = await open_redis(private_redis)
    for seq in range(200):
        key = CommandKey("alice", f"k{seq}")
        assert await store.append("s1", seq, [f"event {seq}".encode()], command=key) == seq + 1
    await store.add_link(Link("h1", "s1", "alice", created_at=1.0))
    await store.revoke_link("h1", at=2.0)
    await store.accept_charter(Acceptance("s1", "alice", 2, at=3.0))

    private_redis.kill()
    private_redis.start()

    for reader in (await open_redis(private_redis), store):
        events = await reader.read("s1")
        assert events == [StoredEvent(n + 1, f"event {n}".encode()) for n in range(200)]
        assert await reader.command_seq("s1", CommandKey("alice", "k199")) == 200
        assert await reader.session_ids() == ["s1"]
        assert await reader.link("h1") == Link("h1", "s1", "alice", 1.0, revoked_at=2.0)
        assert await reader.acceptance("s1", "alice") == Acceptance("s1", "alice", 2, 3.0)
    assert await store.append("s1", 200, [b"after"]) == 201


async def test_a_redis_without_append_only_file_is_refused(
    private_redis: RedisServer, open_redis: OpenRedis
) -> None:
    """open() refuses a Redis that keeps no append-only file: a restart would lose
    acknowledged events."""
    with private_redis.client() as client:
        client.config_set("appendonly", "no")
    with pytest.raises(StoreError, match="appendonly yes"):
        await open_redis(private_redis)


# --- erasure --------------------------------------------------------------------------------


async def test_erased_bytes_are_in_no_file_of_redis(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """Once erase() returns, no file of Redis (the base and incremental append-only files,
    the manifest) holds the erased bytes, written before and after a rewrite; the kept
    logs read back intact, and their bytes are in the new base file. A restart changes
    neither."""
    store = await open_redis(private_redis)
    await fill(store, marker, events=20)
    with private_redis.client() as client:
        client.bgrewriteaof()  # the marker in a base file too, not only in an incr one
    await store.erase([])  # does nothing, rewrites nothing, but must not fail
    await store.append(ERASED[0], 21, [marker], command=CommandKey("late", "k"))
    await _wait_no_rewrite(private_redis)
    holding = files_holding(private_redis.data_dir, marker)
    assert any(name.endswith(".base.rdb") for name in holding), holding
    assert any(name.endswith(".incr.aof") for name in holding), holding

    await store.erase(ERASED)

    assert files_holding(private_redis.data_dir, marker) == [], redis_files(private_redis)
    await assert_kept_intact(store, marker, events=20)
    kept = files_holding(private_redis.data_dir, kept_event(KEPT[0], 19))
    assert len(kept) == 1 and kept[0].endswith(".base.rdb"), kept

    private_redis.kill()
    private_redis.start()
    assert files_holding(private_redis.data_dir, marker) == []
    await assert_kept_intact(await open_redis(private_redis), marker, events=20)


async def _wait_no_rewrite(server: RedisServer) -> None:
    """Wait until the rewrite a test started by hand is done (through the store's own
    wait, which polls Redis with a deadline)."""
    store = RedisStore(server.url)
    await store.open()
    try:
        await store._wait_child(store._client, "aof", deadline=float("inf"))
    finally:
        await store.close()


@pytest.mark.parametrize("private_redis", [{"save": "3600 1"}], indirect=True)
async def test_erasure_rewrites_the_rdb_snapshot_too(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """On a Redis that also takes RDB snapshots, erase() writes a new one: the old
    snapshot, which held the erased bytes, is gone."""
    store = await open_redis(private_redis)
    await fill(store, marker, events=20)
    with private_redis.client() as client:
        client.save()
    assert "dump.rdb" in files_holding(private_redis.data_dir, marker)

    await store.erase(ERASED)

    assert files_holding(private_redis.data_dir, marker) == []
    assert "dump.rdb" in files_holding(private_redis.data_dir, kept_event(KEPT[0], 19))


async def test_a_rewrite_running_before_erasure_does_not_count(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """A rewrite already running when erase() deletes the keys copied them: erase() waits
    for it, then rewrites again, and only then returns."""
    store = await open_redis(private_redis)
    await fill(store, marker, events=20)
    with private_redis.client() as client:
        rewrites = client.info("persistence")["aof_rewrites"]
        client.config_set("rdb-key-save-delay", 10_000)  # µs per key: a slow rewrite
        client.bgrewriteaof()  # forks now, with the marker in memory
        client.config_set("rdb-key-save-delay", 0)  # the next rewrite is fast again

        await store.erase(ERASED)

        assert client.info("persistence")["aof_rewrites"] == rewrites + 2
    assert files_holding(private_redis.data_dir, marker) == []


async def test_a_rewrite_too_slow_fails_erasure_until_it_succeeds(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """If the rewrite does not finish within erase_timeout, erase() raises StoreError
    rather than return with the bytes on disk; retried, it completes."""
    store = await open_redis(private_redis, erase_timeout=0.05)
    await store.append("s-erased", 0, [marker])
    await store.append("s-kept", 0, [b"kept"])  # two keys remain: events and room:logs
    with private_redis.client() as client:
        client.config_set("rdb-key-save-delay", 200_000)  # µs per key: 0.4 s to rewrite
        with pytest.raises(StoreError, match="still running.*erase them again"):
            await store.erase(["s-erased"])
        client.config_set("rdb-key-save-delay", 0)
    assert await store.session_ids() == ["s-kept"]  # erased, but not yet scrubbed
    assert files_holding(private_redis.data_dir, marker) != []

    patient = await open_redis(private_redis)
    await patient.erase(["s-erased"])
    assert files_holding(private_redis.data_dir, marker) == []


async def test_a_redis_keeping_replaced_files_fails_erasure(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """With aof-disable-auto-gc, Redis keeps the files a rewrite replaces: erase() raises
    StoreError rather than claim the bytes gone; once it is off, erasing again completes."""
    store = await open_redis(private_redis)
    await store.append("s-erased", 0, [marker])
    with private_redis.client() as client:
        client.config_set("aof-disable-auto-gc", "yes")
        with pytest.raises(StoreError, match="aof-disable-auto-gc.*erase them again"):
            await store.erase(["s-erased"])
        client.config_set("aof-disable-auto-gc", "no")
    await store.erase(["s-erased"])
    assert files_holding(private_redis.data_dir, marker) == []


def keys_holding(server: RedisServer, needle: bytes) -> list[str]:
    """Every key whose name or value (each field and member) holds ``needle``, read
    through a client: what the files hold compressed, or in any encoding, is seen here
    as Redis serves it."""
    found = []
    with server.client() as client:
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            if kind == b"string":
                parts = [client.get(key)]
            elif kind == b"list":
                parts = client.lrange(key, 0, -1)
            elif kind == b"hash":
                parts = [x for pair in client.hgetall(key).items() for x in pair]
            elif kind == b"zset":
                parts = client.zrange(key, 0, -1)
            elif kind == b"set":
                parts = list(client.smembers(key))
            else:
                raise AssertionError(f"expected only the store's kinds of key, got {kind!r}")
            if any(needle in part for part in [key, *parts]):
                found.append(key.decode())
    return sorted(found)


def aof_files(server: RedisServer) -> list[Path]:
    """The append-only files (base, incremental, manifest), which Redis 7 keeps in the
    appenddirname directory."""
    return [p for p in server.data_dir.rglob("*") if p.is_file() and "appendonly" in p.name]


async def test_rewritten_bytes_are_in_no_key_and_no_file_of_redis(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """Once rewrite() returns, no key holds the replaced bytes (every value read through a
    client) and no file of Redis holds them (the append-only files read as raw bytes,
    after the rewrite of the append-only file that rewrite() waits for); the log reads
    back rewritten, the kept logs as written. A restart changes neither."""
    store = await open_redis(private_redis)
    await fill_rewritten(store, marker, events=30)
    with private_redis.client() as client:
        client.bgrewriteaof()  # the marker in a base file too, not only in an incr one
    await _wait_no_rewrite(private_redis)
    assert keys_holding(private_redis, marker) == [f"room:{{{REWRITTEN}}}:events"]
    holding = files_holding(private_redis.data_dir, marker)
    assert any(name.endswith(".base.rdb") for name in holding), holding
    assert aof_files(private_redis), redis_files(private_redis)

    await rewrite_marked(store, events=30)

    assert keys_holding(private_redis, marker) == []
    assert [p for p in aof_files(private_redis) if marker in p.read_bytes()] == []
    assert files_holding(private_redis.data_dir, marker) == [], redis_files(private_redis)
    await assert_rewritten(store, marker, events=30)
    assert keys_holding(private_redis, blank(3)) == [f"room:{{{REWRITTEN}}}:events"]

    private_redis.kill()
    private_redis.start()
    assert keys_holding(private_redis, marker) == []
    assert files_holding(private_redis.data_dir, marker) == []
    await assert_rewritten(await open_redis(private_redis), marker, events=30)


async def test_a_rewrite_too_slow_fails_until_it_succeeds(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """If the rewrite of Redis's files does not finish within erase_timeout, rewrite()
    raises StoreError rather than return with the old bytes on disk; retried, it
    completes."""
    store = await open_redis(private_redis, erase_timeout=0.05)
    await store.append(REWRITTEN, 0, [b"kept", marker])
    with private_redis.client() as client:
        client.config_set("rdb-key-save-delay", 200_000)  # µs per key: 0.4 s to rewrite
        with pytest.raises(StoreError, match="still running.*rewrite them again"):
            await store.rewrite(REWRITTEN, {2: b"blank"})
        client.config_set("rdb-key-save-delay", 0)
    assert await store.read(REWRITTEN) == [StoredEvent(1, b"kept"), StoredEvent(2, b"blank")]
    assert keys_holding(private_redis, marker) == []  # rewritten, but not yet scrubbed
    assert files_holding(private_redis.data_dir, marker) != []

    patient = await open_redis(private_redis)
    await patient.rewrite(REWRITTEN, {2: b"blank"})
    assert files_holding(private_redis.data_dir, marker) == []


# --- what spans slots, and the keys -------------------------------------------------------


async def test_a_creation_that_never_completed_is_not_listed(
    redis_server: RedisServer, open_redis: OpenRedis
) -> None:
    """A log registered for session_ids() by an append that then failed (a crash between
    the two steps) is not listed, and keeps its place once created."""
    redis_server.flush()
    store = await open_redis(redis_server)
    await store._scripts.register(keys=[store._logs_key], args=["s-first"])  # and then a crash
    await store.append("s-second", 0, [b"1"])
    assert await store.session_ids() == ["s-second"]
    await store.append("s-first", 0, [b"1"])
    assert await store.session_ids() == ["s-first", "s-second"]


async def test_a_link_listed_but_never_recorded_is_skipped(
    redis_server: RedisServer, open_redis: OpenRedis
) -> None:
    """A hash on a scope's list with no record (a crash in add_link), or whose record is
    of another scope, is not one of the scope's links, and erasing the scope leaves the
    other scope's link alone."""
    redis_server.flush()
    store = await open_redis(redis_server)
    await store.add_link(Link("other", "s-2", "p", created_at=1.0))
    with redis_server.client() as client:
        client.rpush("room:{s-1}:links", "lost", "other")
    await store.add_link(Link("mine", "s-1", "p", created_at=1.0))
    assert await store.links("s-1") == [Link("mine", "s-1", "p", 1.0)]
    await store.erase(["s-1"])
    assert await store.link("other") == Link("other", "s-2", "p", 1.0)


async def test_keys_are_as_documented(redis_server: RedisServer, open_redis: OpenRedis) -> None:
    """Every key is under the prefix; a log's keys carry its id as their hash tag."""
    redis_server.flush()
    store = await open_redis(redis_server, prefix="app1")
    await store.append("s-1", 0, [b"1"], command=CommandKey("p", "k"))
    await store.add_link(Link("h", "s-1", "p", created_at=1.0))
    await store.accept_charter(Acceptance("s-1", "p", 1, at=2.0))
    with redis_server.client() as client:
        assert sorted(client.keys("*")) == [
            b"app1:link:{h}",
            b"app1:logs",
            b"app1:{s-1}:charter",
            b"app1:{s-1}:commands",
            b"app1:{s-1}:events",
            b"app1:{s-1}:links",
        ]


async def test_prefixes_separate_stores_on_one_redis(
    redis_server: RedisServer, open_redis: OpenRedis
) -> None:
    """Two stores with different prefixes on one Redis share nothing, erasure included."""
    redis_server.flush()
    first = await open_redis(redis_server, prefix="one")
    second = await open_redis(redis_server, prefix="two")
    await first.append("s", 0, [b"first"])
    await second.append("s", 0, [b"second"])
    await second.erase(["s"])
    assert await first.read("s") == [StoredEvent(1, b"first")]
    assert await first.session_ids() == ["s"]
    assert await second.session_ids() == []


def test_a_prefix_with_a_brace_is_refused() -> None:
    """A brace in the prefix would move every key's hash tag: refused at construction."""
    with pytest.raises(ValueError, match="prefix"):
        RedisStore("redis://127.0.0.1:1/0", prefix="room{x}")


def test_a_redis_url_opens_a_redis_store() -> None:
    """open_store() picks this backend for redis:// (and rediss://, unix://) URLs."""
    store = room.store.open_store("redis://127.0.0.1:6390/2")
    assert isinstance(store, RedisStore) and store.url == "redis://127.0.0.1:6390/2"


async def test_forgotten_private_texts_are_in_no_file_of_redis(
    private_redis: RedisServer, open_redis: OpenRedis, marker: bytes
) -> None:
    """A silent round's drafts, once forgotten with a scrub, are in no file of Redis,
    though the append-only file held them (rewritten into its base file, too)."""
    store = await open_redis(private_redis)
    await store.keep_private(PrivateText("s-kept", "p1", "round/1/d1", marker, 1.0))
    with private_redis.client() as client:
        client.bgrewriteaof()
    await store.keep_private(PrivateText("s-kept", "p1", "round/1/d1", marker + b"v2", 2.0))
    await store.keep_private(PrivateText("s-kept", "p1", "round/2/d1", b"stays", 3.0))
    await _wait_no_rewrite(private_redis)
    assert files_holding(private_redis.data_dir, marker)

    assert await store.forget_private("s-kept", path="round/1") == 1

    assert files_holding(private_redis.data_dir, marker) == []
    assert [t.data for t in await store.private("s-kept")] == [b"stays"]


# --- links made before their first opening was recorded ---------------------------------------


async def test_a_link_recorded_before_its_opening_was_counts_as_opened_when_made(
    redis_server: RedisServer, open_redis: OpenRedis
) -> None:
    """A link's record without ``used_at`` (written by an older version) reads as opened
    when it was made, so that no one is locked out by the upgrade; marking its use keeps
    that date. A new link's record says it was never opened."""
    redis_server.flush()
    store = await open_redis(redis_server)
    client = store._client
    await client.hset(
        "room:link:{legacy}", mapping={"scope": "g1", "participant": "p1", "created_at": "5.0"}
    )
    legacy = await store.link("legacy")
    assert legacy is not None and legacy.used_at == 5.0
    assert await store.use_link("legacy", at=9.0) == legacy
    await store.add_link(Link("fresh", "g1", "p1", 6.0))
    assert await client.hget("room:link:{fresh}", "used_at") == b""
    assert (await store.link("fresh")).used_at is None  # type: ignore[union-attr]
