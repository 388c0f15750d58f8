"""The rules of a co-development session, as pure Python.

The server hands every command its ``now``; this package answers with events or a
refusal, folds events into state, and says what each participant may do.
"""

from room.domain.errors import Code, DomainError
from room.domain.plain import PlainDataError, from_plain, to_plain
from room.domain.session.capabilities import allowed, next_change
from room.domain.session.commands import Command
from room.domain.session.decide import decide, move_of
from room.domain.session.events import Event
from room.domain.session.evolve import evolve, fold
from room.domain.session.roles import Kind, Role, Welcome
from room.domain.session.state import SCHEMA_VERSION, Contribution, State
from room.domain.session.templates import DEFAULT_TEMPLATE, TEMPLATES, Template
from room.domain.text import SYSTEM

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
