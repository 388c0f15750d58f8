"""The JSON API. Every body is untrusted: size-capped, shape-checked, and refused with
a stable code and a message in the caller's language."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from room.domain.plain import to_plain
from room.domain.session import Role
from room.domain.session.capabilities import allowed
from room.domain.session.capabilities import to_plain as moves_to_plain
from room.domain.session.state import DEFAULT_BUDGET_MINUTES
from room.domain.session.templates import DEFAULT_TEMPLATE
from room.domain.session.visibility import visible_state
from room.i18n import CHARTER_VERSION
from room.ids import is_group
from room.web.auth import Caller, live_link
from room.web.endpoints import ApiError, endpoint, read_body
from room.web.security import origin_allowed
from room.web.services import services_of


def _text(data: dict[str, Any], name: str, default: str | None = None) -> str:
    value = data.get(name, default)
    if not isinstance(value, str):
        raise ApiError(400, "invalid", field=name)
    return value


def _integer(data: dict[str, Any], name: str, default: int) -> int:
    value = data.get(name, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ApiError(400, "invalid", field=name)
    return value


def _flag(data: dict[str, Any], name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ApiError(400, "invalid", field=name)
    return value


async def _caller(request: Request, session_id: str | None, charter: bool = True) -> Caller:
    services = services_of(request)
    caller = await services.caller(request, session_id)
    if caller is None:
        raise ApiError(401, "unauthorized")
    if charter and not await services.has_accepted(caller):
        raise ApiError(403, "charter_required")
    return caller


@endpoint
async def create_session(request: Request) -> Response:
    data = await read_body(request)
    session_id, participant, secret = await services_of(request).create_session(
        title=_text(data, "title"),
        name=_text(data, "name"),
        template=_text(data, "template", DEFAULT_TEMPLATE),
        budget_minutes=_integer(data, "budget_minutes", DEFAULT_BUDGET_MINUTES),
        auto_timer=_flag(data, "auto_timer", True),
    )
    return JSONResponse(
        {"session": session_id, "participant": participant, "link": _link(request, secret)},
        status_code=201,
    )


@endpoint
async def me(request: Request) -> Response:
    """Who a link is. A group's link is someone of the group: with ``?session=`` it is
    asked about one of the group's sessions, where that person is a participant."""
    services = services_of(request)
    session_id = request.query_params.get("session")
    if session_id is None:
        link = await live_link(services.store, services.settings.secret_key, request, None)
        if link is not None and is_group(link.scope):
            return JSONResponse({"group": link.scope, "person": link.participant})
    caller = await _caller(request, session_id, charter=False)
    room = await services.hub.room(caller.session_id)
    assert room is not None
    record = room.state.participants[caller.participant]
    accepted = await services.has_accepted(caller)
    return JSONResponse(
        {
            "session": caller.session_id,
            "participant": caller.participant,
            "role": record.role.value,
            "name": record.name,
            "charter": {"version": CHARTER_VERSION, "accepted": accepted},
        }
    )


@endpoint
async def accept_charter(request: Request) -> Response:
    data = await read_body(request)
    caller = await _caller(request, request.path_params["session_id"], charter=False)
    if data.get("version") != CHARTER_VERSION:
        raise ApiError(400, "invalid", field="version")
    await services_of(request).accept_charter(caller)
    return Response(status_code=204)


@endpoint
async def session(request: Request) -> Response:
    """What the caller could see live: the state for their role, and their moves."""
    caller = await _caller(request, request.path_params["session_id"])
    room = await services_of(request).hub.room(caller.session_id)
    assert room is not None
    role = room.state.role_of(caller.participant)
    if role is None:
        raise ApiError(403, "not_participant")
    now = room.clock()
    return JSONResponse(
        {
            "session": caller.session_id,
            "seq": room.seq,
            "now": now,
            "me": {"participant": caller.participant, "role": role.value},
            "state": to_plain(visible_state(room.state, role, caller.participant)),
            "moves": moves_to_plain(allowed(room.state, caller.participant, now)),
        }
    )


@endpoint
async def invite(request: Request) -> Response:
    data = await read_body(request)
    caller = await _caller(request, request.path_params["session_id"])
    try:
        role = Role(_text(data, "role"))
    except ValueError:
        raise ApiError(400, "invalid", field="role") from None
    participant, secret = await services_of(request).invite(caller, role, _text(data, "name"))
    return JSONResponse(
        {"participant": participant, "link": _link(request, secret)}, status_code=201
    )


@endpoint
async def invitations(request: Request) -> Response:
    """The facilitator's view of the session's links (never their secrets)."""
    caller = await _facilitator(request)
    links = await services_of(request).store.links(caller.session_id)
    return JSONResponse(
        [
            {
                "participant": link.participant,
                "created_at": link.created_at,
                "revoked_at": link.revoked_at,
            }
            for link in links
        ]
    )


@endpoint
async def reissue(request: Request) -> Response:
    await read_body(request)
    caller = await _caller(request, request.path_params["session_id"])
    secret = await services_of(request).reissue(caller, request.path_params["participant"])
    return JSONResponse({"link": _link(request, secret)}, status_code=201)


@endpoint
async def my_link(request: Request) -> Response:
    """One more link for the caller, for another device; their other links stay valid."""
    await read_body(request)
    caller = await _caller(request, request.path_params["session_id"])
    # A person of a group gets a group link: one identity for the whole cycle.
    scope = caller.group or caller.session_id
    secret = await services_of(request).new_link(scope, caller.participant)
    return JSONResponse({"link": _link(request, secret)}, status_code=201)


@endpoint
async def remove(request: Request) -> Response:
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        raise ApiError(403, "forbidden_origin")
    caller = await _caller(request, request.path_params["session_id"])
    await services_of(request).remove(caller, request.path_params["participant"])
    return Response(status_code=204)


@endpoint
async def erase(request: Request) -> Response:
    """The facilitator erases their session (one of no group) for good."""
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        raise ApiError(403, "forbidden_origin")
    caller = await _caller(request, request.path_params["session_id"])
    await services_of(request).erase_session(caller)
    return Response(status_code=204)


async def _facilitator(request: Request) -> Caller:
    caller = await _caller(request, request.path_params["session_id"])
    await services_of(request).require_facilitator(caller)
    return caller


@endpoint
async def cycle(request: Request) -> Response:
    """For a member of the session's group: the previous session's situation (read from
    it, never copied) and, for the narrator, the draft they handed to this session."""
    services = services_of(request)
    caller = await _caller(request, request.path_params["session_id"])
    room = await services.hub.room(caller.session_id)
    assert room is not None
    if not caller.group or services.groups is None:
        # An observer is invited to one session and reads nothing of the others.
        raise ApiError(403, "forbidden_role")
    return JSONResponse(await services.groups.cycle_of(room, caller.participant))


async def healthz(request: Request) -> Response:
    """Which backend serves, and whether this worker hears the others (always, alone)."""
    fanout = services_of(request).hub.fanout
    body: dict[str, object] = {
        "status": "ok" if fanout.alive else "degraded",
        "store": fanout.backend,
    }
    if fanout.backend != "sqlite":
        body |= {
            "subscription": "alive" if fanout.alive else "dead",
            "worker": fanout.worker,
            "resyncs": fanout.resyncs,
        }
    return JSONResponse(body, status_code=200 if fanout.alive else 503)


def _link(request: Request, secret: str) -> str:
    return str(request.url_for("open_link", secret=secret))
