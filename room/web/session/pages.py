"""HTML pages, French first. Plain here; the live room's views are static/ modules."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from room.domain.errors import Code, DomainError
from room.domain.session import Role
from room.domain.session import commands as cmd
from room.domain.session.advice import rules_as_data
from room.domain.session.state import DEFAULT_BUDGET_MINUTES
from room.domain.session.templates import DEFAULT_TEMPLATE, TEMPLATES
from room.i18n import LANGUAGES, error_message
from room.ids import is_group
from room.records.session import FIELDED, markdown, may_export
from room.web.auth import cookie_name, secret_hash
from room.web.endpoints import read_form, status_of
from room.web.security import origin_allowed
from room.web.services import language, services_of
from room.web.session.demo import create_demo
from room.web.templating import page_message, render


async def home(request: Request) -> Response:
    return render(request, "home.html", templates=list(TEMPLATES), default=DEFAULT_TEMPLATE)


def _minutes(value: str) -> int:
    """The session's length as its field is typed, "H:MM" or minutes (empty: the default);
    -1, which the domain refuses with its bounds, for anything else."""
    if not value.strip():
        return DEFAULT_BUDGET_MINUTES
    hours, colon, minutes = value.strip().partition(":")
    try:
        return int(hours) * 60 + int(minutes) if colon else int(hours)
    except ValueError:
        return -1


async def create(request: Request) -> Response:
    """The home page's form: create a session, then enter it through the new link."""
    if not origin_allowed(request, services_of(request).settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    form = await read_form(request)
    try:
        _, _, secret = await services_of(request).create_session(
            title=form.get("title", ""),
            name=form.get("name", ""),
            template=form.get("template", DEFAULT_TEMPLATE),
            budget_minutes=_minutes(form.get("budget", "")),
            # An unticked box is absent from a form: only a form that has the box says no.
            auto_timer=form.get("auto_timer") == "yes" or "budget" not in form,
        )
    except DomainError as error:
        problem = error_message(language(request), error.code.value, error.params)
        return render(
            request,
            "home.html",
            400,
            templates=list(TEMPLATES),
            default=DEFAULT_TEMPLATE,
            problem=problem,
            form=form,
        )
    link = str(request.url_for("open_link", secret=secret))
    response = render(request, "created.html", link=link, title=form.get("title", ""))
    response.headers["cache-control"] = "no-store"
    return response


async def demo(request: Request) -> Response:
    """The home page's button: a session played up to step 3, and a link per role."""
    services = services_of(request)
    if not origin_allowed(request, services.settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    await read_form(request)
    made = await create_demo(services)
    links = [
        (name, role, str(request.url_for("open_link", secret=secret)))
        for name, role, secret in made.links
    ]
    response = render(request, "demo.html", links=links)
    response.headers["cache-control"] = "no-store"
    return response


async def open_link(request: Request) -> Response:
    """Swap the link's secret for a cookie, and leave the secret out of the URL."""
    secret = request.path_params["secret"]
    services = services_of(request)
    link = await services.store.link(secret_hash(services.settings.secret_key, secret))
    if link is None or link.revoked_at is not None:
        return page_message(request, "page.link_invalid", 404)
    if link.used_at is None:
        # A link never opened expires: an e-mail forgotten in a mailbox is no key for ever.
        now = services.hub.clock()
        if now - link.created_at > services.settings.link_unused_days * 86400:
            return render(
                request, "message.html", 410, key="page.link_expired", code="link_expired"
            )
        await services.store.use_link(link.secret_hash, now)
    if is_group(link.scope):
        target = request.url_for("group_page", group_id=link.scope)
    else:
        target = request.url_for("session_page", session_id=link.scope)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        cookie_name(link.scope),
        secret,
        max_age=180 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.headers["cache-control"] = "no-store"
    return response


async def session_page(request: Request) -> Response:
    services = services_of(request)
    session_id = request.path_params["session_id"]
    caller = await services.caller(request, session_id)
    room = await services.hub.room(session_id)
    if caller is None and room is not None and services.groups is not None:
        held = await services.groups.held_back(request, room)
        if held is not None:  # the group's page asks for its charter, or says to wait
            target = request.url_for("group_page", group_id=held.group_id)
            return RedirectResponse(target, status_code=303)
    if caller is None or room is None or room.state.role_of(caller.participant) is None:
        return page_message(request, "page.forbidden", 403)
    me = room.state.participants[caller.participant]
    if not await services.has_accepted(caller):
        return render(request, "charter.html", session_id=session_id, title=room.state.title, me=me)
    can_export = may_export(room.state, caller.participant)
    # A group's session is erased from the group's page, which records it.
    can_erase = me.role is Role.FACILITATOR and not room.state.group
    return render(
        request,
        "room.html",
        session_id=session_id,
        title=room.state.title,
        can_export=can_export,
        can_erase=can_erase,
        advice_rules=rules_as_data(),
    )


async def erase_session(request: Request) -> Response:
    """The facilitator's form: the session erased for good, once they ticked that they
    mean it (the API's DELETE needs no tick: saying DELETE is meaning it)."""
    services = services_of(request)
    session_id = request.path_params["session_id"]
    if not origin_allowed(request, services.settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    form = await read_form(request)
    caller = await services.caller(request, session_id)
    if caller is None or not await services.has_accepted(caller):
        return page_message(request, "page.forbidden", 403)
    try:
        if form.get("confirm") != "yes":
            raise DomainError(Code.INVALID, field="confirm", reason="erase")
        await services.erase_session(caller)
    except DomainError as error:
        problem = error_message(language(request), error.code.value, error.params)
        return render(
            request, "message.html", status_of(error), key="page.not_erased", problem=problem
        )
    response = render(request, "message.html", key="page.session_erased")
    response.delete_cookie(cookie_name(session_id))  # its link is gone with it
    return response


async def accept_charter(request: Request) -> Response:
    services = services_of(request)
    session_id = request.path_params["session_id"]
    if not origin_allowed(request, services.settings.allowed_origins):
        return page_message(request, "page.forbidden", 403)
    form = await read_form(request)
    caller = await services.caller(request, session_id)
    room = await services.hub.room(session_id)
    if caller is None or room is None:
        return page_message(request, "page.forbidden", 403)
    me = room.state.participants[caller.participant]
    name = form.get("name", me.name).strip()
    if name and name != me.name and me.role is not Role.OBSERVER:  # observers change nothing
        try:
            await room.execute(caller.participant, cmd.Rename(name=name))
        except DomainError as error:
            problem = error_message(language(request), error.code.value, error.params)
            return render(
                request, "charter.html", 400, session_id=session_id, title=room.state.title,
                me=me, problem=problem, name=name,
            )  # fmt: skip
    await services.accept_charter(caller)
    return RedirectResponse(request.url_for("session_page", session_id=session_id), status_code=303)


async def export(request: Request) -> Response:
    """The session record, for its narrator and facilitators only."""
    services = services_of(request)
    session_id = request.path_params["session_id"]
    caller = await services.caller(request, session_id)
    room = await services.hub.room(session_id)
    if caller is None or room is None or not await services.has_accepted(caller):
        return page_message(request, "page.forbidden", 403)
    if not may_export(room.state, caller.participant):
        return page_message(request, "page.export_forbidden", 403)
    if room.state.group and services.groups is not None:
        # Into the group's log of copies, before the copy is handed over.
        await services.groups.record_copied(room.state.group, caller.participant, session_id)
    told = await services.record(room, caller.participant)
    headers = {"cache-control": "no-store"}
    if request.path_params["format"] == "md":
        filename = f"seance-{session_id}.md"
        headers["content-disposition"] = f'attachment; filename="{filename}"'
        text = markdown(told, language(request))
        return Response(text, media_type="text/markdown", headers=headers)
    response = render(request, "export.html", record=told, fielded=FIELDED)
    response.headers.update(headers)
    return response


async def choose_language(request: Request) -> Response:
    """Remember the language a person picked; back to where they were (on this site)."""
    lang = request.path_params["lang"]
    target = request.query_params.get("next", "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = "/"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response
