"""The outbox's contract, kept by every store backend (each test runs once per backend,
see conftest): idempotent enqueue, leases that two workers never share, retries that
only the lease's holder makes, settled messages that keep no body."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from room.store import Mail, MailStatus, Store

OpenStore = Callable[[], Awaitable[Store]]
G = "g-group"


def mail(mail_id: str, *, scope: str = G, not_before: float = 0.0, at: float = 1.0) -> Mail:
    return Mail(
        id=mail_id,
        scope=scope,
        person="p1",
        kind="invitation",
        recipient="ana@example.org",
        message_id=f"<{mail_id}@codev-room>",
        message=b"Subject: hello\r\n\r\nbody of " + mail_id.encode() + b"\r\n",
        created_at=at,
        not_before=not_before,
    )


async def test_an_enqueued_message_reads_back_pending(store: Store) -> None:
    """A message reads back as it was enqueued: pending, untried, its bytes whole."""
    assert await store.enqueue(mail("m1"))
    assert await store.mails(G) == [mail("m1")]


async def test_enqueueing_a_known_id_adds_nothing(store: Store) -> None:
    """The same id twice is one message, even once it is settled: planned twice, sent once."""
    assert await store.enqueue(mail("m1"))
    assert not await store.enqueue(mail("m1", at=2.0))
    await store.settle("m1", MailStatus.SENT, 5.0)
    assert not await store.enqueue(mail("m1", at=3.0))
    assert [m.id for m in await store.mails(G)] == ["m1"]


async def test_mails_of_a_scope_oldest_first(store: Store) -> None:
    """Each scope lists its own messages, in the order they were made."""
    await store.enqueue(mail("b", at=2.0))
    await store.enqueue(mail("a", at=1.0))
    await store.enqueue(mail("c", scope="g-other", at=3.0))
    assert [m.id for m in await store.mails(G)] == ["a", "b"]
    assert [m.id for m in await store.mails("g-other")] == ["c"]
    assert await store.mails("g-nobody") == []


async def test_a_lease_takes_only_what_is_due(store: Store) -> None:
    """A message is not leased before its not-before time, and is once it has come."""
    await store.enqueue(mail("now"))
    await store.enqueue(mail("later", not_before=100.0))
    assert [m.id for m in await store.lease("w1", 10.0, 1000.0, 10)] == ["now"]
    assert await store.lease("w1", 99.0, 1000.0, 10) == []
    assert [m.id for m in await store.lease("w1", 100.0, 1000.0, 10)] == ["later"]


async def test_a_leased_message_is_not_leased_again_until_its_lease_ends(store: Store) -> None:
    """Another worker does not get a leased message; once the lease ran out (its worker
    died), it does."""
    await store.enqueue(mail("m1"))
    assert [m.id for m in await store.lease("w1", 10.0, 70.0, 10)] == ["m1"]
    assert await store.lease("w2", 69.0, 130.0, 10) == []
    assert [m.id for m in await store.lease("w2", 70.0, 130.0, 10)] == ["m1"]


async def test_a_lease_takes_at_most_its_limit_oldest_due_first(store: Store) -> None:
    """``limit`` bounds a lease; the earliest due go first."""
    for n, due in enumerate([30.0, 10.0, 20.0]):
        await store.enqueue(mail(f"m{n}", not_before=due))
    assert [m.id for m in await store.lease("w1", 50.0, 100.0, 2)] == ["m1", "m2"]
    assert [m.id for m in await store.lease("w1", 50.0, 100.0, 2)] == ["m0"]


async def test_two_workers_leasing_at_once_never_share_a_message(store: Store) -> None:
    """Workers racing for the same messages each get their own: none is taken twice."""
    for n in range(20):
        await store.enqueue(mail(f"m{n:02}"))
    leases = await asyncio.gather(*(store.lease(f"w{n}", 10.0, 70.0, 5) for n in range(6)))
    taken = [m.id for leased in leases for m in leased]
    assert sorted(taken) == [f"m{n:02}" for n in range(20)]


async def test_a_settled_message_keeps_its_envelope_not_its_body(store: Store) -> None:
    """Sent, it is never leased again, and its bytes (which may hold a personal link) are
    gone; its Message-ID and recipient stay."""
    await store.enqueue(mail("m1"))
    await store.lease("w1", 10.0, 70.0, 10)
    await store.settle("m1", MailStatus.SENT, 12.0)
    (sent,) = await store.mails(G)
    assert (sent.status, sent.settled_at, sent.message) == (MailStatus.SENT, 12.0, b"")
    assert (sent.message_id, sent.recipient) == ("<m1@codev-room>", "ana@example.org")
    assert await store.lease("w1", 1000.0, 1060.0, 10) == []


async def test_a_refusal_is_kept_with_the_server_s_words(store: Store) -> None:
    """A permanent refusal settles the message with the reply that refused it."""
    await store.enqueue(mail("m1"))
    await store.settle("m1", MailStatus.REFUSED, 12.0, "550 no such user")
    (refused,) = await store.mails(G)
    assert (refused.status, refused.error) == (MailStatus.REFUSED, "550 no such user")


async def test_settling_twice_keeps_the_first_end(store: Store) -> None:
    """A settled message is left as it is; an unknown one is no error."""
    await store.enqueue(mail("m1"))
    await store.settle("m1", MailStatus.SENT, 12.0)
    await store.settle("m1", MailStatus.REFUSED, 13.0, "550")
    await store.settle("unknown", MailStatus.SENT, 13.0)
    (sent,) = await store.mails(G)
    assert (sent.status, sent.settled_at) == (MailStatus.SENT, 12.0)


async def test_a_message_sent_after_its_lease_ran_out_is_still_sent(store: Store) -> None:
    """The server accepted it: it is sent, whoever holds the lease now."""
    await store.enqueue(mail("m1"))
    await store.lease("w1", 10.0, 70.0, 10)
    await store.lease("w2", 80.0, 140.0, 10)
    await store.settle("m1", MailStatus.SENT, 90.0)
    assert (await store.mails(G))[0].status is MailStatus.SENT


async def test_a_retry_waits_for_its_time_and_counts_the_attempt(store: Store) -> None:
    """A failure for the time being frees the message until its next try."""
    await store.enqueue(mail("m1"))
    await store.lease("w1", 10.0, 70.0, 10)
    assert await store.retry("m1", "w1", 40.0, "421 try later")
    (waiting,) = await store.mails(G)
    assert (waiting.status, waiting.attempts, waiting.next_try, waiting.error) == (
        MailStatus.PENDING,
        1,
        40.0,
        "421 try later",
    )
    assert await store.lease("w2", 39.0, 99.0, 10) == []
    (again,) = await store.lease("w2", 40.0, 100.0, 10)
    assert (again.attempts, again.message) == (1, mail("m1").message)


async def test_only_the_lease_s_holder_retries(store: Store) -> None:
    """A worker whose lease was taken by another changes nothing by retrying."""
    await store.enqueue(mail("m1"))
    await store.lease("w1", 10.0, 70.0, 10)
    await store.lease("w2", 80.0, 140.0, 10)
    assert not await store.retry("m1", "w1", 85.0, "timeout")
    assert await store.lease("w3", 100.0, 160.0, 10) == []  # still w2's
    assert (await store.mails(G))[0].attempts == 0


async def test_a_retry_never_comes_before_the_not_before_time(store: Store) -> None:
    """A message retried to a time before its not-before time still waits for that."""
    await store.enqueue(mail("m1", not_before=50.0))
    await store.lease("w1", 50.0, 60.0, 10)
    await store.lease("w1", 60.0, 70.0, 10)  # its lease ran out: leased again
    assert await store.retry("m1", "w1", 55.0, "x")
    assert [m.id for m in await store.lease("w2", 55.0, 65.0, 10)] == ["m1"]


async def test_drop_forgets_a_pending_message_only(store: Store) -> None:
    """A pending message dropped is gone (and may be planned again); a settled one stays."""
    await store.enqueue(mail("m1"))
    await store.enqueue(mail("m2"))
    await store.settle("m2", MailStatus.SENT, 5.0)
    assert await store.drop("m1")
    assert not await store.drop("m2")
    assert not await store.drop("unknown")
    assert [m.id for m in await store.mails(G)] == ["m2"]
    assert await store.lease("w1", 10.0, 70.0, 10) == []
    assert await store.enqueue(mail("m1"))


async def test_erasing_a_log_erases_its_messages(store: Store) -> None:
    """A group erased takes its outbox with it, pending and settled; others stay."""
    await store.enqueue(mail("m1"))
    await store.enqueue(mail("m2"))
    await store.settle("m2", MailStatus.SENT, 5.0)
    await store.enqueue(mail("m3", scope="g-other"))
    await store.erase([G])
    assert await store.mails(G) == []
    assert [m.id for m in await store.lease("w1", 10.0, 70.0, 10)] == ["m3"]


async def test_the_outbox_survives_a_restart(store: Store, open_store: OpenStore) -> None:
    """Pending, leased and settled messages are all as they were after a restart."""
    await store.enqueue(mail("m1"))
    await store.enqueue(mail("m2"))
    await store.lease("w1", 10.0, 70.0, 1)
    await store.enqueue(mail("m3"))
    await store.settle("m3", MailStatus.REFUSED, 11.0, "550")
    await store.close()
    again = await open_store()
    assert [(m.id, m.status) for m in await again.mails(G)] == [
        ("m1", MailStatus.PENDING),
        ("m2", MailStatus.PENDING),
        ("m3", MailStatus.REFUSED),
    ]
    assert [m.id for m in await again.lease("w2", 20.0, 80.0, 10)] == ["m2"]
    assert [m.id for m in await again.lease("w2", 70.0, 130.0, 10)] == ["m1"]
