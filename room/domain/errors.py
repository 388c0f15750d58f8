"""Why the domain refuses a command: a stable code and its parameters.

Human text is the catalogue's business (room/i18n), never the domain's.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Code(StrEnum):
    # Who and when: the move itself is not open to this actor now.
    NOT_PARTICIPANT = "not_participant"  # unknown or removed actor
    FORBIDDEN_ROLE = "forbidden_role"  # this role never does this here
    WRONG_PHASE = "wrong_phase"  # this role does this, but in another phase
    NOT_TOKEN_HOLDER = "not_token_holder"  # only the phase token's holder may
    NOT_YOUR_TURN = "not_your_turn"  # a round table is on and another member has the floor
    NOT_AUTHOR = "not_author"  # only a contribution's author may change it
    PHASE_CLOSED = "phase_closed"  # the contribution's phase is no longer the current one
    HIDDEN = "hidden"  # a hidden contribution cannot be edited (its text would travel)
    IN_USE = "in_use"  # answered question or cited proposal: edit it, do not withdraw it
    NO_PREVIOUS_SESSION = "no_previous_session"  # a group's first session has no follow-up
    HOLDER_PRESENT = "holder_present"  # the token holder has not been gone long enough
    SESSION_ENDED = "session_ended"
    WRITING_SILENTLY = "writing_silently"  # a silent round is open: members write drafts
    CONFLICT = "conflict"  # the state already is what the command asks for
    # A group's people (room.domain.group).
    CHARTER_REQUIRED = "charter_required"  # accept the group's current charter version first
    NOT_ADMITTED = "not_admitted"  # accepted the charter, but a facilitator has not admitted them
    # What: the command's own arguments are wrong.
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    DATE_TAKEN = "date_taken"  # another session of the group is planned at that very time


# Refusals about the arguments rather than about who acts and when. "What may I do
# now" answers the second question; the first depends on what is typed.
ARGUMENT_CODES = frozenset({Code.INVALID, Code.NOT_FOUND, Code.DATE_TAKEN})


class DomainError(Exception):
    """A command was refused; state is unchanged."""

    def __init__(self, code: Code, **params: Any) -> None:
        super().__init__(f"{code.value} {params}" if params else code.value)
        self.code = code  # stable, for clients and the catalogue
        self.params = params  # plain data the catalogue may quote

    @property
    def about_arguments(self) -> bool:
        return self.code in ARGUMENT_CODES
