"""The app's Jinja2 pages: one environment, its filters, and the page every refusal
shows. French first; the catalogue of the reader's language is in every page."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from room.domain.session.state import DEFAULT_TIME_ZONE
from room.i18n import (
    DEFAULT_LANGUAGE,
    catalogue,
    elide,
    fill,
    moment_date,
    moment_time,
    planned_date,
)
from room.web.services import language

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))  # autoescapes by default


@pass_context
def _when(context: Context, moment: float | None, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """A server timestamp on the reader's wall clock, in their language's words."""
    if moment is None:
        return ""
    return moment_date(context.get("lang", DEFAULT_LANGUAGE), moment, time_zone)


@pass_context
def _instant(context: Context, iso: str | None) -> str:
    """A moment written as ISO 8601 (an export's rows), in the reader's words."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso).timestamp()
    return moment_date(context.get("lang", DEFAULT_LANGUAGE), moment, DEFAULT_TIME_ZONE)


@pass_context
def _planned(context: Context, planned: str) -> str:
    """A session's planned date, in the reader's language's words."""
    return planned_date(context.get("lang", DEFAULT_LANGUAGE), planned)


@pass_context
def _clock(context: Context, moment: float | None, time_zone: str = DEFAULT_TIME_ZONE) -> str:
    """Only the time of day, for a sheet of one session: "14:03", "2:03 PM"."""
    if moment is None:
        return ""
    return moment_time(context.get("lang", DEFAULT_LANGUAGE), moment, time_zone)


def _phrase(text: str, **params: object) -> Markup:
    """A catalogue sentence with each placeholder filled in a ``<bdi>``, escaped: a name
    or a title written right to left (or holding direction controls) reorders nothing
    of the sentence around it."""
    return escape(elide(text, params)).format(
        **{name: Markup("<bdi>{}</bdi>").format(value) for name, value in params.items()}
    )


def _fill(text: str, **params: object) -> str:
    """A catalogue sentence filled as plain text, for an attribute (an accessible name),
    as ``message`` fills it; escaped by the template like any value."""
    return fill(text, params)


templates.env.filters["when"] = _when
templates.env.filters["instant"] = _instant
templates.env.filters["fill"] = _fill
templates.env.filters["planned"] = _planned
templates.env.filters["clock"] = _clock
templates.env.filters["phrase"] = _phrase


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    lang = language(request)
    strings = catalogue(lang)
    other = "en" if lang == "fr" else "fr"
    switch = f"/lang/{other}?{urlencode({'next': request.url.path})}"
    response: Response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": strings,
            "switch_language": switch,
            "privacy": _privacy(request),
            **context,
        },
        status_code=status,
    )
    return response


def _privacy(request: Request) -> dict[str, str]:
    """Who the information notice names (PRIVACY_CONTROLLER, PRIVACY_CONTACT)."""
    services = getattr(request.app.state, "services", None)
    if services is None:
        return {"controller": "", "contact": ""}
    settings = services.settings
    return {"controller": settings.privacy_controller, "contact": settings.privacy_contact}


def page_message(request: Request, key: str, status: int) -> Response:
    return render(request, "message.html", status, key=key)
