"""What facilitators, members and the server (SYSTEM) ask of a group.

Group commands are their own family: a group command never decodes as a session
command, nor the other way round. Ids of new things (people, applications, planned
sessions, drafts) are chosen by the server, as the session's are.
"""

from __future__ import annotations

from dataclasses import dataclass

from room.domain.group.state import (
    DEFAULT_MINUTES,
    DEFAULT_SESSIONS,
    DEFAULT_TIME_ZONE,
    Answer,
    Attendance,
    ExportedRecord,
    GroupRole,
)
from room.domain.messages import Message


class GroupCommand(Message, family=True):
    pass


# --- the group, its charter and its public page ---------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CreateGroup(GroupCommand):
    """By SYSTEM. The first facilitator wrote the charter, so they are admitted with it."""

    type = "create_group"
    name: str
    facilitator: str  # the first facilitator's person id
    facilitator_name: str
    facilitator_email: str = ""
    facilitator_lang: str = "fr"  # the language the founder is written to in
    rules: tuple[str, ...]  # the charter's first version: the flyer's rules, by default
    sessions: int = DEFAULT_SESSIONS
    minutes: int = DEFAULT_MINUTES
    time_zone: str = DEFAULT_TIME_ZONE


@dataclass(frozen=True, kw_only=True)
class EditGroup(GroupCommand):
    """Rename the group, change its cycle or its time zone."""

    type = "edit_group"
    name: str
    sessions: int
    minutes: int
    time_zone: str


@dataclass(frozen=True, kw_only=True)
class EditCharter(GroupCommand):
    """A new version of the charter; everyone else accepts it again."""

    type = "edit_charter"
    rules: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class EditPresentation(GroupCommand):
    type = "edit_presentation"
    objectives: str = ""
    method: str = ""
    prerequisites: str = ""
    schedule: str = ""


@dataclass(frozen=True, kw_only=True)
class SetPublished(GroupCommand):
    """Open or close the public page, and with it the application form."""

    type = "set_published"
    published: bool


# --- people ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InvitePerson(GroupCommand):
    type = "invite_person"
    person: str
    name: str
    email: str = ""
    role: GroupRole = GroupRole.MEMBER
    lang: str = "fr"  # the language they are written to in


@dataclass(frozen=True, kw_only=True)
class AcceptCharter(GroupCommand):
    """By the person themself; ``version`` names the text they were shown."""

    type = "accept_charter"
    version: int


@dataclass(frozen=True, kw_only=True)
class CorrectPerson(GroupCommand):
    """By the person themself: their name and address as they want them written (the
    right to rectification). An empty address says "write to me no more"."""

    type = "correct_person"
    name: str
    email: str = ""


@dataclass(frozen=True, kw_only=True)
class AdmitPerson(GroupCommand):
    """A facilitator admits a waiting member, recording the preliminary discussion."""

    type = "admit_person"
    person: str
    note: str


@dataclass(frozen=True, kw_only=True)
class RemovePerson(GroupCommand):
    type = "remove_person"
    person: str


# --- applications from the public page ------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ReceiveApplication(GroupCommand):
    """By SYSTEM, from the public form (rate limits are the server's business)."""

    type = "receive_application"
    application: str
    name: str
    email: str
    practice: str
    lang: str = "fr"  # the language of the page they applied from


@dataclass(frozen=True, kw_only=True)
class NoteApplication(GroupCommand):
    type = "note_application"
    application: str
    note: str


@dataclass(frozen=True, kw_only=True)
class InviteApplicant(GroupCommand):
    type = "invite_applicant"
    application: str
    person: str  # the new person's id


@dataclass(frozen=True, kw_only=True)
class DeclineApplication(GroupCommand):
    type = "decline_application"
    application: str


# --- sessions of the group ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PlanSession(GroupCommand):
    type = "plan_session"
    session: str
    date: str  # "YYYY-MM-DDTHH:MM", local to the group's time zone
    narrator: str
    same_date: bool = False  # the facilitator means it: two sessions at one time


@dataclass(frozen=True, kw_only=True)
class ReplanSession(GroupCommand):
    type = "replan_session"
    session: str
    date: str
    narrator: str
    same_date: bool = False


@dataclass(frozen=True, kw_only=True)
class CancelSession(GroupCommand):
    """A planned session that will not be held: it leaves the cycle (numbering,
    attendance, history, "the previous session"). One that began cannot be cancelled."""

    type = "cancel_session"
    session: str


# --- a member's drafts ----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SaveDraft(GroupCommand):
    """Create the draft, or replace the text of one's own."""

    type = "save_draft"
    draft: str
    title: str
    context: str = ""
    problem: str = ""
    question: str = ""
    request: str = ""


@dataclass(frozen=True, kw_only=True)
class DeleteDraft(GroupCommand):
    type = "delete_draft"
    draft: str


@dataclass(frozen=True, kw_only=True)
class UseDraft(GroupCommand):
    """The narrator hands their draft to the session they narrate."""

    type = "use_draft"
    draft: str
    session: str


# --- the calendar, built with the group -------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ProposeSlots(GroupCommand):
    """Dates for the members to answer; opens the poll if it was closed."""

    type = "propose_slots"
    dates: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class AnswerSlot(GroupCommand):
    type = "answer_slot"
    slot: str
    answer: Answer


@dataclass(frozen=True, kw_only=True)
class FixSlot(GroupCommand):
    """The facilitator fixes a proposed date: that is planning the session, with its
    narrator."""

    type = "fix_slot"
    slot: str
    session: str  # the new session's id, chosen by the server
    narrator: str
    same_date: bool = False


@dataclass(frozen=True, kw_only=True)
class ClosePoll(GroupCommand):
    type = "close_poll"


# --- between sessions -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PostMessage(GroupCommand):
    """A message in the group's thread: a member asks for help, others answer."""

    type = "post_message"
    text: str
    reply_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfirmAttendance(GroupCommand):
    """A facilitator's word on one person's attendance, for the funder."""

    type = "confirm_attendance"
    session: str
    person: str
    status: Attendance
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class ConfirmPresence(GroupCommand):
    """A person's own word, from their own link, that they attended a session: the
    participant's signature funders ask for beside the facilitator's."""

    type = "confirm_presence"
    session: str


# --- personal data: how long it is kept, who took a copy ------------------------------------


@dataclass(frozen=True, kw_only=True)
class SetRetention(GroupCommand):
    """How many months after its last held session (or its creation, if it never met)
    the group and its sessions are erased."""

    type = "set_retention"
    months: int


@dataclass(frozen=True, kw_only=True)
class RecordExport(GroupCommand):
    """By SYSTEM, as a download is served: who took which record of the group, for the
    facilitators' log of copies."""

    type = "record_export"
    person: str  # who downloaded it
    record: ExportedRecord
    session: str = ""  # the session it is of, if any
    subject: str = ""  # whose data, for an access export made by a facilitator


# --- erasure ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EraseSession(GroupCommand):
    """The session's content is erased from the store; the group keeps that it was."""

    type = "erase_session"
    session: str


@dataclass(frozen=True, kw_only=True)
class EraseGroup(GroupCommand):
    """Everything of the group — its log, its sessions, its links — is erased."""

    type = "erase_group"
