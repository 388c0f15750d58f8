"""What each reader may see of a group: the state, cut to the viewer.

Three circles. Facilitators bound by the current charter see the group's records,
applications, e-mails and attendance included. Admitted members bound by it see the
group's life: its people (no e-mails, no admission notes), its sessions, the calendar
poll, the thread, their own drafts.
Everyone else — invited, waiting, removed, asked to accept a new charter, strangers —
sees what the public may: the name, the cycle, the charter, the page if published.

Drafts are their author's alone, facilitators included: the issue has members draft
"privately", and a situation is the narrator's until they hand it to a session.
"""

from __future__ import annotations

from dataclasses import replace

from room.domain.group.state import GroupRole, Presentation, State, sees_content


def visible_group(state: State, viewer: str) -> State:
    """``state`` as ``viewer`` may read it."""
    if not sees_content(state, viewer):
        return _outside(state)
    drafts = {key: d for key, d in state.drafts.items() if d.author == viewer}
    if state.role_of(viewer) is GroupRole.FACILITATOR:
        return replace(state, drafts=drafts)
    people = {
        key: replace(p, email="", admission_note="", application=None)
        for key, p in state.people.items()
    }
    # Attendance is the facilitators' record for the funder; of it, a member sees their
    # own word that they came. The rest is the group's.
    presence = {s: {viewer: said[viewer]} for s, said in state.presence.items() if viewer in said}
    # The log of copies is the facilitators' record, as attendance is.
    return replace(
        state,
        people=people,
        applications={},
        drafts=drafts,
        attendance={},
        presence=presence,
        exports=(),
    )


def public_page(state: State) -> Presentation | None:
    """The page anyone may read, when a facilitator published it; never members,
    sessions or content, which a Presentation cannot hold."""
    return state.presentation if state.presentation.published else None


def _outside(state: State) -> State:
    """What someone outside the group's content may read: nothing of its members,
    sessions, applications or drafts."""
    return State(
        name=state.name,
        cycle=state.cycle,
        time_zone=state.time_zone,
        created_at=state.created_at,
        charter=state.charter,
        presentation=public_page(state) or Presentation(),
        retention_months=state.retention_months,  # the charter page tells it
    )
