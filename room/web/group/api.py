"""The groups' JSON API: the same acts as the group's pages, for scripts and tests.

A command is posted as the plain data the domain reads (``{"type": …, …}``); ids of
new things are the server's to choose, and come back in the answer.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from room.domain.group import rotation, visible_group
from room.domain.plain import to_plain
from room.web.endpoints import ApiError, endpoint, read_body
from room.web.group.services import Member, groups_of
from room.web.services import language


async def _member(request: Request) -> Member:
    member = await groups_of(request).member(request, request.path_params["group_id"])
    if member is None:
        raise ApiError(401, "unauthorized")
    return member


def _link(request: Request, secret: str) -> str:
    return str(request.url_for("open_link", secret=secret))


@endpoint
async def create_group(request: Request) -> Response:
    data = await read_body(request)
    name, facilitator = data.get("name"), data.get("facilitator_name")
    if not isinstance(name, str):
        raise ApiError(400, "invalid", field="name")
    if not isinstance(facilitator, str):
        raise ApiError(400, "invalid", field="facilitator_name")
    group_id, person, secret = await groups_of(request).create_group(
        name, facilitator, language(request)
    )
    return JSONResponse(
        {"group": group_id, "person": person, "link": _link(request, secret)}, status_code=201
    )


@endpoint
async def group(request: Request) -> Response:
    """The group as the caller may read it, and what they may do in it."""
    member = await _member(request)
    return JSONResponse(
        {
            "group": member.group.id,
            "seq": member.group.seq,
            "me": {
                "person": member.person,
                "role": member.role.value if member.role else None,
                "status": member.state.people[member.person].status.value,
                "must_accept": member.must_accept,
            },
            "state": to_plain(visible_group(member.state, member.person)),
            "moves": sorted(list(move) for move in await groups_of(request).moves(member)),
            # The rotation's suggestion, which a form planning a session preselects.
            "suggested_narrator": rotation(member.state).suggested_narrator
            if member.sees_content
            else None,
        }
    )


@endpoint
async def command(request: Request) -> Response:
    data = await read_body(request)
    member = await _member(request)
    groups = groups_of(request)
    group_url = str(request.url_for("group_page", group_id=member.group.id))
    outcome = await groups.execute(member, groups.command(data), group_url)
    answer: dict[str, object] = {"seq": member.group.seq, "id": outcome.new_id}
    if outcome.secret is not None:
        answer["link"] = link = _link(request, outcome.secret)
        invitation = await groups.invitation(member.group, outcome.new_id or "", link)
        answer["mailed_to"] = invitation.mailed_to or None
    return JSONResponse(answer)


@endpoint
async def reissue(request: Request) -> Response:
    await read_body(request)
    member = await _member(request)
    person = request.path_params["person"]
    groups = groups_of(request)
    secret = await groups.reissue(member, person)
    invitation = await groups.invitation(member.group, person, link := _link(request, secret))
    return JSONResponse({"link": link, "mailed_to": invitation.mailed_to or None}, status_code=201)


@endpoint
async def open_session(request: Request) -> Response:
    """Enter one of the group's sessions (created on first opening)."""
    await read_body(request)
    member = await _member(request)
    room = await groups_of(request).open_session(member, request.path_params["session_id"])
    url = str(request.url_for("session_page", session_id=room.session_id))
    return JSONResponse({"session": room.session_id, "url": url})


@endpoint
async def group_history(request: Request) -> Response:
    member = await _member(request)
    if not member.sees_content:
        raise ApiError(403, "not_admitted" if not member.must_accept else "charter_required")
    return JSONResponse(to_plain(await groups_of(request).history(member)))
