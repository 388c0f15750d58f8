"""The rules of a co-development group, as pure Python: a group is an aggregate of
events, as a session is.

A group lives across a cycle of sessions. Facilitators write its charter (each edit
a new version that everyone accepts again), its public page, invite people (by name,
or from an application the page received), admit them once their practice was
discussed, and plan sessions with a narrator each; members draft their situation
privately and hand it to the session they narrate. Same habits as ``room.domain.session``:
frozen dataclasses, plain data, stable refusal codes, guards shared by ``decide`` and
``allowed``; no I/O, no clock, no asyncio. The server stores the log and passes
``now``; it also owns what needs the world: links, time zones, rate limits.
"""

from room.domain.group.commands import GroupCommand
from room.domain.group.decide import Move, allowed, check_move, decide, move_of
from room.domain.group.erasure import handed_draft
from room.domain.group.events import GroupEvent
from room.domain.group.evolve import evolve, fold
from room.domain.group.state import (
    Application,
    ApplicationStatus,
    Charter,
    Cycle,
    Draft,
    GroupRole,
    Person,
    PlannedSession,
    Presentation,
    Rotation,
    State,
    Status,
    must_accept,
    ordered_sessions,
    previous_session,
    rotation,
    sees_content,
    session_at,
    session_number,
)
from room.domain.group.views import public_page, visible_group

__all__ = [
    "Application",
    "ApplicationStatus",
    "Charter",
    "Cycle",
    "Draft",
    "GroupCommand",
    "GroupEvent",
    "GroupRole",
    "Move",
    "Person",
    "PlannedSession",
    "Presentation",
    "Rotation",
    "State",
    "Status",
    "allowed",
    "check_move",
    "decide",
    "evolve",
    "fold",
    "handed_draft",
    "move_of",
    "must_accept",
    "ordered_sessions",
    "previous_session",
    "session_at",
    "session_number",
    "public_page",
    "rotation",
    "sees_content",
    "visible_group",
]
