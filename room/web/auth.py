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


def secret_hash(key: bytes, secret: str) -> str:
    """Keyed, so that a copy of the database alone cannot test guesses offline."""
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def cookie_name(scope: str) -> str:
    """One cookie per session or group: a person may be in several at once."""
    return f"room_{scope}"


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the server's records say."""

    link: Link  # the live link the request carried
    session_id: str  # the session asked about: the link's, or one of its group's
    participant: str  # the same id in the session as in the group
    group: str = ""  # set when they came in as a member of the session's group


def presented_secret(connection: HTTPConnection, scope: str | None) -> str | None:
    """The secret a request carries: its bearer token, else the scope's cookie."""
    header = connection.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if scope is not None:
        return connection.cookies.get(cookie_name(scope))
    return None


async def live_link(
    store: Store, key: bytes, connection: HTTPConnection, scope: str | None
) -> Link | None:
    """The live link a request's secret names (of ``scope``, when one is given)."""
    secret = presented_secret(connection, scope)
    if not secret or len(secret) > 128:
        return None
    link = await store.link(secret_hash(key, secret))
    if link is None or link.revoked_at is not None:
        return None
    if scope is not None and link.scope != scope:
        return None
    return link


async def identify(
    store: Store, key: bytes, connection: HTTPConnection, session_id: str | None
) -> Caller | None:
    """The caller behind a request, if its secret names a live link (of that session)."""
    link = await live_link(store, key, connection, session_id)
    if link is None:
        return None
    return Caller(link, link.scope, link.participant)
