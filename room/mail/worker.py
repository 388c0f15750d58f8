"""The outbox's worker: one task in each server process's lifespan that writes the
reminders due from the groups' planned sessions into the outbox and sends what is due.

Every message is leased before it is sent, for longer than a delivery can take, so two
workers (two processes on one Redis) never send it both; a worker that dies holding a
lease leaves the message to be sent again once the lease runs out. A message is marked
sent only after the SMTP server accepted it: delivery is at least once, and a message
goes twice only if its worker dies between the server's acceptance and that mark. It
keeps its Message-ID across attempts, so a mail client that gets both shows one.

A failure for the time being is tried again after a back-off that doubles (one minute,
two, four… at most six hours) until ATTEMPTS have failed; a refusal for good (5xx)
settles the message at once, with the server's words, for the facilitators' page.

Without an SMTP server (``sender`` None) nothing is sent: reminders are still written,
and the facilitators' page shows every pending message, to copy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from room.ids import is_group
from room.live.groups import Groups
from room.live.periodic import Periodic
from room.mail.notices import Post, due_reminders, reminder_mail, stale_reminders
from room.mail.smtp import Delivery, Outcome
from room.store import MailStatus, Store

log = logging.getLogger(__name__)

LEASE = 300.0  # seconds a worker holds a message: well beyond a delivery's timeouts
EVERY = 30.0  # seconds between passes when nothing wakes the worker
BATCH = 20  # messages leased at a time
BACKOFF = 60.0  # seconds before the first retry, doubled at each failure…
BACKOFF_MAX = 6 * 3600.0  # …up to this
ATTEMPTS = 10  # failures for the time being before a message is given up


class Sender(Protocol):
    async def send(self, sender: str, recipient: str, message: bytes) -> Delivery: ...


def backoff(attempts: int) -> float:
    """Seconds to wait after the ``attempts``-th failure (1 for the first)."""
    return float(min(BACKOFF * 2 ** max(attempts - 1, 0), BACKOFF_MAX))


class Postman(Periodic):
    """Plans reminders and drains the outbox, pass after pass."""

    name = "mail worker"

    def __init__(
        self,
        store: Store,
        groups: Groups,
        post: Post,
        sender: Sender | None,
        clock: Callable[[], float],
        worker: str,
        *,
        every: float = EVERY,
    ) -> None:
        self.store = store
        self.groups = groups  # whose planned sessions the reminders come from
        self.post = post  # who the messages are from (the group's link is not known here)
        self.sender = sender  # None: no SMTP server, messages are only shown to copy
        self.clock = clock
        self.worker = worker  # this process's id, which its leases carry
        super().__init__(every)  # woken when a message was enqueued

    async def one_pass(self) -> None:
        await self.plan()
        while await self.deliver():
            pass

    # --- one pass ------------------------------------------------------------------------

    async def plan(self) -> None:
        """Bring every group's reminders in the outbox up to date with its sessions."""
        for log_id in await self.store.session_ids():
            if is_group(log_id):
                await self.plan_group(log_id)

    async def plan_group(self, group_id: str) -> None:
        group = await self.groups.get(group_id)
        if group is None:
            return
        now = self.clock()
        wanted = due_reminders(group_id, group.state, now)
        mails = await self.store.mails(group_id)
        for stale in stale_reminders(mails, wanted):
            await self.store.drop(stale)
        known = {mail.id for mail in mails}
        for reminder in wanted:
            if reminder.id not in known:
                await self.store.enqueue(
                    reminder_mail(group_id, group.state, reminder, self.post, now)
                )

    async def deliver(self) -> int:
        """Send one batch of what is due; how many were taken (0: nothing was due)."""
        if self.sender is None:
            return 0
        now = self.clock()
        leased = await self.store.lease(self.worker, now, now + LEASE, BATCH)
        for mail in leased:
            delivery = await self.sender.send(self.post.sender, mail.recipient, mail.message)
            done = self.clock()
            if delivery.outcome is Outcome.SENT:
                await self.store.settle(mail.id, MailStatus.SENT, done)
                log.info("mail %s (%s) sent", mail.message_id, mail.kind)
            elif delivery.outcome is Outcome.REFUSED:
                await self.store.settle(mail.id, MailStatus.REFUSED, done, delivery.reply)
                log.warning("mail %s (%s) refused: %s", mail.message_id, mail.kind, delivery.reply)
            elif mail.attempts + 1 >= ATTEMPTS:
                await self.store.settle(mail.id, MailStatus.FAILED, done, delivery.reply)
                log.warning("mail %s (%s) given up: %s", mail.message_id, mail.kind, delivery.reply)
            else:
                later = done + backoff(mail.attempts + 1)
                await self.store.retry(mail.id, self.worker, later, delivery.reply)
                log.info("mail %s (%s) to retry: %s", mail.message_id, mail.kind, delivery.reply)
        return len(leased)
