"""A real SMTP server for tests: aiosmtpd on a free loopback port, in its own thread,
keeping what it accepts. It can refuse chosen recipients (550) and drop the connection
after a message's data, before answering it, as a server that crashes mid-message."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from tests.running import free_port

WAIT = 20.0  # seconds a test waits for a message before failing


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


class Mailbox:
    """aiosmtpd's handler: what it accepted, and how it misbehaves."""

    def __init__(self) -> None:
        self.received: list[Received] = []  # accepted messages, in order
        self.refused: set[str] = set()  # recipients answered 550
        self.drops = 0  # the next messages whose connection is cut before the reply
        self.dropped: list[bytes] = []  # the data of those messages
        self.changed = threading.Condition()  # notified at each message, kept or dropped

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refused:
            return "550 5.1.1 <" + address + ">: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content)
        with self.changed:
            if self.drops:
                self.drops -= 1
                self.dropped.append(data)
                server.transport.abort()  # gone before answering: the client cannot know
                self.changed.notify_all()
                return "421 gone"  # written to a closed transport: never read
            self.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), data))
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def wait(self, count: int, *, dropped: int = 0) -> list[Received]:
        """Block until ``count`` messages were accepted (and ``dropped`` cut)."""
        with self.changed:
            done = self.changed.wait_for(
                lambda: len(self.received) >= count and len(self.dropped) >= dropped, WAIT
            )
        assert done, f"expected {count} messages, got {len(self.received)}"
        return list(self.received)


class SmtpServer:
    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller = Controller(
            self.mailbox, hostname="127.0.0.1", port=self.port, decode_data=False
        )

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
