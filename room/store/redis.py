"""The scale-out store: every worker shares one Redis, through redis-py's asyncio client.

Key layout (``room`` is the prefix; ``{…}`` is a Redis Cluster hash tag):

- ``room:{LOG}:events`` — LIST of the log's events, as written: the event at seq n is at
  index n - 1, since seqs are gapless from 1. ``LLEN`` is the last seq; ``read`` after
  seq k is ``LRANGE k -1``, which walks from the nearer end (a reconnecting client asks
  for the tail) over nodes of packed entries.
- ``room:{LOG}:commands`` — HASH ``len(participant):participant:key`` → the seq the
  command was acknowledged at (the length makes the field unambiguous whatever the key).
- ``room:{LOG}:links`` — LIST of the secret hashes of the links whose scope is LOG, in
  the order they were added.
- ``room:{LOG}:charter`` — HASH participant → ``"version at"`` (the charter acceptances).
- ``room:{LOG}:private`` — HASH ``len(owner):owner:key`` → msgpack ``[at, data]``: the
  texts kept for one participant alone (a silent round's drafts), erased with the log.
- ``room:link:{HASH}`` — HASH of one link: scope, participant, created_at, revoked_at.
- ``room:logs`` — ZSET of the logs, scored 1, 2, 3… in the order they were created.
- ``room:{outbox}:mail:ID`` — HASH of one message of the outbox (``Mail``'s fields, and
  ``leased_by``/``lease_until`` while a worker holds it).
- ``room:{outbox}:due`` — ZSET of the pending messages, scored by when each may next be
  leased (the latest of its not-before time, its next try and its lease's end).
- ``room:{outbox}:of:SCOPE`` — LIST of the ids of the messages about SCOPE, in the order
  they were enqueued.

The outbox is one hash tag, so each of its moves (enqueue, lease, settle, retry, drop)
is one Lua script over one slot, all or nothing: two workers leasing at once never take
the same message.

Cluster: a command or script touches one slot only. Everything about one log shares its
hash tag, so ``append`` is one Lua script over the log's events and commands: it refuses
a known command key, checks the expected seq, pushes the events and records the key,
all or nothing. Each link record has its own slot (it is found by its hash alone), and
so has ``room:logs``. What spans slots is ordered so that a crash between two steps
leaves nothing lost and nothing unsafe:

- A log is registered in ``room:logs`` *before* the append that creates it (a script
  that gives it the next score unless it has one). A crash in between leaves an id with
  no events, which ``session_ids()`` skips; the reverse order could lose a log from the
  listing for good.
- A link's hash is pushed on its scope's list *before* its record is created (refusing
  a known hash atomically): ``links(scope)``, which revocation relies on, never misses a
  link. ``links()`` skips listed hashes with no record, or a record of another scope.
- ``erase`` deletes link records first (each refused at once: fail closed), then the
  log's own keys in one transaction per log (watching its list of links, so a link
  added meanwhile is not orphaned), then the logs' entries in ``room:logs``. Each step is
  atomic and idempotent, but the whole is not: if erase() raises, a log may be half
  erased (its links refused, its events still readable) until it is called again. A
  single Redis would allow one transaction over all of it; a cluster does not, and the
  store keeps one behaviour for both. (With a cluster, ``erase`` would also have to
  rewrite every primary's append-only file; this client talks to one node.)
- ``rewrite`` is one Lua script over the log's events: it checks every seq, then sets
  each entry (``LSET``), all or nothing.

Durability: ``append`` returns once Redis has answered, and Redis answers a write after
handing it to its append-only file. ``open()`` refuses a Redis with no append-only file
(``appendonly no``): a restart would lose everything since the last snapshot. With
``appendfsync always`` (what the deployment must set) each write is fsynced before the
reply, and an acknowledged append survives a crash of Redis or of the machine. With
``everysec`` (Redis's default) it survives a crash of redis-server, but a power cut or a
kernel crash loses up to about a second of acknowledged appends (two, when the disk is
slow: Redis then delays its writes and may answer before writing). With ``no`` the
kernel decides when to write (about 30 s on Linux). A replica receives writes
asynchronously: after a fail-over, what it had not received is lost; Redis 7.0 has no
WAITAOF to wait for a replica's fsync.

Retries: a command whose connection drops is sent again on a new connection, three
times within about 0.4 s, so the connections a restart of Redis left stale cost no
error. If every attempt fails, or Redis answers with an error of its own (loading,
out of memory, read-only), the caller gets ``Unavailable``: every public method turns
any ``redis.exceptions.RedisError`` into it, so no Redis failure reaches a caller as
anything else. A
command that was applied but whose reply was lost may so run twice, which is harmless:
an append run again finds its command key (DuplicateCommand, at the seq it was applied
at) or a last seq that moved (SeqConflict), as a resend or another writer would; an
``add_link`` run again finds its own hash (StoreError; the link is recorded, but its
random secret, never shown, opens nothing); the rest are idempotent.

Erasure: Redis writes every command to its append-only file, so the erased bytes stay in
it after the keys are deleted. ``erase()`` then rewrites the file (``BGREWRITEAOF``:
Redis 7 writes a new base file from memory, starts a new incremental file, and deletes
the old ones), and, when the server also takes RDB snapshots, writes a new snapshot
(``BGSAVE``) over the old. It waits for a rewrite started after its deletions (one
already running when they were made may have copied them), up to ``erase_timeout``,
and raises StoreError if it fails or takes longer. Redis 7.0 unlinks the replaced files
when it ends the rewrite, before ``INFO`` reports it done; with ``aof-disable-auto-gc
yes`` it keeps them, so erase() raises then. A replica deletes the keys too, but its
own files are not rewritten; backups are not erased. ``rewrite()`` leaves the replaced
bytes in the same files (the ``RPUSH`` that wrote them), and rewrites them the same way.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, Concatenate, NamedTuple, ParamSpec, TypeVar

import msgpack
import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError, WatchError

from room.store.base import (
    Acceptance,
    CommandKey,
    DuplicateCommand,
    Link,
    Mail,
    MailStatus,
    NoSuchEvent,
    PrivateText,
    SeqConflict,
    Store,
    StoredEvent,
    StoreError,
    Unavailable,
    check_append,
    check_rewrite,
    under,
)

# ARGV: expected seq, command field ("" for none), the events. Returns {0, new last seq},
# {1, seq the key was acknowledged at} or {2, actual last seq}. The shebang makes Redis
# refuse the whole script up front when out of memory, rather than fail midway. Events
# are pushed 1,000 at a time: Lua's unpack() takes at most about 8,000 values.
_APPEND = """#!lua
local field = ARGV[2]
if field ~= "" then
  local seq = redis.call("HGET", KEYS[2], field)
  if seq then return {1, tonumber(seq)} end
end
local last = redis.call("LLEN", KEYS[1])
if last ~= tonumber(ARGV[1]) then return {2, last} end
for i = 3, #ARGV, 1000 do
  redis.call("RPUSH", KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
last = last + #ARGV - 2
if field ~= "" then redis.call("HSET", KEYS[2], field, last) end
return {0, last}
"""

# KEYS[1] the logs' ZSET, ARGV[1] a log id: give it the next score, unless it has one.
_REGISTER = """#!lua
if redis.call("ZSCORE", KEYS[1], ARGV[1]) then return 0 end
local top = redis.call("ZRANGE", KEYS[1], -1, -1, "WITHSCORES")
redis.call("ZADD", KEYS[1], (tonumber(top[2]) or 0) + 1, ARGV[1])
return 1
"""

# KEYS[1] a link's record; ARGV scope, participant, created_at, revoked_at ("" for none).
# Returns 0, writing nothing, if the record exists.
_ADD_LINK = """#!lua
if redis.call("EXISTS", KEYS[1]) == 1 then return 0 end
redis.call("HSET", KEYS[1], "scope", ARGV[1], "participant", ARGV[2], "created_at", ARGV[3])
if ARGV[4] ~= "" then redis.call("HSET", KEYS[1], "revoked_at", ARGV[4]) end
redis.call("HSET", KEYS[1], "used_at", ARGV[5])
return 1
"""

# KEYS[1] a link's record, ARGV[1] a date: the record, revoked at its first date; nil.
_REVOKE_LINK = """#!lua
if redis.call("EXISTS", KEYS[1]) == 0 then return false end
redis.call("HSETNX", KEYS[1], "revoked_at", ARGV[1])
return redis.call("HGETALL", KEYS[1])
"""

# KEYS[1] a link's record, ARGV[1] a date: the record, opened at its first date; nil. A
# new link's used_at is "" (never opened); a record without the field was made before
# links recorded it, and counts as opened when made (see _link).
_USE_LINK = """#!lua
if redis.call("EXISTS", KEYS[1]) == 0 then return false end
if redis.call("HGET", KEYS[1], "used_at") == "" then
  redis.call("HSET", KEYS[1], "used_at", ARGV[1])
end
return redis.call("HGETALL", KEYS[1])
"""

# KEYS[1] a link's record, ARGV[1] a scope: delete the record if it is of that scope.
_DROP_LINK = """#!lua
if redis.call("HGET", KEYS[1], "scope") == ARGV[1] then return redis.call("DEL", KEYS[1]) end
return 0
"""

# KEYS[1] a log's events; ARGV seq, data, seq, data…: every seq is checked before any
# entry is set. Returns {0, last seq} once done, or {1, last seq}, setting nothing, if a
# seq is not in the log.
_REWRITE = """#!lua
local last = redis.call("LLEN", KEYS[1])
for i = 1, #ARGV, 2 do
  local seq = tonumber(ARGV[i])
  if seq < 1 or seq > last then return {1, last} end
end
for i = 1, #ARGV, 2 do
  redis.call("LSET", KEYS[1], tonumber(ARGV[i]) - 1, ARGV[i + 1])
end
return {0, last}
"""

# The outbox's scripts. KEYS[1] is always the ZSET of what is due; ARGV[1] the prefix
# of the messages' keys ("room:{outbox}:mail:"), to which a message's id is appended.

# KEYS[2] the scope's list; ARGV id, due, then the record's fields and values. 0, writing
# nothing, if the id is known.
_ENQUEUE = """#!lua
local key = ARGV[1] .. ARGV[2]
if redis.call("EXISTS", key) == 1 then return 0 end
redis.call("HSET", key, unpack(ARGV, 4))
redis.call("ZADD", KEYS[1], ARGV[3], ARGV[2])
redis.call("RPUSH", KEYS[2], ARGV[2])
return 1
"""

# ARGV prefix, now, until, limit, worker: the records leased, as flat field lists. A
# lease is taken only when next_try has passed (it is due), so its end is the next due.
_LEASE = """#!lua
local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[2], "LIMIT", 0, tonumber(ARGV[4]))
local leased = {}
for _, id in ipairs(ids) do
  local key = ARGV[1] .. id
  redis.call("HSET", key, "leased_by", ARGV[5], "lease_until", ARGV[3])
  redis.call("ZADD", KEYS[1], ARGV[3], id)
  leased[#leased + 1] = redis.call("HGETALL", key)
end
return leased
"""

# ARGV prefix, id, status, at, error: 1 if it was pending.
_SETTLE = """#!lua
local key = ARGV[1] .. ARGV[2]
if redis.call("HGET", key, "status") ~= "pending" then return 0 end
redis.call("HSET", key, "status", ARGV[3], "settled_at", ARGV[4], "error", ARGV[5], "message", "")
redis.call("HDEL", key, "leased_by", "lease_until")
redis.call("ZREM", KEYS[1], ARGV[2])
return 1
"""

# ARGV prefix, id, worker, at, error: 1 if it was pending and leased by that worker.
_RETRY = """#!lua
local key = ARGV[1] .. ARGV[2]
if redis.call("HGET", key, "status") ~= "pending" then return 0 end
if redis.call("HGET", key, "leased_by") ~= ARGV[3] then return 0 end
redis.call("HINCRBY", key, "attempts", 1)
redis.call("HSET", key, "next_try", ARGV[4], "error", ARGV[5])
redis.call("HDEL", key, "leased_by", "lease_until")
local not_before = redis.call("HGET", key, "not_before")
if tonumber(not_before) > tonumber(ARGV[4]) then
  redis.call("ZADD", KEYS[1], not_before, ARGV[2])
else
  redis.call("ZADD", KEYS[1], ARGV[4], ARGV[2])
end
return 1
"""

# ARGV prefix, id, the prefix of the scopes' lists: 1 if it was pending, then forgotten.
_DROP = """#!lua
local key = ARGV[1] .. ARGV[2]
if redis.call("HGET", key, "status") ~= "pending" then return 0 end
local scope = redis.call("HGET", key, "scope")
redis.call("DEL", key)
redis.call("ZREM", KEYS[1], ARGV[2])
redis.call("LREM", ARGV[3] .. scope, 0, ARGV[2])
return 1
"""

# KEYS[2] a scope's list; ARGV prefix: every message of the scope forgotten.
_DROP_SCOPE = """#!lua
local ids = redis.call("LRANGE", KEYS[2], 0, -1)
for _, id in ipairs(ids) do
  redis.call("DEL", ARGV[1] .. id)
  redis.call("ZREM", KEYS[1], id)
end
redis.call("DEL", KEYS[2])
return #ids
"""

# KEYS[1] the claim; ARGV holder, now, until, milliseconds to keep the key: 1 if the
# holder holds it now. The value says who holds it until when; the key's own expiry
# only clears claims long run out.
_CLAIM = """#!lua
local held = redis.call("GET", KEYS[1])
if held then
  local holder, term = string.match(held, "^(.*)\\n([^\\n]*)$")
  if holder ~= ARGV[1] and tonumber(term) > tonumber(ARGV[2]) then return 0 end
end
redis.call("SET", KEYS[1], ARGV[1] .. "\\n" .. ARGV[3], "PX", ARGV[4])
return 1
"""

_SCRIPTS = (
    _APPEND,
    _REGISTER,
    _ADD_LINK,
    _REVOKE_LINK,
    _DROP_LINK,
    _REWRITE,
    _ENQUEUE,
    _LEASE,
    _SETTLE,
    _RETRY,
    _DROP,
    _DROP_SCOPE,
    _CLAIM,
    _USE_LINK,
)


class _Scripts(NamedTuple):
    """The scripts, registered with a client (in the order of ``_SCRIPTS``)."""

    append: Any
    register: Any
    add_link: Any
    revoke_link: Any
    drop_link: Any
    rewrite: Any
    enqueue: Any
    lease: Any
    settle: Any
    retry: Any
    drop: Any
    drop_scope: Any
    claim: Any
    use_link: Any


# What a failed rewrite of Redis's files leaves, and what to do: the end of its message.
_ERASED_BUT = "the logs read as erased, but their bytes may remain: erase them again"
_FORGOTTEN_BUT = "the texts read as forgotten, but their bytes may remain: forget them again"
_REWRITTEN_BUT = "the events read as rewritten, but their old bytes may remain: rewrite them again"

# How many times erase() retries a log whose list of links changed while it erased it.
_WATCH_RETRIES = 10

_P = ParamSpec("_P")
_T = TypeVar("_T")


def _answered(
    method: Callable[Concatenate[RedisStore, _P], Coroutine[Any, Any, _T]],
) -> Callable[Concatenate[RedisStore, _P], Coroutine[Any, Any, _T]]:
    """Redis failing, however it fails, is ``Unavailable`` to the caller."""

    @functools.wraps(method)
    async def answered(store: RedisStore, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return await method(store, *args, **kwargs)
        except RedisError as error:
            raise Unavailable(f"Redis {store._where}: {type(error).__name__}: {error}") from error

    return answered


class RedisStore(Store):
    """The ``Store`` over a Redis server; ``prefix`` starts every key it writes."""

    def __init__(self, url: str, *, prefix: str = "room", erase_timeout: float = 60.0) -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ValueError(f"expected a non-empty key prefix without braces, got {prefix!r}")
        self.url = url  # redis://[[user]:password@]host[:port][/db], or rediss://…
        self.prefix = prefix  # every key is prefix:…, so stores can share a database
        self.erase_timeout = erase_timeout  # seconds erase() waits for Redis's rewrites
        # The client and its pool; None until open(), again after close().
        self._redis: redis.asyncio.Redis | None = None
        # The Lua scripts, run by their SHA1 (and loaded again if Redis lost them).
        self._lua: _Scripts | None = None

    # --- lifecycle ------------------------------------------------------------------------

    async def open(self) -> None:
        if self._redis is not None:
            raise RuntimeError(f"Redis store {self._where} is already open")
        client = redis.asyncio.Redis.from_url(
            self.url,
            decode_responses=False,  # events are bytes, and come back as written
            # A dropped connection (Redis restarted, a stale pooled socket) is retried on
            # a new one; a timeout is not: the caller learns at once that Redis is slow.
            retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), 3, (RedisConnectionError,)),
        )
        try:
            await client.ping()
            persistence = await client.info("persistence")
            if persistence.get("aof_enabled") != 1:
                raise StoreError(
                    f"Redis {self._where}: expected the append-only file on (appendonly yes),"
                    " but it is off: a restart would lose acknowledged events"
                )
            for script in _SCRIPTS:
                await client.script_load(script)
            self._lua = _Scripts(*(client.register_script(script) for script in _SCRIPTS))
        except BaseException:
            await client.aclose()
            raise
        self._redis = client

    async def close(self) -> None:
        """Close the connections. Closing a closed store does nothing."""
        client, self._redis, self._lua = self._redis, None, None
        if client is not None:
            await client.aclose()

    @property
    def _client(self) -> redis.asyncio.Redis:
        if self._redis is None:
            raise RuntimeError(f"Redis store {self._where} is not open")
        return self._redis

    @property
    def _scripts(self) -> _Scripts:
        if self._lua is None:
            raise RuntimeError(f"Redis store {self._where} is not open")
        return self._lua

    @property
    def _where(self) -> str:
        """The server and prefix, for messages: the URL without its password."""
        return f"{self.url.rpartition('@')[2]} ({self.prefix}:*)"

    def _key(self, log_id: str, what: str) -> str:
        """A key of one log: all of them hash to the log's slot."""
        return f"{self.prefix}:{{{log_id}}}:{what}"

    def _link_key(self, secret_hash: str) -> str:
        return f"{self.prefix}:link:{{{secret_hash}}}"

    @property
    def _logs_key(self) -> str:
        return f"{self.prefix}:logs"

    def _outbox_key(self, what: str) -> str:
        """A key of the outbox: all of them hash to one slot."""
        return f"{self.prefix}:{{outbox}}:{what}"

    # --- session logs ---------------------------------------------------------------------

    @_answered
    async def append(
        self,
        session_id: str,
        expected_seq: int,
        events: Sequence[bytes],
        command: CommandKey | None = None,
    ) -> int:
        check_append(session_id, expected_seq, events)
        client = self._client
        if expected_seq == 0:
            await self._scripts.register(keys=[self._logs_key], args=[session_id], client=client)
        field = _command_field(command) if command is not None else ""
        status, seq = await self._scripts.append(
            keys=[self._key(session_id, "events"), self._key(session_id, "commands")],
            args=[expected_seq, field, *events],
            client=client,
        )
        if status == 1:
            raise DuplicateCommand(int(seq))
        if status == 2:
            raise SeqConflict(session_id, expected_seq, int(seq))
        return int(seq)

    @_answered
    async def read(self, session_id: str, after_seq: int = 0) -> list[StoredEvent]:
        start = max(after_seq, 0)
        datas = await self._client.lrange(self._key(session_id, "events"), start, -1)
        return [StoredEvent(seq, _bytes(data)) for seq, data in enumerate(datas, start + 1)]

    @_answered
    async def last_seq(self, session_id: str) -> int:
        return int(await self._client.llen(self._key(session_id, "events")))

    @_answered
    async def command_seq(self, session_id: str, command: CommandKey) -> int | None:
        seq = await self._client.hget(self._key(session_id, "commands"), _command_field(command))
        return int(seq) if seq is not None else None

    @_answered
    async def session_ids(self) -> list[str]:
        client = self._client
        ids = [_text(x) for x in await client.zrange(self._logs_key, 0, -1)]
        # Skip ids registered by an append that never completed.
        async with client.pipeline(transaction=False) as pipe:
            for log_id in ids:
                pipe.exists(self._key(log_id, "events"))
            exists = await pipe.execute()
        return [log_id for log_id, found in zip(ids, exists, strict=True) if found]

    @_answered
    async def erase(self, log_ids: Sequence[str]) -> None:
        if isinstance(log_ids, str):
            raise TypeError(f"expected a sequence of log ids, but got the string {log_ids!r}")
        ids = list(dict.fromkeys(log_ids))
        if not ids:
            return
        client = self._client
        for log_id in ids:
            await self._erase_log(client, log_id)
        await client.zrem(self._logs_key, *ids)
        for log_id in ids:
            await self._scripts.drop_scope(
                keys=[self._outbox_key("due"), self._outbox_key(f"of:{log_id}")],
                args=[self._outbox_key("mail:")],
                client=client,
            )
        # Even if nothing was found: an earlier call may have deleted, then failed here.
        await self._rewrite_files(client, _ERASED_BUT)

    @_answered
    async def rewrite(self, log_id: str, replacements: Mapping[int, bytes]) -> None:
        rows = check_rewrite(log_id, replacements)
        if not rows:
            return
        client = self._client
        args = [item for seq, data in rows for item in (seq, data)]
        status, last = await self._scripts.rewrite(
            keys=[self._key(log_id, "events")], args=args, client=client
        )
        if status == 1:
            unknown = [seq for seq, _ in rows if not 1 <= seq <= int(last)]
            raise NoSuchEvent(log_id, unknown, int(last))
        # The old bytes are in the append-only file, with the RPUSH that wrote them.
        await self._rewrite_files(client, _REWRITTEN_BUT)

    async def _erase_log(self, client: redis.asyncio.Redis, log_id: str) -> None:
        """Delete the log's link records, then its own keys in one transaction."""
        index = self._key(log_id, "links")
        kinds = ("events", "commands", "charter", "links", "private")
        own = [self._key(log_id, what) for what in kinds]
        for _ in range(_WATCH_RETRIES):
            try:
                async with client.pipeline(transaction=True) as pipe:
                    await pipe.watch(index)
                    hashes = await pipe.lrange(index, 0, -1)
                    async with client.pipeline(transaction=False) as drops:
                        for secret_hash in dict.fromkeys(hashes):
                            keys = [self._link_key(_text(secret_hash))]
                            await self._scripts.drop_link(keys=keys, args=[log_id], client=drops)
                        await drops.execute()
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.delete(*own)
                    await pipe.execute()
                return
            except WatchError:
                continue
        raise StoreError(
            f"log {log_id}: expected its links to stop changing, but they changed "
            f"{_WATCH_RETRIES} times while it was erased; erase it again"
        )

    async def _rewrite_files(self, client: redis.asyncio.Redis, unscrubbed: str) -> None:
        """Rewrite the append-only file (and the RDB snapshot, if the server takes any)
        from memory, so that no file keeps what was deleted or overwritten before this
        call. A failure is a StoreError that ends with ``unscrubbed``."""
        deadline = asyncio.get_running_loop().time() + self.erase_timeout
        try:
            config = await client.config_get("save", "aof-disable-auto-gc")
        except ResponseError as exc:  # CONFIG renamed away, as some hosted Redis do
            why = f"CONFIG GET failed: {exc}"
            raise StoreError(self._unscrubbed("aof", why, unscrubbed)) from exc
        settings = {_text_of(name): _text_of(value) for name, value in config.items()}
        if settings.get("aof-disable-auto-gc") == "yes":
            # Redis then keeps the files a rewrite replaces, erased bytes and all.
            raise StoreError(self._unscrubbed("aof", "aof-disable-auto-gc is yes", unscrubbed))
        await self._fork_and_wait(client, "aof", deadline, unscrubbed)
        if settings.get("save"):
            await self._fork_and_wait(client, "rdb", deadline, unscrubbed)

    async def _fork_and_wait(
        self,
        client: redis.asyncio.Redis,
        kind: str,
        deadline: float,
        unscrubbed: str = _ERASED_BUT,
    ) -> None:
        """Start a rewrite (``aof``) or a snapshot (``rdb``) and wait until it is done.

        One already running when this is called may have forked before the deletions, so
        it does not count: wait for it to end, then start one.
        """
        while True:
            try:
                if kind == "aof":
                    await client.bgrewriteaof()
                else:
                    await client.bgsave(schedule=True)
                break
            except ResponseError as exc:
                if "already in progress" not in str(exc):
                    raise StoreError(self._unscrubbed(kind, str(exc), unscrubbed)) from exc
            await self._wait_child(client, kind, deadline, unscrubbed)
        await self._wait_child(client, kind, deadline, unscrubbed)
        info = await client.info("persistence")
        status = info["aof_last_bgrewrite_status" if kind == "aof" else "rdb_last_bgsave_status"]
        if status != "ok":
            raise StoreError(self._unscrubbed(kind, f"its status is {status!r}", unscrubbed))

    async def _wait_child(
        self,
        client: redis.asyncio.Redis,
        kind: str,
        deadline: float,
        unscrubbed: str = _ERASED_BUT,
    ) -> None:
        """Poll until no rewrite (or snapshot) of this kind is running or scheduled."""
        fields = (
            ("aof_rewrite_in_progress", "aof_rewrite_scheduled")
            if kind == "aof"
            else ("rdb_bgsave_in_progress",)
        )
        pause = 0.001
        loop = asyncio.get_running_loop()
        while True:
            info = await client.info("persistence")
            if not any(info[field] for field in fields):
                return
            if loop.time() > deadline:
                why = f"it was still running after {self.erase_timeout} s"
                raise StoreError(self._unscrubbed(kind, why, unscrubbed))
            await asyncio.sleep(pause)  # polling a server, not waiting in a test
            pause = min(pause * 2, 0.05)

    def _unscrubbed(self, kind: str, why: str, unscrubbed: str) -> str:
        what = "rewrite of the append-only file" if kind == "aof" else "RDB snapshot"
        return f"Redis {self._where}: expected the {what} to succeed, but {why}; {unscrubbed}"

    # --- links and charter ----------------------------------------------------------------

    @_answered
    async def add_link(self, link: Link) -> None:
        client = self._client
        index = self._key(link.scope, "links")
        await client.rpush(index, link.secret_hash)  # listed before it exists
        revoked = repr(link.revoked_at) if link.revoked_at is not None else ""
        used = repr(link.used_at) if link.used_at is not None else ""
        added = await self._scripts.add_link(
            keys=[self._link_key(link.secret_hash)],
            args=[link.scope, link.participant, repr(link.created_at), revoked, used],
            client=client,
        )
        if not added:
            await client.lrem(index, -1, link.secret_hash)
            raise StoreError(
                f"link {link.secret_hash[:12]}… of {link.scope}: "
                "expected a new hash, but it is already recorded"
            )

    @_answered
    async def link(self, secret_hash: str) -> Link | None:
        fields = await self._client.hgetall(self._link_key(secret_hash))
        return _link(secret_hash, fields)

    @_answered
    async def links(self, scope: str) -> list[Link]:
        client = self._client
        hashes = list(dict.fromkeys(await client.lrange(self._key(scope, "links"), 0, -1)))
        async with client.pipeline(transaction=False) as pipe:
            for secret_hash in hashes:
                pipe.hgetall(self._link_key(_text(secret_hash)))
            records = await pipe.execute()
        found = [_link(_text(h), fields) for h, fields in zip(hashes, records, strict=True)]
        # Stable: links of the same date stay in the order they were added.
        return sorted(
            (x for x in found if x is not None and x.scope == scope), key=lambda x: x.created_at
        )

    @_answered
    async def revoke_link(self, secret_hash: str, at: float) -> Link | None:
        flat = await self._scripts.revoke_link(
            keys=[self._link_key(secret_hash)], args=[repr(at)], client=self._client
        )
        if flat is None:
            return None
        return _link(secret_hash, dict(zip(flat[::2], flat[1::2], strict=True)))

    @_answered
    async def use_link(self, secret_hash: str, at: float) -> Link | None:
        flat = await self._scripts.use_link(
            keys=[self._link_key(secret_hash)], args=[repr(at)], client=self._client
        )
        if flat is None:
            return None
        return _link(secret_hash, dict(zip(flat[::2], flat[1::2], strict=True)))

    @_answered
    async def accept_charter(self, acceptance: Acceptance) -> None:
        value = f"{acceptance.charter_version} {acceptance.at!r}"
        key = self._key(acceptance.session_id, "charter")
        await self._client.hset(key, acceptance.participant, value)

    @_answered
    async def acceptance(self, session_id: str, participant: str) -> Acceptance | None:
        value = await self._client.hget(self._key(session_id, "charter"), participant)
        if value is None:
            return None
        version, at = value.split()
        return Acceptance(session_id, participant, int(version), float(at))

    # --- private texts --------------------------------------------------------------------

    @_answered
    async def keep_private(self, text: PrivateText) -> None:
        value = msgpack.packb([text.at, text.data], use_bin_type=True)
        await self._client.hset(
            self._key(text.scope, "private"), _private_field(text.owner, text.key), value
        )

    @_answered
    async def private(
        self, scope: str, owner: str | None = None, path: str = ""
    ) -> list[PrivateText]:
        texts = []
        for field, value in (await self._client.hgetall(self._key(scope, "private"))).items():
            text_owner, key = _private_owner_and_key(_text(field))
            if (owner is None or text_owner == owner) and under(key, path):
                at, data = msgpack.unpackb(value, raw=False)
                texts.append(PrivateText(scope, text_owner, key, data, at))
        return sorted(texts, key=lambda t: (t.at, t.owner, t.key))

    @_answered
    async def forget_private(
        self, scope: str, owner: str | None = None, path: str = "", *, scrub: bool = True
    ) -> int:
        texts = await self.private(scope, owner, path)
        if texts:
            fields = [_private_field(t.owner, t.key) for t in texts]
            await self._client.hdel(self._key(scope, "private"), *fields)
        if scrub:
            # The texts, and those overwritten before, are in the append-only file.
            await self._rewrite_files(self._client, _FORGOTTEN_BUT)
        return len(texts)

    # --- the outbox -----------------------------------------------------------------------

    @_answered
    async def enqueue(self, mail: Mail) -> bool:
        record: dict[str, str | bytes] = {
            "id": mail.id,
            "scope": mail.scope,
            "person": mail.person,
            "kind": mail.kind,
            "recipient": mail.recipient,
            "message_id": mail.message_id,
            "message": mail.message,
            "created_at": repr(mail.created_at),
            "not_before": repr(mail.not_before),
            "status": MailStatus.PENDING.value,
            "attempts": "0",
            "next_try": "0.0",
            "error": "",
        }
        added = await self._scripts.enqueue(
            keys=[self._outbox_key("due"), self._outbox_key(f"of:{mail.scope}")],
            args=[
                self._outbox_key("mail:"),
                mail.id,
                repr(mail.not_before),
                *(item for pair in record.items() for item in pair),
            ],
            client=self._client,
        )
        return bool(added)

    @_answered
    async def lease(self, worker: str, now: float, until: float, limit: int) -> list[Mail]:
        flats = await self._scripts.lease(
            keys=[self._outbox_key("due")],
            args=[self._outbox_key("mail:"), repr(now), repr(until), limit, worker],
            client=self._client,
        )
        return [_mail(dict(zip(flat[::2], flat[1::2], strict=True))) for flat in flats]

    @_answered
    async def settle(self, mail_id: str, status: MailStatus, at: float, error: str = "") -> None:
        if status is MailStatus.PENDING:
            raise ValueError(f"mail {mail_id}: expected a settled status, got {status}")
        await self._scripts.settle(
            keys=[self._outbox_key("due")],
            args=[self._outbox_key("mail:"), mail_id, status.value, repr(at), error],
            client=self._client,
        )

    @_answered
    async def retry(self, mail_id: str, worker: str, at: float, error: str) -> bool:
        done = await self._scripts.retry(
            keys=[self._outbox_key("due")],
            args=[self._outbox_key("mail:"), mail_id, worker, repr(at), error],
            client=self._client,
        )
        return bool(done)

    @_answered
    async def drop(self, mail_id: str) -> bool:
        done = await self._scripts.drop(
            keys=[self._outbox_key("due")],
            args=[self._outbox_key("mail:"), mail_id, self._outbox_key("of:")],
            client=self._client,
        )
        return bool(done)

    @_answered
    async def mails(self, scope: str) -> list[Mail]:
        client = self._client
        ids = await client.lrange(self._outbox_key(f"of:{scope}"), 0, -1)
        async with client.pipeline(transaction=False) as pipe:
            for mail_id in ids:
                pipe.hgetall(self._outbox_key(f"mail:{_text(mail_id)}"))
            records = await pipe.execute()
        found = [_mail(record) for record in records if record]
        return sorted(found, key=lambda mail: mail.created_at)  # stable: enqueue order

    # --- claims ---------------------------------------------------------------------------

    @_answered
    async def claim(self, name: str, holder: str, now: float, until: float) -> bool:
        # Kept a day past its term, so that a worker's clock a little behind Redis's
        # still reads the claim; past that, run out for anyone.
        keep = max(int((until - now) * 1000), 0) + _CLAIM_SLACK_MS
        done = await self._scripts.claim(
            keys=[f"{self.prefix}:claim:{{{name}}}"],
            args=[holder, repr(now), repr(until), keep],
            client=self._client,
        )
        return bool(done)


_CLAIM_SLACK_MS = 86_400_000


def _mail(record: Mapping[Any, Any]) -> Mail:
    """A message of the outbox from its record's fields."""
    fields = {_text(name): value for name, value in record.items()}
    text = {name: _text(value) for name, value in fields.items() if name != "message"}
    settled = text.get("settled_at")
    return Mail(
        id=text["id"],
        scope=text["scope"],
        person=text["person"],
        kind=text["kind"],
        recipient=text["recipient"],
        message_id=text["message_id"],
        message=_bytes(fields["message"]),
        created_at=float(text["created_at"]),
        not_before=float(text["not_before"]),
        status=MailStatus(text["status"]),
        attempts=int(text["attempts"]),
        next_try=float(text["next_try"]),
        error=text["error"],
        settled_at=float(settled) if settled else None,
    )


def _command_field(command: CommandKey) -> str:
    return f"{len(command.participant)}:{command.participant}:{command.key}"


def _link(secret_hash: str, record: Mapping[Any, Any]) -> Link | None:
    """A link from its record's fields; None for no record."""
    if not record:
        return None
    fields = {_text(name): _text(value) for name, value in record.items()}
    revoked = fields.get("revoked_at")
    # "" never opened; no field at all: made before links recorded it, opened when made.
    used = fields.get("used_at", fields["created_at"])
    return Link(
        secret_hash=secret_hash,
        scope=fields["scope"],
        participant=fields["participant"],
        created_at=float(fields["created_at"]),
        revoked_at=float(revoked) if revoked is not None else None,
        used_at=float(used) if used else None,
    )


def _bytes(value: object) -> bytes:
    """A reply as bytes: what a client with decode_responses=False gives."""
    if not isinstance(value, bytes):
        raise TypeError(f"expected bytes from Redis, got {type(value).__name__}")
    return value


def _text(value: object) -> str:
    return _bytes(value).decode()


def _text_of(value: object) -> str:
    """A reply redis-py may have decoded already (CONFIG GET's), as text."""
    return value.decode() if isinstance(value, bytes) else str(value)


def _private_field(owner: str, key: str) -> str:
    """A private text's field in its log's hash: the owner's length makes it unambiguous."""
    return f"{len(owner)}:{owner}:{key}"


def _private_owner_and_key(field: str) -> tuple[str, str]:
    length, _, rest = field.partition(":")
    size = int(length)
    return rest[:size], rest[size + 1 :]
