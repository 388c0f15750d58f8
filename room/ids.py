"""Ids the server chooses. A log's id says what it holds: ``s…`` a session's events,
``g…`` a group's; both live in the same store, side by side."""

from __future__ import annotations

import secrets

SESSION = "s"
GROUP = "g"
PERSON = "p"  # a participant of a session, or a person of a group: the same id in both


def new_id(prefix: str) -> str:
    return prefix + secrets.token_hex(6)


def is_group(log_id: str) -> bool:
    return log_id.startswith(GROUP)


def is_session(log_id: str) -> bool:
    return log_id.startswith(SESSION)
