"""Invitation links: a random secret, kept by the server only as a keyed hash.

Opening a link swaps it for an HttpOnly cookie scoped to the session and redirects
to a clean URL, so the secret stays out of history, Referer headers and logs.
API clients send the same secret as a bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from starlette.requests import HTTPConnection

from room.store import Link, Store

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


def secret_hash(key: bytes, secret: str) -> str:
    """Keyed, so that a copy of the database alone cannot test guesses offline."""
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def cookie_name(session_id: str) -> str:
    return f"room_{session_id}"


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the server's records say."""

    link: Link

    @property
    def session_id(self) -> str:
        return self.link.session_id

    @property
    def participant(self) -> str:
        return self.link.participant


def presented_secret(connection: HTTPConnection, session_id: str | None) -> str | None:
    """The secret a request carries: its bearer token, else the session's cookie."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if session_id is not None:
        return connection.cookies.get(cookie_name(session_id))
    return None


async def identify(
    store: Store, key: bytes, connection: HTTPConnection, session_id: str | None
) -> Caller | None:
    """The caller behind a request, if its secret names a live link (of that session)."""
    secret = presented_secret(connection, session_id)
    if not secret or len(secret) > 128:
        return None
    link = await store.link(secret_hash(key, secret))
    if link is None or link.revoked_at is not None:
        return None
    if session_id is not None and link.session_id != session_id:
        return None
    return Caller(link)
