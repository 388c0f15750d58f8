"""The contract every store backend keeps; each test runs once per backend (see conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from room.store import (
    Acceptance,
    CommandKey,
    DuplicateCommand,
    Link,
    NoSuchEvent,
    PrivateText,
    SeqConflict,
    Store,
    StoredEvent,
    StoreError,
)

S = "session-1"
ALICE_1 = CommandKey(participant="alice", key="k1")

OpenStore = Callable[[], Awaitable[Store]]  # the conftest fixture open_store


async def assert_log(store: Store, session_id: str, expected: list[bytes]) -> None:
    """The session's log is exactly ``expected``, numbered from 1, and last_seq agrees."""
    assert await store.read(session_id) == [
        StoredEvent(seq=seq, data=data) for seq, data in enumerate(expected, 1)
    ]
    assert await store.last_seq(session_id) == len(expected)


def link(
    secret_hash: str, scope: str = S, created_at: float = 1.0, used_at: float | None = None
) -> Link:
    return Link(
        secret_hash=secret_hash,
        scope=scope,
        participant="p",
        created_at=created_at,
        used_at=used_at,
    )


# --- session logs ---------------------------------------------------------------------------


async def test_append_at_zero_creates_the_session(store: Store) -> None:
    """Appending after seq 0 creates the session and returns the new last seq."""
    assert await store.append(S, 0, [b"a", b"b"]) == 2
    await assert_log(store, S, [b"a", b"b"])
    assert await store.session_ids() == [S]


async def test_seqs_are_gapless_across_appends(store: Store) -> None:
    """Successive appends number their events 1, 2, 3… with no gap or repeat."""
    assert await store.append(S, 0, [b"1"]) == 1
    assert await store.append(S, 1, [b"2", b"3"]) == 3
    assert await store.append(S, 3, [b"4"]) == 4
    await assert_log(store, S, [b"1", b"2", b"3", b"4"])


async def test_read_after_seq(store: Store) -> None:
    """read() returns only the events after the given seq, in order; [] past the end."""
    await store.append(S, 0, [b"1", b"2", b"3"])
    assert await store.read(S, after_seq=1) == [StoredEvent(2, b"2"), StoredEvent(3, b"3")]
    assert await store.read(S, after_seq=3) == []
    assert await store.read(S, after_seq=10) == []


async def test_unknown_session_is_empty(store: Store) -> None:
    """An unknown session reads as no events and last seq 0, and is not listed."""
    assert await store.read("nobody") == []
    assert await store.last_seq("nobody") == 0
    assert await store.session_ids() == []


async def test_sessions_are_separate_logs(store: Store) -> None:
    """Each session numbers its own events from 1."""
    await store.append("a", 0, [b"a1"])
    await store.append("b", 0, [b"b1", b"b2"])
    await assert_log(store, "a", [b"a1"])
    await assert_log(store, "b", [b"b1", b"b2"])


async def test_empty_append_is_refused(store: Store) -> None:
    """Appending no events raises ValueError and creates nothing."""
    with pytest.raises(ValueError):
        await store.append(S, 0, [])
    assert await store.session_ids() == []


async def test_seq_conflict_leaves_the_log_unchanged(store: Store) -> None:
    """An append after a seq that is not the last one is refused and appends nothing."""
    await store.append(S, 0, [b"1", b"2"])
    for stale in (0, 1, 3):
        with pytest.raises(SeqConflict) as refused:
            await store.append(S, stale, [b"x"])
        assert (refused.value.expected, refused.value.actual) == (stale, 2)
    await assert_log(store, S, [b"1", b"2"])


async def test_seq_conflict_on_unknown_session(store: Store) -> None:
    """Appending to an unknown session after a seq other than 0 is refused; nothing is created."""
    with pytest.raises(SeqConflict) as refused:
        await store.append(S, 5, [b"x"])
    assert refused.value.actual == 0
    assert await store.session_ids() == []


async def test_command_key_is_recorded_at_the_new_last_seq(store: Store) -> None:
    """A command key is acknowledged at the last seq of the append that carried it."""
    await store.append(S, 0, [b"1"])
    await store.append(S, 1, [b"2", b"3"], command=ALICE_1)
    assert await store.command_seq(S, ALICE_1) == 3
    assert await store.command_seq(S, CommandKey("alice", "other")) is None
    assert await store.command_seq(S, CommandKey("bob", "k1")) is None
    assert await store.command_seq("other-session", ALICE_1) is None


async def test_duplicate_command_appends_nothing(store: Store) -> None:
    """A key already applied is refused as a duplicate, reports its seq, and appends nothing."""
    await store.append(S, 0, [b"1"], command=ALICE_1)
    await store.append(S, 1, [b"2"])
    for expected_seq in (2, 1):  # the duplicate wins over a seq conflict too
        with pytest.raises(DuplicateCommand) as refused:
            await store.append(S, expected_seq, [b"again"], command=ALICE_1)
        assert refused.value.seq == 1
    await assert_log(store, S, [b"1", b"2"])


async def test_same_key_is_separate_per_participant_and_session(store: Store) -> None:
    """A key is scoped to its participant and its session."""
    await store.append(S, 0, [b"1"], command=ALICE_1)
    assert await store.append(S, 1, [b"2"], command=CommandKey("bob", ALICE_1.key)) == 2
    assert await store.append("other", 0, [b"1"], command=ALICE_1) == 1


async def test_seq_conflict_does_not_record_the_key(store: Store) -> None:
    """A command refused for a seq conflict leaves its key unrecorded, so it can be retried."""
    await store.append(S, 0, [b"1"])
    with pytest.raises(SeqConflict):
        await store.append(S, 0, [b"x"], command=ALICE_1)
    assert await store.command_seq(S, ALICE_1) is None
    assert await store.append(S, 1, [b"2"], command=ALICE_1) == 2
    assert await store.command_seq(S, ALICE_1) == 2


async def test_concurrent_appends_exactly_one_wins(store: Store) -> None:
    """Of two appends after the same seq, made at once, exactly one is applied."""
    await store.append(S, 0, [b"0"])
    results = await asyncio.gather(
        store.append(S, 1, [b"a"]), store.append(S, 1, [b"b"]), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, int)]
    lost = [r for r in results if isinstance(r, SeqConflict)]
    assert won == [2] and len(lost) == 1, results
    events = await store.read(S)
    assert [e.seq for e in events] == [1, 2]
    assert events[1].data in (b"a", b"b")


async def test_concurrent_creations_exactly_one_wins(store: Store) -> None:
    """Of many appends creating the same session at once, exactly one is applied."""
    results = await asyncio.gather(
        *(store.append(S, 0, [bytes([i])]) for i in range(5)), return_exceptions=True
    )
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert sum(isinstance(r, SeqConflict) for r in results) == 4, results
    assert await store.last_seq(S) == 1
    assert await store.session_ids() == [S]


async def test_appends_to_many_logs_at_once_each_land_and_a_refusal_spoils_none(
    store: Store,
) -> None:
    """Many sessions writing at once (the embedded store commits them as one group):
    each append lands in its own log, and the one refused changes nothing of the rest."""
    await store.append(S, 0, [b"0"])
    others = [f"s{n:02d}" for n in range(10)]
    results = await asyncio.gather(
        *(store.append(log, 0, [log.encode(), b"2"]) for log in others),
        store.append(S, 0, [b"late"]),  # a conflict, in the middle of the group
        store.append(S, 1, [b"1"], ALICE_1),
        return_exceptions=True,
    )
    assert results[:10] == [2] * 10
    assert isinstance(results[10], SeqConflict)
    assert results[11] == 2
    for log in others:
        assert [e.data for e in await store.read(log)] == [log.encode(), b"2"]
    assert [e.data for e in await store.read(S)] == [b"0", b"1"]
    assert await store.command_seq(S, ALICE_1) == 2


async def test_bytes_round_trip_exactly(store: Store) -> None:
    """Event bytes come back exactly as written: NULs, non-UTF-8, empty, large."""
    payloads = [b"\x00", b"\xff\xfe\x80", b"a\x00b", bytes(range(256)), b"", b"\xc3" * 100_000]
    await store.append(S, 0, payloads)
    await assert_log(store, S, payloads)
    assert all(type(e.data) is bytes for e in await store.read(S))


async def test_a_large_append_numbers_every_event(store: Store) -> None:
    """One append of 20,000 events numbers them all, in order, and is read back whole."""
    events = [n.to_bytes(4, "big") for n in range(20_000)]
    assert await store.append(S, 0, events) == 20_000
    await assert_log(store, S, events)
    assert await store.read(S, after_seq=19_998) == [
        StoredEvent(19_999, events[-2]),
        StoredEvent(20_000, events[-1]),
    ]


async def test_session_ids_oldest_first(store: Store) -> None:
    """session_ids() lists each session once, in the order they were created."""
    for name in ("zeta", "alpha", "mid"):
        await store.append(name, 0, [b"1"])
    await store.append("alpha", 1, [b"2"])
    assert await store.session_ids() == ["zeta", "alpha", "mid"]


# --- links ----------------------------------------------------------------------------------


async def test_link_add_and_get(store: Store) -> None:
    """A recorded link is returned as recorded; an unknown hash gives None."""
    recorded = link("h1")
    await store.add_link(recorded)
    assert await store.link("h1") == recorded
    assert await store.link("unknown") is None


async def test_duplicate_link_hash_is_refused(store: Store) -> None:
    """Adding a link whose hash is already recorded raises StoreError and keeps the first."""
    await store.add_link(link("h1", scope="a"))
    with pytest.raises(StoreError):
        await store.add_link(link("h1", scope="b"))
    assert await store.link("h1") == link("h1", scope="a")


async def test_links_of_a_session_oldest_first(store: Store) -> None:
    """links() lists only the session's links, oldest first."""
    await store.add_link(link("late", created_at=30.0))
    await store.add_link(link("early", created_at=10.0))
    await store.add_link(link("elsewhere", scope="other", created_at=20.0))
    await store.add_link(link("mid", created_at=20.0))
    assert [x.secret_hash for x in await store.links(S)] == ["early", "mid", "late"]
    assert await store.links("nobody") == []


async def test_revoke_link_keeps_the_first_date(store: Store) -> None:
    """Revoking marks the link revoked; revoking again keeps the first date."""
    await store.add_link(link("h1"))
    first = await store.revoke_link("h1", at=5.0)
    assert first is not None and first.revoked_at == 5.0
    again = await store.revoke_link("h1", at=9.0)
    assert again == first
    assert await store.link("h1") == first
    assert (await store.links(S))[0].revoked_at == 5.0


async def test_revoke_unknown_link(store: Store) -> None:
    """Revoking an unknown hash returns None and records nothing."""
    assert await store.revoke_link("unknown", at=5.0) is None
    assert await store.link("unknown") is None


async def test_a_link_s_first_opening_is_kept(store: Store) -> None:
    """A new link is unused; using it marks its first opening, which a second keeps;
    revoking leaves it; an unknown hash gives None."""
    await store.add_link(link("h1"))
    assert (await store.link("h1")).used_at is None  # type: ignore[union-attr]
    first = await store.use_link("h1", at=7.0)
    assert first is not None and first.used_at == 7.0
    assert await store.use_link("h1", at=9.0) == first
    revoked = await store.revoke_link("h1", at=11.0)
    assert revoked is not None and (revoked.used_at, revoked.revoked_at) == (7.0, 11.0)
    assert (await store.links(S))[0].used_at == 7.0
    assert await store.use_link("unknown", at=5.0) is None
    await store.add_link(link("h2", used_at=3.0))
    assert (await store.link("h2")).used_at == 3.0  # type: ignore[union-attr]


# --- charter --------------------------------------------------------------------------------


async def test_acceptance_is_recorded_and_replaced(store: Store) -> None:
    """An acceptance is returned as recorded; a later one replaces it; unknown gives None."""
    v1 = Acceptance(session_id=S, participant="alice", charter_version=1, at=10.0)
    v2 = Acceptance(session_id=S, participant="alice", charter_version=2, at=20.0)
    bob = Acceptance(session_id=S, participant="bob", charter_version=1, at=15.0)
    assert await store.acceptance(S, "alice") is None
    await store.accept_charter(v1)
    await store.accept_charter(bob)
    assert await store.acceptance(S, "alice") == v1
    await store.accept_charter(v2)
    assert await store.acceptance(S, "alice") == v2
    assert await store.acceptance(S, "bob") == bob
    assert await store.acceptance("other", "alice") is None


# --- erasure --------------------------------------------------------------------------------

GROUP = "g-1"  # a group's log: erased like a session's
KEPT = "s-kept"  # a session no erasure names


async def fill_logs(store: Store) -> None:
    """Sessions S and KEPT and group GROUP, each with events, a command key, links; the
    sessions with acceptances."""
    for log_id in (S, GROUP, KEPT):
        await store.append(log_id, 0, [f"{log_id}-1".encode()], command=ALICE_1)
        await store.append(log_id, 1, [f"{log_id}-2".encode(), f"{log_id}-3".encode()])
        await store.add_link(link(f"{log_id}-a", scope=log_id))
        await store.add_link(link(f"{log_id}-b", scope=log_id))
        await store.revoke_link(f"{log_id}-b", at=2.0)
    for session_id in (S, KEPT):
        await store.accept_charter(Acceptance(session_id, "alice", 1, at=3.0))


async def assert_erased(store: Store, log_id: str) -> None:
    """Nothing the store returns mentions the log any more."""
    await assert_log(store, log_id, [])
    assert await store.read(log_id, after_seq=1) == []
    assert await store.command_seq(log_id, ALICE_1) is None
    assert log_id not in await store.session_ids()
    assert await store.links(log_id) == []
    assert await store.link(f"{log_id}-a") is None
    assert await store.link(f"{log_id}-b") is None
    assert await store.acceptance(log_id, "alice") is None


async def assert_kept(store: Store) -> None:
    """KEPT is whole: its events, key, links and acceptance, as fill_logs() wrote them."""
    await assert_log(store, KEPT, [b"s-kept-1", b"s-kept-2", b"s-kept-3"])
    assert await store.command_seq(KEPT, ALICE_1) == 1
    assert await store.links(KEPT) == [
        link("s-kept-a", scope=KEPT),
        Link("s-kept-b", KEPT, "p", created_at=1.0, revoked_at=2.0),
    ]
    assert await store.acceptance(KEPT, "alice") == Acceptance(KEPT, "alice", 1, at=3.0)


async def test_erase_removes_everything_about_the_logs(store: Store) -> None:
    """Erasing a session and a group removes their events, keys, listing, links and
    acceptances, and nothing of the log it does not name."""
    await fill_logs(store)
    await store.erase([S, GROUP])
    await assert_erased(store, S)
    await assert_erased(store, GROUP)
    assert await store.session_ids() == [KEPT]
    await assert_kept(store)


async def test_erase_ignores_unknown_ids(store: Store) -> None:
    """Unknown ids, alone, among known ones or none at all, are ignored."""
    await fill_logs(store)
    await store.erase([])
    await store.erase(["s-nobody", "g-nobody"])
    await store.erase(["s-nobody", S])
    await assert_erased(store, S)
    assert await store.session_ids() == [GROUP, KEPT]
    await assert_kept(store)


async def test_erase_twice_is_harmless(store: Store) -> None:
    """Erasing an erased log again changes nothing, so a failed erasure can be retried."""
    await fill_logs(store)
    await store.erase([S])
    await store.erase([S])
    await assert_erased(store, S)
    assert await store.session_ids() == [GROUP, KEPT]


async def test_erase_refuses_a_lone_string(store: Store) -> None:
    """A single id passed as a str is refused, not read as one-letter ids."""
    await fill_logs(store)
    with pytest.raises(TypeError):
        await store.erase(S)
    assert await store.session_ids() == [S, GROUP, KEPT]


async def test_erased_id_starts_again_from_zero(store: Store) -> None:
    """The store keeps no tombstone: an erased id can be appended to again from seq 0."""
    await fill_logs(store)
    await store.erase([S])
    with pytest.raises(SeqConflict):
        await store.append(S, 3, [b"late"])
    assert await store.append(S, 0, [b"new"], command=ALICE_1) == 1
    await assert_log(store, S, [b"new"])
    assert await store.session_ids() == [GROUP, KEPT, S]


async def test_erase_keeps_the_order_of_what_remains(store: Store) -> None:
    """What remains keeps its order: sessions oldest first, links of equal date as added."""
    for name in ("zeta", "gone", "alpha", "mid"):
        await store.append(name, 0, [b"1"])
    for secret_hash in ("h3", "h1", "h2"):  # same date: the order they were added in
        await store.add_link(link(secret_hash, scope="mid", created_at=5.0))
        await store.add_link(link(f"{secret_hash}-gone", scope="gone", created_at=5.0))
    await store.erase(["gone"])
    assert await store.session_ids() == ["zeta", "alpha", "mid"]
    assert [x.secret_hash for x in await store.links("mid")] == ["h3", "h1", "h2"]


async def test_erasure_survives_a_restart(store: Store, open_store: OpenStore) -> None:
    """What was erased stays erased after reopening the same data; the rest is there."""
    await fill_logs(store)
    await store.erase([S, GROUP])
    await store.close()

    reopened = await open_store()
    await assert_erased(reopened, S)
    await assert_erased(reopened, GROUP)
    assert await reopened.session_ids() == [KEPT]
    await assert_kept(reopened)


# --- rewriting events in place -------------------------------------------------------------

FIVE = [b"e1", b"e2", b"e3", b"e4", b"e5"]


async def five_events(store: Store) -> None:
    """S holds five events (the last two under a command key); KEPT holds two."""
    await store.append(S, 0, FIVE[:3])
    await store.append(KEPT, 0, [b"k1", b"k2"])
    await store.append(S, 3, FIVE[3:], command=ALICE_1)


async def test_rewrite_replaces_events_under_their_seqs(store: Store) -> None:
    """The named events take the new bytes under the same seqs; the other events, the
    last seq, the command keys, the listing and the other logs stay; appends go on."""
    await five_events(store)
    await store.rewrite(S, {4: b"\x00four\xff", 2: b"two"})
    await assert_log(store, S, [b"e1", b"two", b"e3", b"\x00four\xff", b"e5"])
    assert await store.read(S, after_seq=3) == [
        StoredEvent(4, b"\x00four\xff"),
        StoredEvent(5, b"e5"),
    ]
    assert await store.command_seq(S, ALICE_1) == 5
    assert await store.session_ids() == [S, KEPT]
    await assert_log(store, KEPT, [b"k1", b"k2"])
    with pytest.raises(DuplicateCommand):
        await store.append(S, 5, [b"again"], command=ALICE_1)
    assert await store.append(S, 5, [b"e6"]) == 6


async def test_rewrite_of_a_seq_the_log_does_not_hold_changes_nothing(store: Store) -> None:
    """A seq below 1 or beyond the last, or any seq of an unknown log, is NoSuchEvent
    naming those seqs, and none of the others is replaced either."""
    await five_events(store)
    for seqs in ([2, 6], [0, 3], [-1], [5, 99]):
        with pytest.raises(NoSuchEvent) as refused:
            await store.rewrite(S, dict.fromkeys(seqs, b"new"))
        assert refused.value.seqs == [seq for seq in seqs if not 1 <= seq <= 5]
        assert refused.value.last == 5
        assert isinstance(refused.value, StoreError)
    with pytest.raises(NoSuchEvent) as unknown:
        await store.rewrite("s-nobody", {1: b"new"})
    assert (unknown.value.seqs, unknown.value.last) == ([1], 0)
    await assert_log(store, S, FIVE)
    assert await store.session_ids() == [S, KEPT]


async def test_rewrite_refuses_what_is_not_bytes(store: Store) -> None:
    """Data that is not bytes, or a seq that is not an int, is a TypeError: nothing is
    replaced."""
    await five_events(store)
    with pytest.raises(TypeError):
        await store.rewrite(S, {1: b"fine", 2: "text"})  # type: ignore[dict-item]
    with pytest.raises(TypeError):
        await store.rewrite(S, {"1": b"x"})  # type: ignore[dict-item]
    await assert_log(store, S, FIVE)


async def test_rewrite_of_nothing_does_nothing(store: Store) -> None:
    """No replacement, on a known log or an unknown one, changes nothing and is no error."""
    await five_events(store)
    await store.rewrite(S, {})
    await store.rewrite("s-nobody", {})
    await assert_log(store, S, FIVE)
    assert await store.session_ids() == [S, KEPT]


async def test_rewrite_twice_is_harmless(store: Store) -> None:
    """Rewriting with the same replacements again changes nothing more, so a rewrite
    that failed while scrubbing can be retried."""
    await five_events(store)
    await store.rewrite(S, {1: b"one", 5: b"five"})
    await store.rewrite(S, {1: b"one", 5: b"five"})
    await assert_log(store, S, [b"one", b"e2", b"e3", b"e4", b"five"])


async def test_a_large_rewrite_replaces_every_event(store: Store) -> None:
    """Thousands of events rewritten at once, each under its own seq."""
    events = [f"event {n}".encode() for n in range(1, 3001)]
    await store.append(S, 0, events)
    await store.rewrite(S, {n: f"blank {n}".encode() for n in range(1, 3001, 2)})
    expected = [f"blank {n}" if n % 2 else f"event {n}" for n in range(1, 3001)]
    await assert_log(store, S, [x.encode() for x in expected])


async def test_rewrite_and_appends_at_once_both_land(store: Store) -> None:
    """A rewrite and appends to the same log made together each take effect whole."""
    await five_events(store)
    appended, _ = await asyncio.gather(
        store.append(S, 5, [b"e6", b"e7"]), store.rewrite(S, {3: b"three"})
    )
    assert appended == 7
    await assert_log(store, S, [b"e1", b"e2", b"three", b"e4", b"e5", b"e6", b"e7"])


async def test_a_rewrite_survives_a_restart(store: Store, open_store: OpenStore) -> None:
    """What was rewritten reads rewritten after reopening the same data."""
    await five_events(store)
    await store.rewrite(S, {3: b"three"})
    await store.close()

    reopened = await open_store()
    await assert_log(reopened, S, [b"e1", b"e2", b"three", b"e4", b"e5"])
    assert await reopened.command_seq(S, ALICE_1) == 5


async def test_an_erased_log_has_nothing_to_rewrite(store: Store) -> None:
    """Once a log is erased, its seqs are unknown to a rewrite."""
    await five_events(store)
    await store.erase([S])
    with pytest.raises(NoSuchEvent):
        await store.rewrite(S, {1: b"new"})
    await assert_log(store, S, [])


# --- lifecycle ------------------------------------------------------------------------------


async def test_data_survives_a_restart(store: Store, open_store: OpenStore) -> None:
    """Everything acknowledged before close() is there after reopening the same data."""
    await store.append(S, 0, [b"1", b"\x00\xff"], command=ALICE_1)
    await store.append("other", 0, [b"o"])
    await store.add_link(link("h1"))
    await store.revoke_link("h1", at=7.0)
    acceptance = Acceptance(session_id=S, participant="alice", charter_version=3, at=1.0)
    await store.accept_charter(acceptance)
    await store.close()

    reopened = await open_store()
    await assert_log(reopened, S, [b"1", b"\x00\xff"])
    assert await reopened.command_seq(S, ALICE_1) == 2
    assert await reopened.session_ids() == [S, "other"]
    assert await reopened.link("h1") == Link("h1", S, "p", created_at=1.0, revoked_at=7.0)
    assert await reopened.acceptance(S, "alice") == acceptance
    assert await reopened.append(S, 2, [b"3"]) == 3


async def test_close_twice_is_harmless(store: Store) -> None:
    """Closing a closed store does nothing."""
    await store.close()
    await store.close()


# --- private texts --------------------------------------------------------------------------


def private(owner: str, key: str, data: bytes = b"draft", at: float = 1.0) -> PrivateText:
    return PrivateText(scope=S, owner=owner, key=key, data=data, at=at)


async def test_private_texts_are_kept_per_owner_and_replaced_under_their_key(store: Store) -> None:
    await store.keep_private(private("alice", "round/1/d1", b"first", at=1.0))
    await store.keep_private(private("bob", "round/1/d1", b"bob's", at=2.0))
    await store.keep_private(private("alice", "round/1/d1", b"second", at=3.0))
    assert await store.private(S, "alice") == [private("alice", "round/1/d1", b"second", 3.0)]
    assert [t.owner for t in await store.private(S)] == ["bob", "alice"]  # oldest first
    assert await store.private("s-other") == []


async def test_private_texts_are_listed_and_forgotten_by_path(store: Store) -> None:
    """ "round/2" holds "round/2/d1" but not "round/20/d1"; one owner's are theirs alone."""
    for owner, key in [("alice", "round/2/d1"), ("alice", "round/20/d1"), ("bob", "round/2/d2")]:
        await store.keep_private(private(owner, key))
    assert [t.key for t in await store.private(S, path="round/2")] == ["round/2/d1", "round/2/d2"]
    assert await store.forget_private(S, "alice", "round/2/d1", scrub=False) == 1
    assert await store.forget_private(S, "alice", "round/2/d1") == 0
    assert await store.forget_private(S, path="round/2") == 1
    assert [(t.owner, t.key) for t in await store.private(S)] == [("alice", "round/20/d1")]


async def test_erase_forgets_the_logs_private_texts(store: Store) -> None:
    await store.append(S, 0, [b"e1"])
    await store.keep_private(private("alice", "round/1/d1"))
    await store.keep_private(PrivateText("s-kept", "alice", "round/1/d1", b"kept", 1.0))
    await store.erase([S])
    assert await store.private(S) == []
    assert [t.data for t in await store.private("s-kept")] == [b"kept"]


# --- claims -------------------------------------------------------------------------------------


async def test_a_claim_is_held_by_one_until_it_runs_out(store: Store) -> None:
    """The first worker gets a free claim; another is refused until its term, then
    takes it; the holder extends its own; a claim names one task, not another."""
    assert await store.claim("retention", "w1", now=100.0, until=160.0)
    assert not await store.claim("retention", "w2", now=120.0, until=180.0)
    assert await store.claim("retention", "w1", now=150.0, until=210.0)  # extended
    assert not await store.claim("retention", "w2", now=200.0, until=260.0)
    assert await store.claim("other", "w2", now=200.0, until=260.0)
    assert await store.claim("retention", "w2", now=210.0, until=270.0)  # ran out
    assert not await store.claim("retention", "w1", now=220.0, until=280.0)


async def test_of_workers_claiming_at_once_one_gets_it(store: Store) -> None:
    answers = await asyncio.gather(
        *(store.claim("retention", f"w{n}", now=100.0, until=160.0) for n in range(8))
    )
    assert answers.count(True) == 1
