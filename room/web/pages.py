"""HTML pages, French first. Plain here; the live room's views are static/ modules."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from room.domain import DomainError
from room.domain.templates import DEFAULT_TEMPLATE, TEMPLATES
from room.i18n import catalogue, message
from room.web.auth import cookie_name, secret_hash
from room.web.security import origin_allowed
from room.web.services import Services, language

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes by default
MAX_FORM_BYTES = 16 * 1024


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
    lang = language(request)
    strings = catalogue(lang)
    response: Response = templates.TemplateResponse(
        request, name, {"lang": lang, "t": strings, **context}, status_code=status
    )
    return response


def _page_message(request: Request, key: str, status: int) -> Response:
    return render(request, "message.html", status, key=key)


async def home(request: Request) -> Response:
    return render(request, "home.html", templates=list(TEMPLATES), default=DEFAULT_TEMPLATE)


async def create(request: Request) -> Response:
    """The home page's form: create a session, then enter it through the new link."""
    if not origin_allowed(request, _services(request).settings.allowed_origins):
        return _page_message(request, "page.forbidden", 403)
    form = await _form(request)
    try:
        _, _, secret = await _services(request).create_session(
            title=form.get("title", ""),
            name=form.get("name", ""),
            template=form.get("template", DEFAULT_TEMPLATE),
        )
    except DomainError as error:
        field = str(error.params.get("field", ""))
        problem = message(language(request), f"error.{error.code.value}", field=field)
        return render(
            request,
            "home.html",
            400,
            templates=list(TEMPLATES),
            default=DEFAULT_TEMPLATE,
            problem=problem,
            form=form,
        )
    return RedirectResponse(request.url_for("open_link", secret=secret), status_code=303)


async def open_link(request: Request) -> Response:
    """Swap the link's secret for a cookie, and leave the secret out of the URL."""
    secret = request.path_params["secret"]
    services = _services(request)
    link = await services.store.link(secret_hash(services.settings.secret_key, secret))
    if link is None or link.revoked_at is not None:
        return _page_message(request, "page.link_invalid", 404)
    response = RedirectResponse(
        request.url_for("session_page", session_id=link.session_id), status_code=303
    )
    response.set_cookie(
        cookie_name(link.session_id),
        secret,
        max_age=180 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    response.headers["cache-control"] = "no-store"
    return response


async def session_page(request: Request) -> Response:
    services = _services(request)
    session_id = request.path_params["session_id"]
    caller = await services.caller(request, session_id)
    if caller is None:
        return _page_message(request, "page.forbidden", 403)
    room = await services.hub.room(session_id)
    if room is None or room.state.role_of(caller.participant) is None:
        return _page_message(request, "page.forbidden", 403)
    if not await services.has_accepted(caller):
        return render(request, "charter.html", session_id=session_id, title=room.state.title)
    me = room.state.participants[caller.participant]
    return render(request, "room.html", session_id=session_id, title=room.state.title, me=me)


async def accept_charter(request: Request) -> Response:
    services = _services(request)
    session_id = request.path_params["session_id"]
    if not origin_allowed(request, services.settings.allowed_origins):
        return _page_message(request, "page.forbidden", 403)
    await _form(request)
    caller = await services.caller(request, session_id)
    if caller is None:
        return _page_message(request, "page.forbidden", 403)
    await services.accept_charter(caller)
    return RedirectResponse(request.url_for("session_page", session_id=session_id), status_code=303)


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded form, size-capped; the last value of a repeated field wins."""
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            return {}
    fields = parse_qs(raw.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}
