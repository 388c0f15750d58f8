"""What every route does with what comes in and what goes wrong: bodies read under a
cap (JSON for the API, forms for pages), and refusals turned into JSON with a stable
code and a message in the caller's language."""

from __future__ import annotations

import contextlib
import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket

from room.domain.errors import Code, DomainError
from room.i18n import error_message
from room.protocol import Close
from room.store import Unavailable
from room.web.security import origin_allowed, read_capped
from room.web.services import language, services_of
from room.web.templating import page_message

MAX_FORM_BYTES = 16 * 1024
MAX_BODY_BYTES = 16 * 1024

_STATUS = {
    Code.INVALID: 400,
    Code.NOT_FOUND: 404,
    Code.CONFLICT: 409,
    Code.DATE_TAKEN: 409,
    Code.NOT_PARTICIPANT: 403,
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, **params: Any) -> None:
        super().__init__(code)
        self.status = status  # the HTTP status
        self.code = code  # the stable code, as in docs/protocol.md
        self.params = params  # quoted by the message


def status_of(error: DomainError) -> int:
    """The HTTP status of a refusal: 403 for a move not open to the caller, else by what
    was wrong with the request."""
    return _STATUS.get(error.code, 403)


def error_response(request: Request, status: int, code: str, **params: Any) -> JSONResponse:
    text = error_message(language(request), code, params)
    return JSONResponse({"code": code, "message": text, "params": params}, status_code=status)


async def read_body(request: Request) -> dict[str, Any]:
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        raise ApiError(403, "forbidden_origin")
    raw = await read_capped(request, MAX_BODY_BYTES)
    if raw is None:
        raise ApiError(413, "frame_too_large")
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "invalid", field="body") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", field="body")
    return data


def endpoint(handler: Any) -> Any:
    """Turn ApiError, DomainError and Unavailable into JSON error responses (the app
    turns an Unavailable raised outside such a handler into one too: ``unavailable``)."""

    async def wrapped(request: Request) -> Response:
        try:
            response: Response = await handler(request)
        except ApiError as error:
            return error_response(request, error.status, error.code, **error.params)
        except DomainError as error:
            return error_response(request, status_of(error), error.code.value, **error.params)
        except Unavailable:
            return error_response(request, 503, "unavailable")
        return response

    return wrapped


async def unavailable(connection: HTTPConnection, error: Exception) -> Response | None:
    """The app's answer to a store that did not answer, wherever no route caught it:
    503 with the code for the API, a page saying so for a browser (nothing was changed:
    try again); a socket closes with 1012, to come back to any worker."""
    if isinstance(connection, WebSocket):
        with contextlib.suppress(Exception):  # it may be closed already
            await connection.close(Close.RECONNECTING, "unavailable")
        return None
    assert isinstance(connection, Request)
    if connection.url.path.startswith("/api/"):
        return error_response(connection, 503, "unavailable")
    return page_message(connection, "page.unavailable", 503)


async def read_form(request: Request) -> dict[str, str]:
    """An urlencoded form, size-capped; the last value of a repeated field wins. Line
    breaks come as CRLF from every browser: the domain keeps them as LF."""
    raw = await read_capped(request, MAX_FORM_BYTES)
    if raw is None:
        return {}
    fields = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1].replace("\r\n", "\n") for name, values in fields.items()}
