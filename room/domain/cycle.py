"""What a group's cycle reads of its sessions: each situation's request, its action
plan, what became of it, what each kept and its weather. Pure: it reads session states
the caller loaded, and never copies anything into the group, so an edit in a session
shows everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from room.domain.group.state import Attendance, GroupRole, Status, ordered_sessions
from room.domain.group.state import State as GroupState
from room.domain.session.attendance import Presence
from room.domain.session.roles import Kind, Role
from room.domain.session.state import State
from room.domain.session.visibility import visible_state


@dataclass(frozen=True, kw_only=True)
class Situation:
    """One session's situation as the group remembers it."""

    session: str
    date: str
    narrator: str  # the narrator's name
    opened: bool = False  # whether the session has started (it has a log)
    erased: bool = False  # a facilitator erased its content: only its date is left
    title: str = ""
    request: str = ""
    actions: tuple[dict[str, str], ...] = ()  # the action plan: what, how, when
    follow_ups: tuple[str, ...] = ()  # what the narrator told the next session
    takeaways: tuple[str, ...] = ()
    # The closing round's weather once revealed, mood (1 to 5) and word, without names:
    # the group's journal keeps how the session felt, not who said so.
    weather: tuple[tuple[int, str], ...] = ()

    @property
    def kept(self) -> bool:
        """Whether the journal has anything of this session: takeaways or its weather."""
        return bool(self.takeaways or self.weather)


@dataclass(frozen=True, kw_only=True)
class History:
    situations: list[Situation] = field(default_factory=list)


def situation(state: State, session: str, date: str, narrator: str) -> Situation:
    """The request and action plan of one session, as a member sees them (nothing
    hidden by the facilitators)."""
    shown = visible_state(state, Role.MEMBER)
    posted = [c for c in shown.contributions.values() if c.hidden is None]
    return Situation(
        session=session,
        date=date,
        narrator=narrator,
        opened=True,
        title=shown.situation.title if shown.situation else "",
        request=shown.situation.request if shown.situation else "",
        actions=tuple(dict(c.body) for c in posted if c.kind is Kind.ACTION),
        takeaways=tuple(c.body.get("text", "") for c in posted if c.kind is Kind.TAKEAWAY),
        weather=tuple((w.mood, w.word) for w in shown.weather.values() if w.mood),  # revealed
    )


def follow_ups(state: State) -> tuple[str, ...]:
    """The follow-up told at the opening of ``state``'s session, about the one it follows."""
    shown = visible_state(state, Role.MEMBER)
    return tuple(
        c.body.get("text", "")
        for c in shown.contributions.values()
        if c.kind is Kind.FOLLOW_UP and c.hidden is None
    )


def history(group: GroupState, sessions: Mapping[str, State]) -> History:
    """Each planned session of the group in order, with what its log holds, if it was
    opened, and the follow-up the next one recorded. ``sessions`` holds the opened ones."""
    told: dict[str, tuple[str, ...]] = {}
    for opened in sessions.values():
        if opened.follows:
            told[opened.follows] = told.get(opened.follows, ()) + follow_ups(opened)
    situations = []
    for planned in ordered_sessions(group):
        person = group.people.get(planned.narrator)
        name = person.name if person is not None else ""
        state = sessions.get(planned.id)
        if planned.erased_at is not None:
            entry = Situation(session=planned.id, date=planned.date, narrator=name, erased=True)
        elif state is None:
            entry = Situation(session=planned.id, date=planned.date, narrator=name)
        else:
            entry = situation(state, planned.id, planned.date, name)
        situations.append(Situation(**{**entry.__dict__, "follow_ups": told.get(planned.id, ())}))
    return History(situations=situations)


@dataclass(frozen=True, kw_only=True)
class AttendanceRow:
    """One person at one session, for the facilitators and the funder."""

    person: str
    name: str
    role: GroupRole
    arrived: float | None
    left: float | None
    seconds: float
    status: Attendance  # the facilitator's word if given, else what the log says
    confirmed: bool  # whether a facilitator confirmed it
    note: str = ""
    confirmed_at: float | None = None  # when the facilitator confirmed it
    confirmed_by: str = ""  # the name of the facilitator who did
    self_confirmed_at: float | None = None  # when the person confirmed their own presence


def attendance_rows(
    group: GroupState, session: str, presences: Mapping[str, Presence]
) -> list[AttendanceRow]:
    """The group's people at one session that began: everyone seated in it, and every
    admitted person who never came (absent unless excused). A session that has not
    begun has no rows: nobody is absent from what has not happened. Observers are the
    session's guests, not the group's members: they are not on the group's sheet."""
    confirmed = group.attendance.get(session, {})
    said = group.presence.get(session, {})
    rows = []
    for person in group.people.values():
        presence = presences.get(person.id)
        if presence is None and person.status is not Status.ADMITTED:
            continue  # neither seated nor a member now: not theirs to attend
        seconds = presence.seconds if presence is not None else 0.0
        word = confirmed.get(person.id)
        measured = Attendance.PRESENT if seconds > 0 else Attendance.ABSENT
        rows.append(
            AttendanceRow(
                person=person.id,
                name=person.name,
                role=person.role,
                arrived=presence.arrived if presence is not None else None,
                left=presence.left if presence is not None else None,
                seconds=seconds,
                status=word.status if word is not None else measured,
                confirmed=word is not None,
                note=word.note if word is not None else "",
                confirmed_at=word.at if word is not None else None,
                confirmed_by=_name(group, word.by) if word is not None else "",
                self_confirmed_at=said.get(person.id),
            )
        )
    return rows


def _name(group: GroupState, person: str) -> str:
    record = group.people.get(person)
    return record.name if record is not None else ""


def journal(history: History) -> list[Situation]:
    """The group's common culture, session by session: what each one kept, and how it
    felt (its weather)."""
    return [s for s in history.situations if s.kept]
