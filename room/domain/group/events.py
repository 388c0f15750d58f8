"""What happened in a group: facts, in the order its log holds them.

As in a session, every event says when (``at``) and by whom (``by``), and carries
what a reader needs to fold it without the command that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass

from room.domain.group.state import Answer, Attendance, ExportedRecord, GroupRole
from room.domain.messages import Message


@dataclass(frozen=True, kw_only=True)
class GroupEvent(Message, family=True):
    at: float
    by: str


@dataclass(frozen=True, kw_only=True)
class GroupCreated(GroupEvent):
    """The group and its first charter; its founder follows as invited, then accepting."""

    type = "group_created"
    name: str
    sessions: int
    minutes: int
    time_zone: str
    rules: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class GroupEdited(GroupEvent):
    type = "group_edited"
    name: str
    sessions: int
    minutes: int
    time_zone: str


@dataclass(frozen=True, kw_only=True)
class CharterEdited(GroupEvent):
    """The new version; its editor accepts it by writing it."""

    type = "charter_edited"
    version: int
    rules: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class PresentationEdited(GroupEvent):
    type = "presentation_edited"
    objectives: str
    method: str
    prerequisites: str
    schedule: str


@dataclass(frozen=True, kw_only=True)
class PublishedSet(GroupEvent):
    type = "published_set"
    published: bool


@dataclass(frozen=True, kw_only=True)
class PersonInvited(GroupEvent):
    type = "person_invited"
    person: str
    name: str
    email: str
    role: GroupRole
    application: str | None = None
    lang: str = "fr"  # the language they are written to in (events before it: French)


@dataclass(frozen=True, kw_only=True)
class CharterAccepted(GroupEvent):
    """``by`` accepted ``version``: an invited member now waits, a facilitator is in."""

    type = "charter_accepted"
    version: int


@dataclass(frozen=True, kw_only=True)
class PersonAdmitted(GroupEvent):
    type = "person_admitted"
    person: str
    note: str


@dataclass(frozen=True, kw_only=True)
class PersonCorrected(GroupEvent):
    """``person`` (who is ``by``) corrected their name and address."""

    type = "person_corrected"
    person: str
    name: str
    email: str


@dataclass(frozen=True, kw_only=True)
class PersonRemoved(GroupEvent):
    type = "person_removed"
    person: str


@dataclass(frozen=True, kw_only=True)
class ApplicationReceived(GroupEvent):
    type = "application_received"
    application: str
    name: str
    email: str
    practice: str
    lang: str = "fr"


@dataclass(frozen=True, kw_only=True)
class ApplicationNoted(GroupEvent):
    type = "application_noted"
    application: str
    note: str


@dataclass(frozen=True, kw_only=True)
class ApplicantInvited(GroupEvent):
    """Follows the PersonInvited it caused: the application is closed by an invitation."""

    type = "applicant_invited"
    application: str
    person: str


@dataclass(frozen=True, kw_only=True)
class ApplicationDeclined(GroupEvent):
    type = "application_declined"
    application: str


@dataclass(frozen=True, kw_only=True)
class SessionPlanned(GroupEvent):
    type = "session_planned"
    session: str
    date: str
    narrator: str


@dataclass(frozen=True, kw_only=True)
class SessionReplanned(GroupEvent):
    type = "session_replanned"
    session: str
    date: str
    narrator: str


@dataclass(frozen=True, kw_only=True)
class SessionCancelled(GroupEvent):
    type = "session_cancelled"
    session: str


@dataclass(frozen=True, kw_only=True)
class DraftSaved(GroupEvent):
    """The author is ``by``. Erased (``erased``, every text empty) when the session it
    was handed to was erased: rewritten so in the log, under its seq."""

    type = "draft_saved"
    draft: str
    title: str
    context: str
    problem: str
    question: str
    request: str
    erased: bool = False


@dataclass(frozen=True, kw_only=True)
class DraftDeleted(GroupEvent):
    type = "draft_deleted"
    draft: str


@dataclass(frozen=True, kw_only=True)
class DraftUsed(GroupEvent):
    type = "draft_used"
    draft: str
    session: str


@dataclass(frozen=True, kw_only=True)
class SlotsProposed(GroupEvent):
    """The fold numbers the new slots t<n>, in order."""

    type = "slots_proposed"
    dates: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class SlotAnswered(GroupEvent):
    """``by`` answered."""

    type = "slot_answered"
    slot: str
    answer: Answer


@dataclass(frozen=True, kw_only=True)
class SlotFixed(GroupEvent):
    """Follows the SessionPlanned it caused."""

    type = "slot_fixed"
    slot: str
    session: str


@dataclass(frozen=True, kw_only=True)
class PollClosed(GroupEvent):
    type = "poll_closed"


@dataclass(frozen=True, kw_only=True)
class MessagePosted(GroupEvent):
    """The author is ``by``; the fold numbers it m<n>."""

    type = "message_posted"
    text: str
    reply_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class AttendanceConfirmed(GroupEvent):
    type = "attendance_confirmed"
    session: str
    person: str
    status: Attendance
    note: str


@dataclass(frozen=True, kw_only=True)
class PresenceConfirmed(GroupEvent):
    """``by`` says they attended."""

    type = "presence_confirmed"
    session: str


@dataclass(frozen=True, kw_only=True)
class RetentionSet(GroupEvent):
    type = "retention_set"
    months: int


@dataclass(frozen=True, kw_only=True)
class RecordExported(GroupEvent):
    """``person`` downloaded ``record`` (of ``session``; of ``subject``'s data). By
    SYSTEM, which served the download."""

    type = "record_exported"
    person: str
    record: ExportedRecord
    session: str = ""
    subject: str = ""


@dataclass(frozen=True, kw_only=True)
class SessionErased(GroupEvent):
    type = "session_erased"
    session: str


@dataclass(frozen=True, kw_only=True)
class GroupErased(GroupEvent):
    """The last event of a group: the server erases its log right after."""

    type = "group_erased"
