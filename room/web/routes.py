"""Every route of the app, in one list: the session's pages, API and socket, then the
group's."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from room.web.group import access as access_pages
from room.web.group import api as group_api
from room.web.group import cycle as cycle_pages
from room.web.group import pages as group_pages
from room.web.group import socket as group_socket
from room.web.session import api, pages
from room.web.session.socket import session_socket

STATIC_DIR = Path(__file__).resolve().parents[2] / "static"


def routes() -> list[BaseRoute]:
    return [
        Route("/", pages.home, name="home"),
        Route("/sessions", pages.create, methods=["POST"], name="create"),
        Route("/demo", pages.demo, methods=["POST"], name="demo"),
        Route("/j/{secret}", pages.open_link, name="open_link"),
        Route("/s/{session_id}", pages.session_page, name="session_page"),
        Route("/s/{session_id}/charter", pages.accept_charter, methods=["POST"], name="charter"),
        Route("/s/{session_id}/export.{format:str}", pages.export, name="export"),
        Route("/s/{session_id}/erase", pages.erase_session, methods=["POST"], name="session_erase"),
        Route("/lang/{lang}", pages.choose_language, name="language"),
        Route("/groups", group_pages.create_group, methods=["POST"], name="create_group"),
        Route("/g/{group_id}", group_pages.group_page, name="group_page"),
        Route(
            "/g/{group_id}/charter",
            group_pages.accept_charter,
            methods=["POST"],
            name="group_charter",
        ),
        Route("/g/{group_id}/do", group_pages.act, methods=["POST"], name="group_act"),
        Route("/g/{group_id}/mail", group_pages.mail_copied, methods=["POST"], name="group_mail"),
        Route(
            "/g/{group_id}/people/{person}/link",
            group_pages.reissue,
            methods=["POST"],
            name="group_reissue",
        ),
        Route(
            "/g/{group_id}/people/{person}/export",
            access_pages.person_copy,
            name="person_copy",
        ),
        Route(
            "/g/{group_id}/people/{person}/export.{format:str}",
            access_pages.person_copy,
            name="person_copy_file",
        ),
        Route(
            "/g/{group_id}/sessions/{session_id}",
            group_pages.enter_session,
            name="group_session",
        ),
        Route("/g/{group_id}/history", group_pages.history_page, name="group_history"),
        Route("/g/{group_id}/calendar.ics", cycle_pages.calendar, name="group_calendar"),
        Route("/g/{group_id}/attendance", cycle_pages.attendance_table, name="group_attendance"),
        Route(
            "/g/{group_id}/sessions/{session_id}/attendance",
            cycle_pages.attendance_sheet,
            name="group_sheet",
        ),
        Route(
            "/g/{group_id}/sessions/{session_id}/attendance.{format:str}",
            cycle_pages.attendance_sheet,
            name="group_sheet_file",
        ),
        Route("/g/{group_id}/journal", cycle_pages.journal, name="group_journal"),
        Route("/g/{group_id}/journal.{format:str}", cycle_pages.journal, name="group_journal_file"),
        Route("/p/{group_id}", group_pages.public, methods=["GET", "POST"], name="public_page"),
        Route("/me", group_pages.my_space, name="my_space"),
        Route("/me/export", access_pages.my_copy, name="my_copy"),
        Route("/me/export.{format:str}", access_pages.my_copy, name="my_copy_file"),
        Route("/me/correct", access_pages.correct_me, methods=["POST"], name="correct_me"),
        WebSocketRoute("/s/{session_id}/ws", session_socket, name="session_socket"),
        WebSocketRoute("/g/{group_id}/ws", group_socket.group_socket, name="group_socket"),
        Route("/api/sessions", api.create_session, methods=["POST"]),
        Route("/api/me", api.me),
        Route("/api/sessions/{session_id}", api.session),
        Route("/api/sessions/{session_id}", api.erase, methods=["DELETE"]),
        Route("/api/sessions/{session_id}/charter", api.accept_charter, methods=["POST"]),
        Route("/api/sessions/{session_id}/cycle", api.cycle),
        Route("/api/sessions/{session_id}/invitations", api.invite, methods=["POST"]),
        Route("/api/sessions/{session_id}/invitations", api.invitations, methods=["GET"]),
        Route("/api/sessions/{session_id}/me/link", api.my_link, methods=["POST"]),
        Route(
            "/api/sessions/{session_id}/participants/{participant}/link",
            api.reissue,
            methods=["POST"],
        ),
        Route(
            "/api/sessions/{session_id}/participants/{participant}",
            api.remove,
            methods=["DELETE"],
        ),
        Route("/api/groups", group_api.create_group, methods=["POST"]),
        Route("/api/groups/{group_id}", group_api.group),
        Route("/api/groups/{group_id}/commands", group_api.command, methods=["POST"]),
        Route("/api/groups/{group_id}/people/{person}/link", group_api.reissue, methods=["POST"]),
        Route(
            "/api/groups/{group_id}/sessions/{session_id}/open",
            group_api.open_session,
            methods=["POST"],
        ),
        Route("/api/groups/{group_id}/history", group_api.group_history),
        Route("/healthz", api.healthz),
        Mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static"),
    ]
