"""A person's rights over their data, on the web: the copy of everything the groups
hold about them (from ``/me``, or made by a facilitator for a member who asks), and
the correction of their name and address.

Every copy is written in its group's log before it is served (``record_copy``), so
the facilitators' log of copies never misses one; a copy the log refused to record
is not handed over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from room.domain.errors import Code, DomainError
from room.domain.group import commands as gcmd
from room.domain.group.state import ExportedRecord
from room.i18n import error_message
from room.records.access import Part, plain_export
from room.web.endpoints import read_form
from room.web.group.pages import my_groups, my_space
from room.web.group.services import Member, groups_of
from room.web.security import origin_allowed
from room.web.services import language, services_of
from room.web.templating import page_message, render


@dataclass(frozen=True)
class GroupCopy:
    """One group's part of the copy."""

    id: str
    name: str
    person: str  # the person's id in that group
    parts: list[Part]
    names: dict[str, str]  # person id → name, so that the page says who, not an id
    dates: dict[str, str]  # session id → its planned date, so that it says which session


def _copy(member: Member, person: str, parts: list[Part]) -> GroupCopy:
    state = member.state
    return GroupCopy(
        member.group.id,
        state.name,
        person,
        parts,
        names={p.id: p.name for p in state.people.values()},
        dates={s.id: s.date for s in state.sessions.values()},
    )


async def my_copy(request: Request) -> Response:
    """``/me/export`` (a printable page) and ``/me/export.json``: everything each group
    holds about the caller."""
    groups = groups_of(request)
    copies = []
    for member in await my_groups(request):
        await groups.record_copy(
            member.group, member.person, ExportedRecord.ACCESS_EXPORT, subject=member.person
        )
        parts = await groups.access(member.group, member.person)
        copies.append(_copy(member, member.person, parts))
    if not copies:
        return page_message(request, "page.forbidden", 403)
    return _answer(request, copies, "mes-donnees")


async def person_copy(request: Request) -> Response:
    """``/g/{id}/people/{person}/export[.json]``: a facilitator's copy of one person's
    data, for the person who asked for it."""
    groups = groups_of(request)
    member = await groups.member(request, request.path_params["group_id"])
    if member is None:
        return page_message(request, "page.forbidden", 403)
    person = request.path_params["person"]
    try:
        parts = await groups.access_for(member, person)
    except DomainError as error:
        if error.code is Code.NOT_FOUND:
            return page_message(request, "page.not_found", 404)
        return page_message(request, "page.forbidden", 403)
    await groups.record_copy(
        member.group, member.person, ExportedRecord.ACCESS_EXPORT, subject=person
    )
    copy = _copy(member, person, parts)
    return _answer(request, [copy], f"donnees-{person}")


def _answer(request: Request, copies: list[GroupCopy], filename: str) -> Response:
    now = services_of(request).hub.clock()
    if request.path_params.get("format") == "json":
        document = plain_export(
            copies[0].person if len(copies) == 1 else "",
            now,
            [(c.id, c.name, c.parts) for c in copies],
        )
        document["people"] = {c.id: c.person for c in copies}
        body = json.dumps(document, ensure_ascii=False, indent=2).encode()
        headers = {
            "content-disposition": f'attachment; filename="{filename}.json"',
            "cache-control": "no-store",
        }
        return Response(body, media_type="application/json", headers=headers)
    if request.path_params.get("format") not in (None, "html"):
        return page_message(request, "page.not_found", 404)
    json_url = request.url.path.removesuffix(".html") + ".json"
    response = render(request, "access.html", copies=copies, generated_at=now, json_url=json_url)
    response.headers["cache-control"] = "no-store"
    return response


async def correct_me(request: Request) -> Response:
    """``POST /me/correct``: the person's name and address in one group, as they want
    them written; refused with the domain's code, shown on ``/me``."""
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    form = await read_form(request)
    groups = groups_of(request)
    member = await groups.member(request, form.get("group", ""))
    if member is None:
        return page_message(request, "page.forbidden", 403)
    command = gcmd.CorrectPerson(name=form.get("name", ""), email=form.get("email", "").strip())
    try:
        await groups.execute(member, command)
    except DomainError as error:
        problem = error_message(language(request), error.code.value, error.params)
        return await my_space(request, 400, {member.group.id: problem}, form)
    target = f"{request.url_for('my_space')}?corrected={member.group.id}#me-{member.group.id}"
    return RedirectResponse(target, status_code=303)
