"""What a group's cycle gives back: the calendar to download, attendance and its
sheets for the funder, and the journal of what the group kept, session by session.

Each is read, when asked, from the group's log and its sessions' logs; nothing is
copied. The calendar is a download, never a subscription URL: a calendar provider
polling a URL would hold the group's dates and its page's address for good.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from room.domain.cycle import AttendanceRow
from room.domain.group import GroupRole, ordered_sessions
from room.domain.group.state import PlannedSession
from room.i18n import message
from room.records.ical import CalendarSession, cycle_calendar
from room.records.session import md_text
from room.records.sheet import SheetLine, attendance_csv
from room.web.group.services import Member, groups_of
from room.web.services import language, services_of
from room.web.templating import page_message, render

SHEET_COLUMNS = ("name", "role", "arrived", "left", "minutes", "status")


async def _reader(request: Request, facilitators_only: bool = False) -> Member | None:
    """Someone who sees the group's content (a facilitator, if asked), or None."""
    member = await groups_of(request).member(request, request.path_params["group_id"])
    if member is None or not member.sees_content:
        return None
    if facilitators_only and member.role is not GroupRole.FACILITATOR:
        return None
    return member


def _download(body: bytes, media_type: str, filename: str) -> Response:
    headers = {
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store",
    }
    return Response(body, media_type=media_type, headers=headers)


def _held_sessions(member: Member) -> list[PlannedSession]:
    return [s for s in ordered_sessions(member.state) if s.erased_at is None]


# --- the calendar ---------------------------------------------------------------------------


async def calendar(request: Request) -> Response:
    member = await _reader(request)
    if member is None:
        return page_message(request, "page.forbidden", 403)
    state = member.state
    lang = language(request)
    url = str(request.url_for("group_page", group_id=member.group.id))
    sessions = [
        CalendarSession(
            uid=planned.id,
            start=planned.date,
            minutes=state.cycle.minutes,
            summary=message(lang, "calendar.summary", name=state.name, number=number),
            url=url,
        )
        for number, planned in enumerate(_held_sessions(member), 1)
    ]
    clock = services_of(request).hub.clock
    body = cycle_calendar(state.name, state.time_zone, sessions, clock())
    return _download(body, "text/calendar; charset=utf-8", f"cycle-{member.group.id}.ics")


# --- attendance -----------------------------------------------------------------------------


async def attendance_table(request: Request) -> Response:
    """The cycle's attendance: each person at each session, for the facilitators."""
    member = await _reader(request, facilitators_only=True)
    if member is None:
        return page_message(request, "page.forbidden", 403)
    groups = groups_of(request)
    sessions = _held_sessions(member)
    table: dict[str, dict[str, AttendanceRow]] = {}
    names: dict[str, str] = {}
    for planned in sessions:
        for row in await groups.attendance(member, planned.id):
            table.setdefault(row.person, {})[planned.id] = row
            names[row.person] = row.name
    response = render(
        request,
        "group_attendance.html",
        group_id=member.group.id,
        group=member.state,
        sessions=sessions,
        table=table,
        names=names,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def attendance_sheet(request: Request) -> Response:
    """One session's sheet: a printable page (with the facilitator's confirmations) or
    CSV for a spreadsheet."""
    member = await _reader(request, facilitators_only=True)
    session_id = request.path_params["session_id"]
    if member is None:
        return page_message(request, "page.forbidden", 403)
    planned = member.state.sessions.get(session_id)
    if planned is None or planned.erased_at is not None:
        return page_message(request, "page.not_found", 404)
    rows = await groups_of(request).attendance(member, session_id)
    zone = member.state.time_zone
    number = [s.id for s in _held_sessions(member)].index(session_id) + 1
    if request.path_params.get("format") == "csv":
        lang = language(request)
        lines = [_sheet_line(row, zone, lang) for row in rows]
        headers = [message(lang, f"sheet.{column}") for column in SHEET_COLUMNS]
        title = message(lang, "calendar.summary", name=member.state.name, number=number)
        body = attendance_csv(
            member.state.name, title, planned.date.replace("T", " "), headers, lines
        )
        filename = f"presences-{session_id}.csv"
        return _download(body, "text/csv; charset=utf-8", filename)
    response = render(
        request,
        "group_sheet.html",
        group_id=member.group.id,
        group=member.state,
        planned=planned,
        number=number,
        rows=rows,
    )
    response.headers["cache-control"] = "no-store"
    return response


def _sheet_line(row: AttendanceRow, zone: str, lang: str) -> SheetLine:
    status = message(lang, f"attendance.{row.status.value}")
    if not row.confirmed:
        status = message(lang, "attendance.unconfirmed", status=status)
    return SheetLine(
        name=row.name,
        role=message(lang, f"group.role.{row.role.value}"),
        arrived=_clock(row.arrived, zone),
        left=_clock(row.left, zone),
        minutes=round(row.seconds / 60),
        status=status,
    )


def _clock(moment: float | None, zone: str) -> str:
    return (
        "" if moment is None else datetime.fromtimestamp(moment, ZoneInfo(zone)).strftime("%H:%M")
    )


# --- the journal ----------------------------------------------------------------------------


async def journal(request: Request) -> Response:
    """What each session kept (its takeaways), in the cycle's order: the group's page,
    or — for a facilitator — a Markdown export."""
    member = await _reader(request)
    if member is None:
        return page_message(request, "page.forbidden", 403)
    history = await groups_of(request).history(member)
    kept = [s for s in history.situations if s.takeaways]
    if request.path_params.get("format") == "md":
        if member.role is not GroupRole.FACILITATOR:
            return page_message(request, "page.forbidden", 403)
        lang = language(request)
        lines = [f"# {md_text(message(lang, 'journal.title'))} — {md_text(member.state.name)}", ""]
        for situation in kept:
            lines += [f"## {situation.date.replace('T', ' ')} — {md_text(situation.title)}", ""]
            lines += [f"- {md_text(text)}" for text in situation.takeaways] + [""]
        body = ("\n".join(lines).rstrip() + "\n").encode()
        return _download(body, "text/markdown; charset=utf-8", f"journal-{member.group.id}.md")
    response = render(
        request,
        "group_journal.html",
        group_id=member.group.id,
        group=member.state,
        kept=kept,
        facilitator=member.role is GroupRole.FACILITATOR,
    )
    response.headers["cache-control"] = "no-store"
    return response
