"""The outbox's worker on a real store (SQLite and Redis) and a real SMTP server
(aiosmtpd), with an injected clock: reminders written when due, delivery at least once,
duplicates only across a crash between the server's acceptance and the outbox's mark,
retries with back-off, refusals settled with the server's words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from room.domain.group import commands as gcmd
from room.live.groups import Group, Groups
from room.mail.notices import Post, invitation
from room.mail.smtp import SmtpSender, SmtpServer
from room.mail.worker import LEASE, Postman, backoff
from room.store import MailStatus, Store
from tests.smtpserver import SmtpServer as LocalSmtp

POST = Post(sender="codev@example.org")
START = "2027-01-12T14:00"
START_AT = datetime(2027, 1, 12, 14, 0, tzinfo=ZoneInfo("Europe/Paris")).timestamp()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def a_group(store: Store, clock: Clock) -> Group:
    """Nadia's group with Ana (ana@example.org) and Bob (no address), both admitted."""
    groups = Groups(store, clock)
    group = await groups.create(
        "g-lyon",
        gcmd.CreateGroup(
            name="Codev Lyon",
            facilitator="p-nadia",
            facilitator_name="Nadia",
            facilitator_email="nadia@example.org",
            rules=("Confidentialité",),
        ),
    )
    for pid, name, email in (("p-ana", "Ana", "ana@example.org"), ("p-bob", "Bob", "")):
        await group.execute("p-nadia", gcmd.InvitePerson(person=pid, name=name, email=email))
        await group.execute(pid, gcmd.AcceptCharter(version=1))
        await group.execute("p-nadia", gcmd.AdmitPerson(person=pid, note="Échange préalable."))
    return group


def postman(
    store: Store, group: Group, smtp: LocalSmtp | None, clock: Clock, worker: str
) -> Postman:
    groups = Groups(store, clock)
    sender = SmtpSender(SmtpServer.from_url(smtp.url), timeout=5.0) if smtp is not None else None
    return Postman(store, groups, POST, sender, clock, worker)


async def test_a_queued_invitation_is_delivered_once_and_settled(
    store: Store, smtp_server: LocalSmtp
) -> None:
    """Sent under the Message-ID it was queued with; settled sent, without its body."""
    clock = Clock(1_000.0)
    group = await a_group(store, clock)
    mail = invitation(group.id, group.state, "p-ana", "https://x.example/j/SECRET", POST, clock())
    await store.enqueue(mail)
    worker = postman(store, group, smtp_server, clock, "w1")
    assert await worker.deliver() == 1
    (got,) = smtp_server.mailbox.wait(1)
    assert got.message["Message-ID"] == mail.message_id
    assert got.recipients == ("ana@example.org",)
    assert await worker.deliver() == 0
    (settled,) = await store.mails(group.id)
    assert (settled.status, settled.message) == (MailStatus.SENT, b"")


async def test_a_refused_recipient_is_settled_refused_with_the_reply(
    store: Store, smtp_server: LocalSmtp
) -> None:
    clock = Clock(1_000.0)
    group = await a_group(store, clock)
    smtp_server.mailbox.refused.add("ana@example.org")
    await store.enqueue(invitation(group.id, group.state, "p-ana", "https://x/j/S", POST, clock()))
    await postman(store, group, smtp_server, clock, "w1").deliver()
    (refused,) = await store.mails(group.id)
    assert refused.status is MailStatus.REFUSED and refused.error.startswith("550")
    assert smtp_server.mailbox.received == []


async def test_a_connection_dropped_mid_message_is_retried_after_back_off_and_sent_once(
    store: Store, smtp_server: LocalSmtp
) -> None:
    """The server cut the line before answering: the message waits its back-off, then
    goes, and the server keeps it once."""
    clock = Clock(1_000.0)
    group = await a_group(store, clock)
    smtp_server.mailbox.drops = 1
    mail = invitation(group.id, group.state, "p-ana", "https://x/j/S", POST, clock())
    await store.enqueue(mail)
    worker = postman(store, group, smtp_server, clock, "w1")
    assert await worker.deliver() == 1
    (waiting,) = await store.mails(group.id)
    assert (waiting.status, waiting.attempts) == (MailStatus.PENDING, 1)
    clock.now += backoff(1) - 1
    assert await worker.deliver() == 0  # not before its back-off
    clock.now += 1
    assert await worker.deliver() == 1
    (got,) = smtp_server.mailbox.wait(1, dropped=1)
    assert got.message["Message-ID"] == mail.message_id
    assert (await store.mails(group.id))[0].status is MailStatus.SENT


class CrashAfterAcceptance(Exception):
    """The worker's process died right after the server said 250, before the mark."""


async def test_a_crash_between_acceptance_and_mark_sends_it_twice_and_no_more(
    store: Store, smtp_server: LocalSmtp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one window for a duplicate: accepted, not yet marked. Another worker sends
    it again once the dead worker's lease ran out, under the same Message-ID; then it
    is settled and goes no more."""
    clock = Clock(1_000.0)
    group = await a_group(store, clock)
    mail = invitation(group.id, group.state, "p-ana", "https://x/j/S", POST, clock())
    await store.enqueue(mail)
    dying = postman(store, group, smtp_server, clock, "w-dying")

    async def crash(*args: object, **kwargs: object) -> None:
        raise CrashAfterAcceptance

    with monkeypatch.context() as patch:
        patch.setattr(store, "settle", crash)
        with pytest.raises(CrashAfterAcceptance):
            await dying.deliver()
    smtp_server.mailbox.wait(1)
    other = postman(store, group, smtp_server, clock, "w-other")
    assert await other.deliver() == 0  # the dead worker's lease still holds
    clock.now += LEASE
    assert await other.deliver() == 1
    first, second = smtp_server.mailbox.wait(2)
    assert first.message["Message-ID"] == second.message["Message-ID"] == mail.message_id
    clock.now += LEASE
    assert await other.deliver() == 0
    assert len(smtp_server.mailbox.received) == 2


async def test_two_workers_send_each_message_once(store: Store, smtp_server: LocalSmtp) -> None:
    """Workers draining one outbox at once share the messages, never a message."""
    import asyncio

    clock = Clock(1_000.0)
    group = await a_group(store, clock)
    ids = set()
    for n in range(12):
        clock.now += 1
        mail = invitation(group.id, group.state, "p-ana", f"https://x/j/S{n}", POST, clock())
        ids.add(mail.message_id)
        await store.enqueue(mail)
    workers = [postman(store, group, smtp_server, clock, f"w{n}") for n in range(3)]

    async def drain(worker: Postman) -> None:
        while await worker.deliver():
            pass

    await asyncio.gather(*(drain(w) for w in workers))
    got = smtp_server.mailbox.wait(12)
    assert sorted(str(m.message["Message-ID"]) for m in got) == sorted(ids)


async def test_reminders_are_written_when_due_and_a_re_plan_drops_the_old_ones(
    store: Store, smtp_server: LocalSmtp
) -> None:
    """Two days before, a reminder to each admitted person with an address; the session
    moved, the pending old one is dropped and the new date's is written in its time."""
    clock = Clock(START_AT - 48 * 3600 - 600)
    group = await a_group(store, clock)
    await group.execute("p-nadia", gcmd.PlanSession(session="s-one", date=START, narrator="p-ana"))
    worker = postman(store, group, None, clock, "w1")  # nothing sent: kept pending
    await worker.plan()
    reminders = [m for m in await store.mails(group.id) if m.kind == "reminder"]
    assert sorted(m.recipient for m in reminders) == ["ana@example.org", "nadia@example.org"]
    assert {m.not_before for m in reminders} == {START_AT - 48 * 3600}
    await worker.plan()  # planned again: nothing new
    assert len([m for m in await store.mails(group.id) if m.kind == "reminder"]) == 2
    await group.execute(
        "p-nadia",
        gcmd.ReplanSession(session="s-one", date="2027-01-20T14:00", narrator="p-ana"),
    )
    await worker.plan()
    assert [m for m in await store.mails(group.id) if m.kind == "reminder"] == []
    clock.now += 8 * 24 * 3600
    await worker.plan()
    later = [m for m in await store.mails(group.id) if m.kind == "reminder"]
    assert len(later) == 2 and all("2027-01-20" in m.id for m in later)
