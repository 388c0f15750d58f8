"""What a group's cycle gives back: the calendar to download, attendance and its
sheets for the funder, and the journal of what the group kept, session by session.

Each is read, when asked, from the group's log and its sessions' logs; nothing is
copied. The calendar is a download, never a subscription URL: a calendar provider
polling a URL would hold the group's dates and its page's address for good.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response

from room.domain.cycle import AttendanceRow
from room.domain.cycle import journal as journal_of
from room.domain.group import GroupRole, ordered_sessions, session_number
from room.domain.group.state import ExportedRecord, PlannedSession, Status
from room.i18n import message, planned_date
from room.records.ical import CalendarSession, cycle_calendar
from room.records.session import md_text, mood_words
from room.records.sheet import COLUMNS, SheetLine, attendance_csv
from room.web.group.services import Member, groups_of
from room.web.services import language, services_of
from room.web.templating import page_message, render


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


def _cycle(member: Member) -> list[PlannedSession]:
    """The sessions of the cycle with content to show: neither cancelled nor erased."""
    return [s for s in ordered_sessions(member.state) if s.erased_at is None]


async def _numbers(
    request: Request, member: Member, begun: Container[str] | None = None
) -> dict[str, int]:
    """Each session's number in the cycle; ``begun``, if the caller has it already."""
    groups = groups_of(request)
    state = member.state
    if begun is None:
        begun = await groups.begun(state)
    today = groups.today(state)
    return {s.id: session_number(state, s.id, begun, today) for s in _cycle(member)}


# --- the calendar ---------------------------------------------------------------------------


async def calendar(request: Request) -> Response:
    member = await _reader(request)
    if member is None:
        return page_message(request, "page.forbidden", 403)
    state = member.state
    lang = language(request)
    url = str(request.url_for("group_page", group_id=member.group.id))
    numbers = await _numbers(request, member)
    sessions = [
        CalendarSession(
            uid=planned.id,
            start=planned.date,
            minutes=state.cycle.minutes,
            summary=message(lang, "calendar.summary", name=state.name, number=numbers[planned.id]),
            url=url,
            sequence=planned.revision,
        )
        for planned in _cycle(member)
    ]
    clock = services_of(request).hub.clock
    body = cycle_calendar(state.name, state.time_zone, sessions, clock())
    return _download(body, "text/calendar; charset=utf-8", f"cycle-{member.group.id}.ics")


# --- attendance -----------------------------------------------------------------------------


async def attendance_table(request: Request) -> Response:
    """The cycle's attendance: each person at each session, for the facilitators. A
    session that has not begun is "to come" for everyone, never an absence."""
    member = await _reader(request, facilitators_only=True)
    if member is None:
        return page_message(request, "page.forbidden", 403)
    follow = member.follow("attendance")
    groups = groups_of(request)
    sessions = _cycle(member)
    begun = await groups.begun(member.state)
    names = {p.id: p.name for p in member.state.people.values() if p.status is Status.ADMITTED}
    table: dict[str, dict[str, AttendanceRow]] = {person: {} for person in names}
    for planned in sessions:
        if planned.id not in begun:
            continue
        for row in await groups.attendance(member, planned.id):
            table.setdefault(row.person, {})[planned.id] = row
            names[row.person] = row.name
    response = render(
        request,
        "group_attendance.html",
        follow=follow,
        group_id=member.group.id,
        group=member.state,
        sessions=sessions,
        begun=begun,
        table=table,
        names=names,
    )
    response.headers["cache-control"] = "no-store"
    return response


async def attendance_sheet(request: Request) -> Response:
    """One session's sheet, once it has begun: a printable page (with the facilitator's
    confirmations) or CSV for a spreadsheet."""
    member = await _reader(request, facilitators_only=True)
    session_id = request.path_params["session_id"]
    if member is None:
        return page_message(request, "page.forbidden", 403)
    follow = member.follow("sheet")
    groups = groups_of(request)
    planned = member.state.sessions.get(session_id)
    if planned is None or planned.erased_at is not None or planned.cancelled:
        return page_message(request, "page.not_found", 404)
    begun = await groups.begun(member.state)
    if session_id not in begun:
        return page_message(request, "sheet.not_begun", 404)
    rows = await groups.attendance(member, session_id)
    zone = member.state.time_zone
    number = (await _numbers(request, member, begun))[session_id]
    if request.path_params.get("format") == "csv":
        # A download is a copy, logged for the facilitators first. (The printable page
        # is not: it follows the group live, and would log itself at every change.)
        await groups.record_copy(
            member.group, member.person, ExportedRecord.ATTENDANCE_SHEET, session=session_id
        )
        lang = language(request)
        start = _iso_date(planned.date, zone)
        lines = [_sheet_line(row, start, zone, lang) for row in rows]
        headers = [message(lang, f"sheet.{column}") for column in COLUMNS]
        title = message(lang, "calendar.summary", name=member.state.name, number=number)
        body = attendance_csv(member.state.name, title, start, headers, lines)
        filename = f"presences-{session_id}.csv"
        return _download(body, "text/csv; charset=utf-8", filename)
    response = render(
        request,
        "group_sheet.html",
        follow=follow,
        group_id=member.group.id,
        group=member.state,
        planned=planned,
        number=number,
        rows=rows,
    )
    response.headers["cache-control"] = "no-store"
    return response


def _sheet_line(row: AttendanceRow, date: str, zone: str, lang: str) -> SheetLine:
    return SheetLine(
        name=row.name,
        role=message(lang, f"group.role.{row.role.value}"),
        date=date,
        arrived=_iso(row.arrived, zone),
        left=_iso(row.left, zone),
        minutes=round(row.seconds / 60),
        status=message(lang, f"attendance.{row.status.value}"),
        note=row.note,
        confirmed_by=row.confirmed_by,
        confirmed_at=_iso(row.confirmed_at, zone),
        self_confirmed_at=_iso(row.self_confirmed_at, zone),
    )


def _iso(moment: float | None, zone: str) -> str:
    """A moment in ISO 8601, in the group's time zone with its offset; "" if none."""
    if moment is None:
        return ""
    return datetime.fromtimestamp(moment, ZoneInfo(zone)).isoformat(timespec="seconds")


def _iso_date(local: str, zone: str) -> str:
    """A planned local "YYYY-MM-DDTHH:MM" in ISO 8601 with the zone's offset that day."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).isoformat()


# --- the journal ----------------------------------------------------------------------------


async def journal(request: Request) -> Response:
    """What each session kept (its takeaways), in the cycle's order: the group's page,
    or — for a facilitator — a Markdown export."""
    member = await _reader(request)
    if member is None:
        return page_message(request, "page.forbidden", 403)
    follow = member.follow("journal")
    history = await groups_of(request).history(member)
    kept = journal_of(history)
    if request.path_params.get("format") == "md":
        if member.role is not GroupRole.FACILITATOR:
            return page_message(request, "page.forbidden", 403)
        await groups_of(request).record_copy(member.group, member.person, ExportedRecord.JOURNAL)
        lang = language(request)
        lines = [f"# {md_text(message(lang, 'journal.title'))} — {md_text(member.state.name)}", ""]
        for situation in kept:
            day = planned_date(lang, situation.date)
            lines += [f"## {md_text(day)} — {md_text(situation.title)}", ""]
            lines += [f"- {md_text(text)}" for text in situation.takeaways] + [""]
            if situation.weather:
                lines += [f"### {md_text(message(lang, 'weather.record'))}", ""]
                lines += [
                    f"- {mood_words(lang, mood)} — {md_text(word)}"
                    for mood, word in situation.weather
                ] + [""]
        body = ("\n".join(lines).rstrip() + "\n").encode()
        return _download(body, "text/markdown; charset=utf-8", f"journal-{member.group.id}.md")
    response = render(
        request,
        "group_journal.html",
        follow=follow,
        group_id=member.group.id,
        group=member.state,
        kept=kept,
        facilitator=member.role is GroupRole.FACILITATOR,
    )
    response.headers["cache-control"] = "no-store"
    return response
