"""A group's pages: its space (for facilitators and members), its charter, its
history, its public page with the application form, and each person's space.

Plain HTML forms, posted and redirected: a group changes at the pace of people, and
a form works on any browser and any network. Every form posts a command type and its
fields to one route (``/g/{id}/do``), read by ``room.web.group.forms``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from room.domain.errors import Code, DomainError
from room.domain.group import (
    GroupRole,
    Move,
    Status,
    ordered_sessions,
    public_page,
    rotation,
    session_number,
    visible_group,
)
from room.domain.group import commands as gcmd
from room.domain.group.state import PlannedSession
from room.i18n import error_message
from room.ids import is_group
from room.live.retention import retention_ends
from room.live.room import Room
from room.mail.message import readable
from room.records.session import may_export
from room.store import Mail, MailStatus
from room.web.endpoints import read_form
from room.web.group.forms import group_plain
from room.web.group.services import Member, groups_of
from room.web.security import origin_allowed
from room.web.services import language, services_of
from room.web.templating import page_message, render


def _no_store(response: Response) -> Response:
    response.headers["cache-control"] = "no-store"
    return response


# --- creating a group -----------------------------------------------------------------------


async def create_group(request: Request) -> Response:
    """The home page's second form: a group, and its first facilitator's link."""
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    form = await read_form(request)
    try:
        _, _, secret = await groups_of(request).create_group(
            form.get("group_name", ""), form.get("name", ""), language(request)
        )
    except DomainError as error:
        problem = error_message(language(request), error.code.value, error.params)
        return render(request, "home.html", 400, group_problem=problem, group_form=form)
    link = str(request.url_for("open_link", secret=secret))
    return _no_store(
        render(request, "group_created.html", link=link, name=form.get("group_name", ""))
    )


# --- the group's space ----------------------------------------------------------------------


@dataclass(frozen=True)
class SessionLine:
    planned: PlannedSession
    narrator: str  # the narrator's name
    past: bool  # its date is before now, in the group's time zone
    opened: bool  # it has a live room (someone entered it): it began
    may_export: bool  # the viewer narrated or facilitated it
    number: int | None  # its number in the cycle; None once cancelled
    presence_said: float | None  # when the viewer confirmed they attended, if they did
    may_confirm_presence: bool  # they were seated in it and have not said so yet
    # Where it stands in the cycle's timeline: "began", "next" (the first still to
    # come), "planned", "not_held" (its date went by with no session), "cancelled",
    # "erased".
    status: str = "planned"


async def group_page(request: Request) -> Response:
    member = await groups_of(request).member(request, request.path_params["group_id"])
    if member is None:
        return page_message(request, "page.forbidden", 403)
    return await _space(request, member)


async def _space(
    request: Request, member: Member, status: int = 200, problem: str | None = None
) -> Response:
    """What the person may see now: the charter to accept, the wait for admission, or
    the group's space, cut to their role."""
    state = member.state
    if member.must_accept:
        return _no_store(
            render(request, "group_charter.html", status, group=state, problem=problem)
        )
    if not member.sees_content:
        return _no_store(
            render(
                request, "group_waiting.html", status, group=state, follow=member.follow("waiting")
            )
        )
    follow = member.follow("space")
    shown = visible_group(state, member.person)
    turn = rotation(state)
    groups = groups_of(request)
    begun = await groups.begun(state)  # one look-up for the moves and the list alike
    moves = await groups.moves(member, begun)
    # Who belongs to the group: the admitted, facilitators first; never the invited,
    # the waiting or the removed, whose presence is the facilitators' business.
    roster = sorted(
        (p for p in shown.people.values() if p.status is Status.ADMITTED),
        key=lambda p: (p.role is not GroupRole.FACILITATOR, p.name.casefold()),
    )
    facilitating = member.role is GroupRole.FACILITATOR
    to_copy, problems = await _mail_lines(request, member) if facilitating else ([], {})
    retention_until = retention_ends(state, set(begun)) if facilitating else None
    context: dict[str, Any] = {
        "group_id": member.group.id,
        "to_copy": to_copy,  # messages to copy, without an SMTP server
        "sending": groups.sending,
        "mail_problems": problems,  # person → their messages refused or given up
        "follow": follow,
        "group": shown,
        "me": shown.people[member.person],
        "facilitator": member.role is GroupRole.FACILITATOR,
        "sessions": (lines := await _session_lines(request, member, moves, begun)),
        # The one thing most people come for: the next session, first.
        "next_session": next((line for line in lines if line.status == "next"), None),
        # Whether the server would take this act now: every form is offered by it alone.
        "can": lambda *move: move in moves,
        "narrated": [shown.people[p].name for p in turn.narrated if p in shown.people],
        "suggested": turn.suggested_narrator,
        "members": [p for p in roster if p.role is GroupRole.MEMBER],
        "roster": roster,
        "my_sessions": [
            s
            for s in ordered_sessions(state)
            if s.narrator == member.person and s.erased_at is None
        ],
        "public_url": str(request.url_for("public_page", group_id=member.group.id)),
        "problem": problem,
        "retention_until": retention_until,  # when the group will be erased, as things stand
    }
    return _no_store(render(request, "group.html", status, **context))


@dataclass(frozen=True)
class MailLine:
    """A message the facilitators copy into their own mail (no SMTP server)."""

    id: str
    kind: str
    name: str  # the recipient's
    recipient: str
    subject: str
    text: str


async def _mail_lines(
    request: Request, member: Member
) -> tuple[list[MailLine], dict[str, list[Mail]]]:
    """The messages due to copy (when nothing is sent), and, by person, those refused or
    given up (when something is)."""
    groups = groups_of(request)
    mails = await groups.mails(member)
    now = services_of(request).hub.clock()
    to_copy = []
    if not groups.sending:
        for mail in mails:
            if mail.status is MailStatus.PENDING and mail.not_before <= now:
                subject, text = readable(mail.message)
                person = member.state.people.get(mail.person)
                name = person.name if person is not None else ""
                to_copy.append(MailLine(mail.id, mail.kind, name, mail.recipient, subject, text))
    problems: dict[str, list[Mail]] = {}
    for mail in mails:
        if mail.status in (MailStatus.REFUSED, MailStatus.FAILED):
            problems.setdefault(mail.person, []).append(mail)
    return to_copy, problems


async def _posted_by_member(request: Request) -> tuple[Member, dict[str, str]] | Response:
    """A form posted to a group's page: from this site and by a person of the group,
    with its fields; else the page that refuses it."""
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    form = await read_form(request)
    member = await groups_of(request).member(request, request.path_params["group_id"])
    if member is None:
        return page_message(request, "page.forbidden", 403)
    return member, form


async def mail_copied(request: Request) -> Response:
    """A facilitator says a message went: it leaves the list to copy."""
    posted = await _posted_by_member(request)
    if isinstance(posted, Response):
        return posted
    member, form = posted
    groups = groups_of(request)
    try:
        await groups.copied(member, form.get("mail", ""))
    except DomainError as error:
        return await _refused(request, member, error)
    target = request.url_for("group_page", group_id=member.group.id)
    return RedirectResponse(f"{target}#mail", status_code=303)


def _status(planned: PlannedSession, began: bool, past: bool, next_found: bool) -> str:
    """A session's place in the timeline (SessionLine.status)."""
    if planned.erased_at is not None:
        return "erased"
    if planned.cancelled:
        return "cancelled"
    if began:
        return "began"
    if past:
        return "not_held"
    return "planned" if next_found else "next"


async def _session_lines(
    request: Request, member: Member, moves: frozenset[Move], begun: Mapping[str, Room]
) -> list[SessionLine]:
    """Every session the group planned, cancelled ones included (marked so), by date."""
    state = member.state
    groups = groups_of(request)
    today = groups.today(state)
    said = visible_group(state, member.person).presence
    lines = []
    next_found = False
    for planned in sorted(state.sessions.values(), key=lambda s: (s.date, s.order)):
        room = begun.get(planned.id)
        narrator = state.people.get(planned.narrator)
        status = _status(planned, room is not None, planned.date < today, next_found)
        next_found = next_found or status == "next"
        lines.append(
            SessionLine(
                planned=planned,
                narrator=narrator.name if narrator is not None else "",
                past=planned.date < today,
                opened=room is not None,
                may_export=room is not None and may_export(room.state, member.person),
                number=None
                if planned.cancelled
                else session_number(state, planned.id, begun, today),
                presence_said=said.get(planned.id, {}).get(member.person),
                may_confirm_presence=("confirm_presence", planned.id) in moves,
                status=status,
            )
        )
    return lines


async def accept_charter(request: Request) -> Response:
    posted = await _posted_by_member(request)
    if isinstance(posted, Response):
        return posted
    member, form = posted
    try:
        version = int(form.get("version", ""))
    except ValueError:
        version = -1
    return await _act(request, member, gcmd.AcceptCharter(version=version))


async def act(request: Request) -> Response:
    """Every form of the group's space: a command type and its fields."""
    posted = await _posted_by_member(request)
    if isinstance(posted, Response):
        return posted
    member, form = posted
    groups = groups_of(request)
    try:
        _check_confirmed(form, member)
        command = groups.command(group_plain(form))
    except DomainError as error:
        return await _refused(request, member, error)
    response = await _act(request, member, command, form.get("back", ""))
    if isinstance(command, gcmd.EraseGroup) and response.status_code == 303:
        return render(request, "message.html", key="page.group_erased")
    return response


# Acts that cannot be undone: the form asks twice, and the server checks it did.
_CONFIRMED = (gcmd.RemovePerson.type, gcmd.EraseSession.type, gcmd.EraseGroup.type)


def _check_confirmed(form: dict[str, str], member: Member) -> None:
    kind = form.get("type")
    if kind in _CONFIRMED and form.get("confirm") != "yes":
        raise DomainError(Code.INVALID, field="confirm")
    if kind == gcmd.EraseGroup.type and form.get("confirm_name", "").strip() != member.state.name:
        raise DomainError(Code.INVALID, field="confirm_name")


async def _act(request: Request, member: Member, command: Any, back: str = "") -> Response:
    group_url = str(request.url_for("group_page", group_id=member.group.id))
    try:
        outcome = await groups_of(request).execute(member, command, group_url)
    except DomainError as error:
        return await _refused(request, member, error)
    if outcome.secret is not None:
        return await _shown_link(request, member, outcome.new_id or "", outcome.secret)
    target = request.url_for("group_page", group_id=member.group.id)
    if back.startswith(f"{target.path}/") and ".." not in back:
        return RedirectResponse(back, status_code=303)  # a page of this group
    anchor = back if back.isidentifier() else ""
    return RedirectResponse(f"{target}#{anchor}" if anchor else str(target), status_code=303)


async def _refused(request: Request, member: Member, error: DomainError) -> Response:
    problem = error_message(language(request), error.code.value, error.params)
    return await _space(request, member, 400, problem)


async def _shown_link(request: Request, member: Member, person: str, secret: str) -> Response:
    """A new link, shown once to the facilitator who made it, with its invitation: the
    server keeps only its hash, so this page is the only place it appears — but for the
    invitation queued to the person's address when an SMTP server sends."""
    link = str(request.url_for("open_link", secret=secret))
    invitation = await groups_of(request).invitation(member.group, person, link)
    return _no_store(
        render(
            request,
            "group_link.html",
            group_id=member.group.id,
            group=member.state,
            name=member.state.people[person].name,
            link=link,
            invitation=invitation,
        )
    )


async def reissue(request: Request) -> Response:
    posted = await _posted_by_member(request)
    if isinstance(posted, Response):
        return posted
    member, _ = posted
    groups = groups_of(request)
    person = request.path_params["person"]
    try:
        secret = await groups.reissue(member, person)
    except DomainError as error:
        return await _refused(request, member, error)
    return await _shown_link(request, member, person, secret)


async def enter_session(request: Request) -> Response:
    """From the group's space to one of its sessions' live room."""
    groups = groups_of(request)
    member = await groups.member(request, request.path_params["group_id"])
    if member is None:
        return page_message(request, "page.forbidden", 403)
    session_id = request.path_params["session_id"]
    try:
        await groups.open_session(member, session_id)
    except DomainError as error:
        return await _refused(request, member, error)
    return RedirectResponse(request.url_for("session_page", session_id=session_id), status_code=303)


async def history_page(request: Request) -> Response:
    """Each situation of the cycle with its action plan and what became of it."""
    member = await groups_of(request).member(request, request.path_params["group_id"])
    if member is None or not member.sees_content:
        return page_message(request, "page.forbidden", 403)
    follow = member.follow("history")
    return _no_store(
        render(
            request,
            "group_history.html",
            follow=follow,
            group_id=member.group.id,
            group=member.state,
            history=await groups_of(request).history(member),
        )
    )


# --- the public page ------------------------------------------------------------------------


async def public(request: Request) -> Response:
    """The presentation a facilitator published, and its form: nothing else."""
    group = await groups_of(request).groups.get(request.path_params["group_id"])
    page = public_page(group.state) if group is not None else None
    if group is None or page is None:
        return page_message(request, "page.not_found", 404)
    if request.method == "GET":
        return render(
            request,
            "public.html",
            group_id=group.id,
            name=group.state.name,
            page=page,
            retention_months=group.state.retention_months,
        )
    services = services_of(request)
    if not origin_allowed(request, services.settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    address = request.client.host if request.client else "unknown"
    wait = groups_of(request).public_form.attempt(address)
    if wait > 0:
        response = render(request, "message.html", 429, key="page.too_many")
        response.headers["retry-after"] = str(int(wait) + 1)
        return response
    form = await read_form(request)
    try:
        await groups_of(request).receive_application(
            group,
            form.get("name", ""),
            form.get("email", ""),
            form.get("practice", ""),
            language(request),
            str(request.url_for("group_page", group_id=group.id)),
        )
    except DomainError as error:
        problem = error_message(language(request), error.code.value, error.params)
        return render(
            request,
            "public.html",
            400,
            group_id=group.id,
            name=group.state.name,
            page=page,
            problem=problem,
            form=form,
            retention_months=group.state.retention_months,
        )
    return render(request, "message.html", key="page.applied")


# --- a person's space across groups ---------------------------------------------------------


@dataclass(frozen=True)
class MyGroup:
    id: str
    name: str
    status: str  # "charter", "waiting" or "in"
    upcoming: list[SessionLine]
    my_name: str  # how the group writes the person, which they may correct
    my_email: str
    problem: str | None = None  # why their last correction here was refused
    corrected: bool = False  # their correction here was just saved


async def my_groups(request: Request) -> list[Member]:
    """Every group this browser holds a live link to, as the person it names there."""
    groups = groups_of(request)
    mine = []
    for name in request.cookies:
        scope = name.removeprefix("room_")
        if not name.startswith("room_") or not is_group(scope):
            continue
        member = await groups.member(request, scope)
        if member is not None:
            mine.append(member)
    return mine


async def my_space(
    request: Request,
    status: int = 200,
    problems: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
) -> Response:
    """Every group this browser holds a live link to, with its upcoming sessions, how
    it writes the person (to correct), and the copy of their data to download."""
    groups = groups_of(request)
    problems = problems or {}
    mine = []
    for member in await my_groups(request):
        state = member.state
        status_in = "charter" if member.must_accept else "in" if member.sees_content else "waiting"
        upcoming = []
        if member.sees_content:
            begun = await groups.begun(state)
            moves = await groups.moves(member, begun)
            lines = await _session_lines(request, member, moves, begun)
            upcoming = [line for line in lines if not line.past]
        me = state.people[member.person]
        problem = problems.get(member.group.id)
        typed = form if problem is not None and form is not None else {}
        mine.append(
            MyGroup(
                member.group.id,
                state.name,
                status_in,
                upcoming,
                typed.get("name", me.name),
                typed.get("email", me.email),
                problem,
                corrected=request.query_params.get("corrected") == member.group.id,
            )
        )
    return _no_store(render(request, "me.html", status, groups=mine))
