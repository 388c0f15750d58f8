"""The SMTP server of ``SMTP_URL``, reached with the standard library's ``smtplib`` in a
thread (``asyncio.to_thread``), so that the event loop never waits on a socket.

``smtp://[user:password@]host[:port]`` (port 25 by default) upgrades with STARTTLS
whenever the server offers it; ``smtps://…`` (port 465 by default) speaks TLS from the
first byte. Certificates are checked against the system's authorities.

A delivery ends one of three ways, read from the server's reply: ``SENT`` (it accepted
the message: from then on it is the server's), ``REFUSED`` (a 5xx reply about this
message or its recipient: trying again would change nothing), or ``RETRY`` (anything
else: a 4xx reply, a connection refused, cut or timed out, a failed log-in — the
message is not at fault). The password never appears in a message or a log.
"""

from __future__ import annotations

import asyncio
import enum
import smtplib
import ssl
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

TIMEOUT = 30.0  # seconds for each step of a conversation with the server
REPLY_MAX = 300  # characters of a server's reply kept for the facilitator to read


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    REFUSED = "refused"


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    reply: str = ""  # the server's words (or what broke), for the outbox and the page


@dataclass(frozen=True)
class SmtpServer:
    """Where ``SMTP_URL`` points; ``repr`` leaves the password out."""

    host: str
    port: int
    tls: bool  # smtps: TLS from the start (else STARTTLS when offered)
    user: str = ""
    password: str = ""

    def __repr__(self) -> str:
        who = f"{self.user}@" if self.user else ""
        return f"SmtpServer({'smtps' if self.tls else 'smtp'}://{who}{self.host}:{self.port})"

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """Raises ValueError saying what was expected (never repeating the password)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(f"expected SMTP_URL smtp://… or smtps://…, but got {parts.scheme!r}")
        try:
            port = parts.port
        except ValueError:
            raise ValueError("expected SMTP_URL's port as a number") from None
        if not parts.hostname:
            raise ValueError("expected SMTP_URL smtp://[user:password@]host[:port], with a host")
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if tls else 25),
            tls=tls,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )


class SmtpSender:
    """Sends one message at a time over a new connection: messages are few and far
    between, and a fresh connection has no state left by a failure."""

    def __init__(self, server: SmtpServer, timeout: float = TIMEOUT) -> None:
        self.server = server
        self.timeout = timeout

    async def send(self, sender: str, recipient: str, message: bytes) -> Delivery:
        return await asyncio.to_thread(self._send, sender, recipient, message)

    def _send(self, sender: str, recipient: str, message: bytes) -> Delivery:
        try:
            with self._connect() as client:
                client.sendmail(sender, [recipient], message)
        except smtplib.SMTPRecipientsRefused as error:
            code, text = error.recipients.get(recipient, (450, b"refused"))
            return _by_code(code, text)
        except smtplib.SMTPAuthenticationError as error:  # a 5xx, but not the message's fault
            return Delivery(Outcome.RETRY, _reply(error.smtp_code, error.smtp_error))
        except smtplib.SMTPResponseException as error:  # sender or data refused, and so on
            return _by_code(error.smtp_code, error.smtp_error)
        except (smtplib.SMTPException, OSError) as error:  # cut, refused, timed out, TLS
            return Delivery(Outcome.RETRY, f"{type(error).__name__}: {error}"[:REPLY_MAX])
        return Delivery(Outcome.SENT)

    def _connect(self) -> smtplib.SMTP:
        server = self.server
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if server.tls:
            client = smtplib.SMTP_SSL(
                server.host, server.port, timeout=self.timeout, context=context
            )
        else:
            client = smtplib.SMTP(server.host, server.port, timeout=self.timeout)
        try:
            client.ehlo()
            if not server.tls and client.has_extn("starttls"):
                client.starttls(context=context)
                client.ehlo()
            if server.user:
                client.login(server.user, server.password)
        except BaseException:
            client.close()
            raise
        return client


def _by_code(code: int, text: bytes | str) -> Delivery:
    outcome = Outcome.REFUSED if 500 <= code < 600 else Outcome.RETRY
    return Delivery(outcome, _reply(code, text))


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"[:REPLY_MAX]
