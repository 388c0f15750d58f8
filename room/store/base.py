"""The interface every store backend implements, and what it hands back.

Backends: ``sqlite`` (embedded default: one process, a durable file) and ``redis``
(scale-out: every worker on one Redis). Every backend passes the one contract suite in
tests/store/test_contract.py; none has tests of its own for what the contract says.

Events are stored as opaque bytes (the msgpack encoding of a plain event): the
store never decodes them, so the bytes a client receives on replay are the bytes
that were written.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum


class StoreError(Exception):
    """Base of the refusals a store raises."""


class Unavailable(Exception):
    """The backend did not answer (down, restarting, out of memory, too slow), or —
    raised by the live layer — this worker does not hear the others. Whoever gets it
    refuses what it was doing, with nothing applied of its own, and the client tries
    again: a write whose answer was lost may have been made, which a resend under the
    same command key finds (DuplicateCommand) and the room catches up with (SeqConflict).
    Not a StoreError: nothing was refused, the answer is "not now"."""


class SeqConflict(StoreError):
    """Another writer appended first: re-read the log and decide again."""

    def __init__(self, session_id: str, expected: int, actual: int) -> None:
        super().__init__(f"session {session_id}: expected last seq {expected}, found {actual}")
        self.expected = expected  # the seq the writer believed was last
        self.actual = actual  # the seq that is last


class NoSuchEvent(StoreError):
    """A rewrite named seqs the log does not hold: nothing was rewritten."""

    def __init__(self, log_id: str, seqs: Sequence[int], last: int) -> None:
        super().__init__(
            f"log {log_id}: expected seqs from 1 to {last}, but got {', '.join(map(str, seqs))}"
        )
        self.seqs = list(seqs)  # the seqs asked for that the log does not hold
        self.last = last  # the log's last seq (0: no such log)


class DuplicateCommand(StoreError):
    """This command key was already applied; ``seq`` is what it was acknowledged at."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"command already applied at seq {seq}")
        self.seq = seq


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int  # gapless per session, from 1
    data: bytes  # msgpack of the plain event, as written


@dataclass(frozen=True, slots=True)
class CommandKey:
    """Who sent a command and the key they chose: resent, it takes effect once."""

    participant: str
    key: str


@dataclass(frozen=True, slots=True)
class Link:
    """An invitation link's server record. The secret itself is never stored."""

    secret_hash: str  # hex HMAC-SHA-256 of the link's secret
    scope: str  # what it opens: a session's id, or a group's (each log's id says which)
    participant: str  # the participant (of a session) or the person (of a group)
    created_at: float
    revoked_at: float | None = None
    used_at: float | None = None  # first opened (``/j/…``); an old unused link expires


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A participant accepted a version of the session's charter, at a date."""

    session_id: str
    participant: str
    charter_version: int
    at: float


@dataclass(frozen=True, slots=True)
class PrivateText:
    """A text kept for one person alone, outside every log: a silent round's draft.

    No replay, snapshot or export reads these; only their owner's own connections."""

    scope: str  # the log it belongs to (a session's id): erased with it
    owner: str  # the participant who alone may read it
    key: str  # what it is, as a path: "round/3/d1"
    data: bytes  # opaque to the store
    at: float  # when it was last written


class MailStatus(StrEnum):
    """Where a message of the outbox is: waiting, or settled one way or another."""

    PENDING = "pending"  # to send (or, with no SMTP server, to copy) from ``not_before`` on
    SENT = "sent"  # the SMTP server accepted it
    REFUSED = "refused"  # the SMTP server refused it for good (a 5xx reply)
    FAILED = "failed"  # given up after every retry failed for the time being
    COPIED = "copied"  # no SMTP server: a facilitator copied it and said so

    @property
    def settled(self) -> bool:
        return self is not MailStatus.PENDING


@dataclass(frozen=True, slots=True)
class Mail:
    """One message of the outbox, with what its delivery has come to.

    Its ``message`` (the RFC 5322 bytes, which may hold a personal link) is kept only
    while it is pending: a settled message keeps its envelope, never its body.
    """

    id: str  # chosen by the caller; enqueueing a known id again adds nothing
    scope: str  # the log it is about (a group's id): erased with it
    person: str  # the recipient's person id in that group ("" for none)
    kind: str  # what it says: "invitation", "reminder", …
    recipient: str  # the address it goes to
    message_id: str  # its Message-ID header, the same at every attempt
    message: bytes  # the whole message as sent; b"" once settled
    created_at: float
    not_before: float  # not sent before then (a reminder's time)
    status: MailStatus = MailStatus.PENDING
    attempts: int = 0  # attempts that failed for the time being
    next_try: float = 0.0  # not tried again before then (back-off)
    error: str = ""  # the last failure's words: the server's reply, or what broke
    settled_at: float | None = None


class Store(abc.ABC):
    """The one interface every backend implements; all methods are coroutines."""

    @abc.abstractmethod
    async def open(self) -> None:
        """Make the store usable (connect, create tables). Called once, in the lifespan."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the store; closing twice is harmless."""

    # --- session logs -------------------------------------------------------------------

    @abc.abstractmethod
    async def append(
        self,
        session_id: str,
        expected_seq: int,
        events: Sequence[bytes],
        command: CommandKey | None = None,
    ) -> int:
        """Append ``events`` after ``expected_seq`` atomically; return the new last seq.

        ``expected_seq`` 0 creates the session. The command key, if any, is recorded in
        the same transaction, against the new last seq. Raises DuplicateCommand if the
        key was recorded before (nothing is appended), then SeqConflict if the log's
        last seq is not ``expected_seq``. Returns only once the events are durable
        against a crash of this process. An empty ``events`` is a ValueError.
        """

    @abc.abstractmethod
    async def read(self, session_id: str, after_seq: int = 0) -> list[StoredEvent]:
        """The session's events with seq > ``after_seq``, in order; [] if none or unknown."""

    @abc.abstractmethod
    async def last_seq(self, session_id: str) -> int:
        """The session's last seq; 0 if it does not exist."""

    @abc.abstractmethod
    async def command_seq(self, session_id: str, command: CommandKey) -> int | None:
        """The seq a command key was acknowledged at, or None if it never was."""

    @abc.abstractmethod
    async def session_ids(self) -> list[str]:
        """Every session that has at least one event, oldest first."""

    @abc.abstractmethod
    async def erase(self, log_ids: Sequence[str]) -> None:
        """Erase everything the store holds about these logs (sessions' or groups').

        Removes their events, their command keys, their entries in ``session_ids()``,
        every link and every message of the outbox whose scope is one of them, and the
        charter acceptances of those sessions, atomically: all of it or none of it.
        Unknown ids are ignored. A lone ``str`` is a TypeError (it would be read as
        one-character ids).

        Erasure is real, not hiding: it returns only once the erased bytes are gone from
        the backend's files (journals, free space and all), so it may rewrite the whole
        store and is as slow as that. If it raises, the logs may already read as erased
        while their bytes remain on disk: call it again with the same ids, since erasing
        is idempotent.

        Afterwards an erased id reads as unknown (``last_seq`` 0, ``read`` []), and could
        even be appended to again from seq 0: the store keeps no tombstone. Ids are random,
        so that never happens in practice; the group's own log records what was erased.
        """

    @abc.abstractmethod
    async def rewrite(self, log_id: str, replacements: Mapping[int, bytes]) -> None:
        """Replace the bytes of some events of a log, in place: the event at each seq of
        ``replacements`` becomes those bytes, under the same seq.

        For words that must go from a log that must stay whole: the situation a narrator
        handed to a session, in the group's log, when the session is erased; a departed
        member's contributions. Everything else stays as it was: the other events, the
        last seq, the command keys (still answered at their seqs), the log's place in
        ``session_ids()``.

        All or nothing: a seq the log does not hold (below 1, beyond its last seq, any seq
        of an unknown log) is NoSuchEvent, naming them, and nothing is replaced. Data
        that is not bytes is a TypeError. An empty ``replacements`` does nothing.

        The rewrite is real, as erasure is: it returns only once the replaced bytes are
        gone from the backend's files (journals, free space and all), so it may rewrite
        the whole store and is as slow as that. If it raises any other StoreError, the
        events may already read as rewritten while their old bytes remain on disk: call
        it again with the same replacements, since rewriting is idempotent.
        """

    # --- links and charter ---------------------------------------------------------------

    @abc.abstractmethod
    async def add_link(self, link: Link) -> None:
        """Record a new link. Raises StoreError if its hash is already recorded."""

    @abc.abstractmethod
    async def link(self, secret_hash: str) -> Link | None:
        """The link with this hash, revoked or not; None if unknown."""

    @abc.abstractmethod
    async def links(self, scope: str) -> list[Link]:
        """The links of a session or group, oldest first."""

    @abc.abstractmethod
    async def revoke_link(self, secret_hash: str, at: float) -> Link | None:
        """Mark a link revoked at ``at`` (kept revoked at its first date if it already
        was); return it, or None if unknown."""

    @abc.abstractmethod
    async def use_link(self, secret_hash: str, at: float) -> Link | None:
        """Mark a link first opened at ``at`` (kept at its first date if it already
        was); return it, or None if unknown."""

    @abc.abstractmethod
    async def accept_charter(self, acceptance: Acceptance) -> None:
        """Record an acceptance, replacing the participant's previous one."""

    @abc.abstractmethod
    async def acceptance(self, session_id: str, participant: str) -> Acceptance | None: ...

    # --- the outbox ----------------------------------------------------------------------

    # --- private texts: for their owner alone, never in a log ---------------------------

    @abc.abstractmethod
    async def keep_private(self, text: PrivateText) -> None:
        """Store ``text`` under its scope, owner and key, replacing what was there."""

    @abc.abstractmethod
    async def private(
        self, scope: str, owner: str | None = None, path: str = ""
    ) -> list[PrivateText]:
        """The texts of ``scope`` under ``path`` (see ``under``), of ``owner`` or of
        everyone, oldest written first."""

    @abc.abstractmethod
    async def forget_private(
        self, scope: str, owner: str | None = None, path: str = "", *, scrub: bool = True
    ) -> int:
        """Delete the texts ``private`` would list; return how many. With ``scrub``,
        also erase their bytes for real from the backend's files, as ``erase`` does (the
        texts overwritten before are scrubbed with them); without, the next scrubbing
        call does it."""

    @abc.abstractmethod
    async def enqueue(self, mail: Mail) -> bool:
        """Add a pending message; False, adding nothing, if its id is already known
        (pending or settled): a message planned twice is sent once. Its status,
        attempts and lease are ignored: it starts pending, untried, free."""

    @abc.abstractmethod
    async def lease(self, worker: str, now: float, until: float, limit: int) -> list[Mail]:
        """Take up to ``limit`` messages due at ``now`` (pending, ``not_before`` and
        ``next_try`` passed, not leased by anyone until later than ``now``), leased to
        ``worker`` until ``until``, oldest due first. Atomic: two workers leasing at once
        never take the same message; once a lease has run out (its worker died), the
        message is due again."""

    @abc.abstractmethod
    async def settle(self, mail_id: str, status: MailStatus, at: float, error: str = "") -> None:
        """Record a pending message's end (sent, refused, failed, copied) and drop its
        body. Whoever holds its lease: a message the server accepted is sent, even if
        its lease ran out meanwhile. A settled or unknown message is left as it is."""

    @abc.abstractmethod
    async def retry(self, mail_id: str, worker: str, at: float, error: str) -> bool:
        """A failure for the time being: the message is pending again from ``at``, its
        attempts one more, its lease released. Only for the worker that holds its lease
        (False otherwise, changing nothing): a worker whose lease ran out and was taken
        by another does not undo the other's work."""

    @abc.abstractmethod
    async def drop(self, mail_id: str) -> bool:
        """Forget a pending message that is not to go any more (a reminder of a session
        moved or cancelled); False if it is unknown or already settled."""

    @abc.abstractmethod
    async def mails(self, scope: str) -> list[Mail]:
        """The messages about ``scope``, settled ones included, oldest first."""

    # --- claims ---------------------------------------------------------------------------

    @abc.abstractmethod
    async def claim(self, name: str, holder: str, now: float, until: float) -> bool:
        """Hold the named claim until ``until``, if it is free at ``now`` (never held,
        or its holder's time ran out) or ``holder`` holds it already (then it is
        extended); whether ``holder`` holds it now. Atomic: of two workers claiming at
        once, one gets it. For a task that one worker at a time should run (the
        retention sweep): a worker that dies holding a claim frees it when it runs out.
        """


def under(key: str, path: str) -> bool:
    """Whether ``key`` is ``path`` or lies below it: "round/2" holds "round/2/d1", not
    "round/20/d1"; "" holds every key."""
    return not path or key == path or key.startswith(path + "/")


def check_append(session_id: str, expected_seq: int, events: Sequence[bytes]) -> None:
    """The arguments every backend's ``append`` refuses alike, before touching anything."""
    if not events:
        raise ValueError(f"session {session_id}: expected events to append, but got none")
    if expected_seq < 0:
        raise ValueError(f"session {session_id}: expected a seq >= 0, got {expected_seq}")
    for data in events:
        if not isinstance(data, bytes):
            raise TypeError(f"expected event data as bytes, got {type(data).__name__}")


def check_rewrite(log_id: str, replacements: Mapping[int, bytes]) -> list[tuple[int, bytes]]:
    """The replacements every backend's ``rewrite`` refuses alike, before touching
    anything; else the same, in seq order."""
    for seq, data in replacements.items():
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise TypeError(f"log {log_id}: expected seqs as int, got {type(seq).__name__}")
        if not isinstance(data, bytes):
            raise TypeError(f"expected event data as bytes, got {type(data).__name__}")
    return sorted(replacements.items())
