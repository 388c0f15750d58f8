"""Each message the product writes, built with the standard library's ``email`` package:
a plain text part and an HTML part with the same words (from the recipient's language's
catalogue), and, for a session's reminder, move or cancellation, its iCalendar event
(``text/calendar; method=…``, which mail clients offer to add or update).

Every value that comes from a person (a group's name, a narrator's, an applicant's
practice) is escaped in the HTML part and kept as text elsewhere; a link is only ever
http(s). The Message-ID is chosen here, once: the outbox keeps the bytes, so every
attempt at delivery sends the same message under the same id.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid

from room.i18n import message

HTTP_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Letter:
    """What a message says, in one language, before it is an e-mail."""

    subject: str
    greeting: str
    paragraphs: Sequence[str]  # the body, one paragraph each; user text as it was typed
    signature: str
    link: tuple[str, str] | None = None  # (label, URL): a button in HTML, a line in text
    quoted: str = ""  # a stranger's words, set apart (an application's practice)
    calendar: bytes | None = None  # an iCalendar object (session_event's)
    method: str = ""  # its METHOD: REQUEST or CANCEL
    extra: dict[str, str] = field(default_factory=dict)  # headers besides the usual

    def text(self) -> str:
        """The plain text part, as a person would copy it into their own mail."""
        parts = [self.greeting, *self.paragraphs]
        if self.quoted:
            parts.append("\n".join(f"> {line}" for line in self.quoted.splitlines()))
        if self.link is not None:
            parts.append(f"{self.link[0]} : {self.link[1]}")
        parts.append(self.signature)
        return "\n\n".join(parts) + "\n"

    def html(self, lang: str) -> str:
        e = html.escape
        body = [f"<p>{e(self.greeting)}</p>", *(f"<p>{e(p)}</p>" for p in self.paragraphs)]
        if self.quoted:
            body.append(f'<blockquote dir="auto">{e(self.quoted)}</blockquote>')
        if self.link is not None and self.link[1].startswith(HTTP_SCHEMES):
            body.append(f'<p><a href="{e(self.link[1])}">{e(self.link[0])}</a></p>')
        body.append(f"<p>{e(self.signature)}</p>")
        return (
            f'<!DOCTYPE html>\n<html lang="{e(lang)}"><head><meta charset="utf-8">'
            f"<title>{e(self.subject)}</title></head>\n<body>\n"
            + "\n".join(body)
            + "\n</body></html>\n"
        )


def letter(
    lang: str,
    kind: str,
    *,
    group: str,
    name: str,
    paragraphs: Sequence[tuple[str, dict[str, str]]],
    subject: dict[str, str] | None = None,
    link: tuple[str, str] | None = None,
    quoted: str = "",
    calendar: bytes | None = None,
    method: str = "",
) -> Letter:
    """A letter of ``kind`` from the catalogue: ``mail.<kind>.subject`` with the group's
    name (and ``subject``'s values), each paragraph a key and its values."""
    values = {"group": group, **(subject or {})}
    return Letter(
        subject=message(lang, f"mail.{kind}.subject", **values),
        greeting=message(lang, "mail.greeting", name=name),
        paragraphs=[message(lang, key, group=group, **params) for key, params in paragraphs],
        signature=message(lang, "mail.signature", group=group),
        link=(message(lang, link[0]), link[1]) if link is not None else None,
        quoted=quoted,
        calendar=calendar,
        method=method,
    )


def compose(
    written: Letter,
    *,
    lang: str,
    sender: str,
    recipient: str,
    recipient_name: str,
    at: float,
    id_domain: str,
) -> EmailMessage:
    """The e-mail: headers, a text and an HTML alternative, and the calendar part.
    ``id_domain`` is the right-hand side of its Message-ID (the sending address's)."""
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = written.subject
    mail["From"] = Address("Codev Room", addr_spec=sender)
    mail["To"] = Address(recipient_name, addr_spec=recipient)
    mail["Date"] = format_datetime(datetime.fromtimestamp(at, UTC))
    mail["Message-ID"] = make_msgid(domain=id_domain)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation reply to it
    for name, value in written.extra.items():
        mail[name] = value
    mail.set_content(written.text())
    mail.add_alternative(written.html(lang), subtype="html")
    if written.calendar is not None:
        # As an alternative, with its method, mail clients show it as an invitation;
        # Outlook and others also look for it as an attachment: give both.
        mail.add_alternative(
            written.calendar.decode(), subtype="calendar", params={"method": written.method}
        )
        mail.add_attachment(
            written.calendar,
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    mail["Content-Language"] = lang  # after the parts: setting content drops Content-*
    return mail


def domain_of(address: str) -> str:
    """The domain of an address, for Message-IDs."""
    return address.rpartition("@")[2] or "codev-room"


def readable(data: bytes) -> tuple[str, str]:
    """A queued message's subject and plain text, as a person copies them."""
    parsed = message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)  # the default policy's class
    body = parsed.get_body(preferencelist=("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    return str(parsed.get("Subject", "")), str(text)
