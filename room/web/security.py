"""Headers every response carries, and the Origin check of state-changing requests.

Nothing leaves the server's origin: the CSP allows only 'self', and no page sends
a Referer anywhere (confidentiality is a rule of the group, so of the product).
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeaders:
    """Pure ASGI middleware (no buffering, WebSockets pass through untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in HEADERS if name not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def own_origin(connection: HTTPConnection) -> str:
    scheme = {"ws": "http", "wss": "https"}.get(connection.url.scheme, connection.url.scheme)
    return f"{scheme}://{connection.url.netloc}"


def origin_allowed(connection: HTTPConnection, allowed: Iterable[str]) -> bool:
    """A browser's request from our own pages, or from an origin the deployment names.

    Requests without an Origin header come from non-browser clients, which must hold a
    link's secret anyway; browsers always send Origin on WebSockets and on POSTs.
    """
    origin = connection.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        # With Referrer-Policy: no-referrer, browsers send "Origin: null" on a form POST
        # from our own page; Sec-Fetch-Site, set by the browser itself, says where it came
        # from. Anything else that says null (a sandboxed frame, a file) is refused.
        return connection.headers.get("sec-fetch-site") == "same-origin"
    origin = origin.rstrip("/")
    return origin == own_origin(connection) or origin in allowed


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The request's body, or None once it passes ``limit`` bytes (the rest is not read)."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            return None
    return raw
