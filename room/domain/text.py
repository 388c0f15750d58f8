"""Checks of user text shared by every aggregate: limits, control characters, ids.

The wire has its own byte limits in front of these.
"""

from __future__ import annotations

import re

from room.domain.errors import Code, DomainError

# The server itself, acting for no participant (presence, creation, the public form):
# an id no person may take.
SYSTEM = "system"

# Limits, in characters.
ID_MAX = 64
NAME_MAX = 80
TITLE_MAX = 200
TEXT_MAX = 5000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")


def checked_text(
    field: str, value: str, limit: int, *, required: bool = True, lines: bool = True
) -> str:
    """Check a user's text: within ``limit``, no control characters, filled if required."""
    if len(value) > limit:
        raise DomainError(Code.INVALID, field=field, limit=limit)
    if _CONTROL.search(value) or (not lines and _LINE_BREAK.search(value)):
        raise DomainError(Code.INVALID, field=field, reason="control_characters")
    if required and not value.strip():
        raise DomainError(Code.INVALID, field=field, reason="empty")
    return value


def checked_identifier(field: str, value: str) -> str:
    """An id a client chose: short, printable, never the server's own name."""
    if not value or len(value) > ID_MAX or not value.isprintable() or value == SYSTEM:
        raise DomainError(Code.INVALID, field=field)
    return value
