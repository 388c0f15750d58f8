"""Checks of user text shared by every aggregate: limits, control characters, ids.

A display name (a session's participant, a group's person or applicant) is one line
of at most 80 characters, stripped first of the bidirectional embeddings, overrides
and isolates (U+202A–U+202E, U+2066–U+2069): in a name, one would reverse whatever is
shown after it — the rest of the line, a contribution. Texts keep them as written
(a writer of Hebrew or Arabic may need them); wherever a name or a text is shown, it
is isolated from what surrounds it.

The wire has its own byte limits in front of these.
"""

from __future__ import annotations

import re

from room.domain.errors import Code, DomainError

# The server itself, acting for no participant (presence, creation, the public form):
# an id no person may take.
SYSTEM = "system"

# The languages a person may be written to in (room/i18n.py reads the same), French first.
LANGUAGES = ("fr", "en")

# Limits, in characters.
ID_MAX = 64
NAME_MAX = 80
TITLE_MAX = 200
TEXT_MAX = 5000

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\t]")
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


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


def checked_name(field: str, value: str) -> str:
    """A display name: its bidirectional controls dropped, then one line, filled,
    within NAME_MAX (a name of nothing but such controls is empty)."""
    return checked_text(field, BIDI_CONTROLS.sub("", value), NAME_MAX, lines=False)


def checked_identifier(field: str, value: str) -> str:
    """An id a client chose: short, printable, never the server's own name."""
    if not value or len(value) > ID_MAX or not value.isprintable() or value == SYSTEM:
        raise DomainError(Code.INVALID, field=field)
    return value
