"""The SMTP sender against a real SMTP server (aiosmtpd): what each reply means."""

from __future__ import annotations

import pytest

from room.mail.smtp import Outcome, SmtpSender, SmtpServer
from tests.running import free_port
from tests.smtpserver import SmtpServer as LocalSmtp

MESSAGE = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n"


def sender_for(server: LocalSmtp) -> SmtpSender:
    return SmtpSender(SmtpServer.from_url(server.url), timeout=5.0)


async def test_an_accepted_message_is_sent_as_written(smtp_server: LocalSmtp) -> None:
    """The server gets the bytes, from MAIL_FROM to the recipient; the outcome is sent."""
    delivery = await sender_for(smtp_server).send("a@example.org", "b@example.org", MESSAGE)
    assert delivery.outcome is Outcome.SENT
    (got,) = smtp_server.mailbox.wait(1)
    assert (got.sender, got.recipients) == ("a@example.org", ("b@example.org",))
    assert got.data.replace(b"\r\n", b"\n") == MESSAGE.replace(b"\r\n", b"\n")


async def test_a_refused_recipient_is_refused_for_good(smtp_server: LocalSmtp) -> None:
    """A 550 on the recipient settles it: the server's words are kept."""
    smtp_server.mailbox.refused.add("gone@example.org")
    delivery = await sender_for(smtp_server).send("a@example.org", "gone@example.org", MESSAGE)
    assert delivery.outcome is Outcome.REFUSED
    assert delivery.reply.startswith("550 5.1.1") and "no such mailbox" in delivery.reply
    assert smtp_server.mailbox.received == []


async def test_a_connection_dropped_mid_message_is_to_retry(smtp_server: LocalSmtp) -> None:
    """The server cut the line after the data, before answering: not known sent, so
    to be tried again."""
    smtp_server.mailbox.drops = 1
    delivery = await sender_for(smtp_server).send("a@example.org", "b@example.org", MESSAGE)
    assert delivery.outcome is Outcome.RETRY
    assert "Disconnected" in delivery.reply or "Error" in delivery.reply
    assert len(smtp_server.mailbox.dropped) == 1 and smtp_server.mailbox.received == []


async def test_no_server_listening_is_to_retry() -> None:
    """A connection refused is the network's fault, not the message's."""
    sender = SmtpSender(SmtpServer.from_url(f"smtp://127.0.0.1:{free_port()}"), timeout=5.0)
    delivery = await sender.send("a@example.org", "b@example.org", MESSAGE)
    assert delivery.outcome is Outcome.RETRY
    assert "ConnectionRefused" in delivery.reply


def test_the_url_gives_host_port_tls_and_credentials() -> None:
    """smtp:// defaults to port 25, smtps:// to 465 with TLS; user and password are
    percent-decoded, and the password is never in the server's repr."""
    plain = SmtpServer.from_url("smtp://mail.example.org")
    assert (plain.host, plain.port, plain.tls, plain.user) == ("mail.example.org", 25, False, "")
    secure = SmtpServer.from_url("smtps://codev%40org:s3cr%2Ft@smtp.example.org:2465")
    assert (secure.port, secure.tls, secure.user, secure.password) == (
        2465,
        True,
        "codev@org",
        "s3cr/t",
    )
    assert "s3cr" not in repr(secure)


@pytest.mark.parametrize(
    "url", ["http://mail.example.org", "smtp://", "smtp://host:port", "mail.example.org"]
)
def test_a_url_that_is_no_smtp_server_is_refused(url: str) -> None:
    with pytest.raises(ValueError, match="expected SMTP_URL"):
        SmtpServer.from_url(url)
