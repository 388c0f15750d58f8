"""The rules of a co-development session, as pure Python.

No I/O lives here: no asyncio, no Starlette, no Redis, no SQLite, no clock. The
server hands every command its ``now``; this package answers with events or a
refusal, folds events into state, and says what each participant may do.
"""

from room.domain.capabilities import allowed, next_change
from room.domain.commands import SYSTEM, Command
from room.domain.decide import decide, move_of
from room.domain.errors import Code, DomainError
from room.domain.events import Event
from room.domain.evolve import evolve, fold
from room.domain.plain import PlainDataError, from_plain, to_plain
from room.domain.roles import Kind, Role, Welcome
from room.domain.state import SCHEMA_VERSION, Contribution, State
from room.domain.templates import DEFAULT_TEMPLATE, TEMPLATES, Template

__all__ = [
    "DEFAULT_TEMPLATE",
    "SCHEMA_VERSION",
    "SYSTEM",
    "TEMPLATES",
    "Code",
    "Command",
    "Contribution",
    "DomainError",
    "Event",
    "Kind",
    "PlainDataError",
    "Role",
    "State",
    "Template",
    "Welcome",
    "allowed",
    "decide",
    "evolve",
    "fold",
    "from_plain",
    "move_of",
    "next_change",
    "to_plain",
]
