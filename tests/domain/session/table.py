"""A session at a table: state, clock and events for domain tests."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from room.domain.errors import DomainError
from room.domain.session import SYSTEM, Command, Event, State, decide, evolve, fold
from room.domain.session import commands as c
from room.domain.session import events as ev
from room.domain.session.roles import Kind, Role


@dataclass
class Table:
    """One session, driven command by command, with a clock that only moves forward."""

    state: State = field(default_factory=State)
    now: float = 1_000.0
    events: list[Event] = field(default_factory=list)

    def do(self, actor: str, command: Command, after: float = 1.0) -> list[Event]:
        self.now += after
        new = decide(self.state, actor, command, self.now)
        for event in new:
            self.state = evolve(self.state, event)
        self.events += new
        return new

    def refused(self, actor: str, command: Command, after: float = 1.0) -> DomainError:
        """The refusal ``command`` meets; fails the test if it is accepted."""
        before = self.state
        self.now += after
        try:
            decide(self.state, actor, command, self.now)
        except DomainError as error:
            assert self.state is before
            return error
        raise AssertionError(f"{command} by {actor} was accepted")

    def post(self, actor: str, kind: Kind, text: str = "", **more: object) -> str:
        body = more.pop("body", None) or {"text": text}
        event = self.do(actor, c.Post(kind=kind, body=body, **more))[0]  # type: ignore[arg-type]
        assert isinstance(event, ev.ContributionPosted)
        return event.contribution.id

    def to(self, phase: str) -> list[Event]:
        return self.do("nadia", c.GoToPhase(phase=phase))

    def refolded(self) -> State:
        return fold(self.events)


CAST = [
    ("claire", "Claire Moreau", Role.NARRATOR),
    ("karim", "Karim Haddad", Role.MEMBER),
    ("sophie", "Sophie Lefèvre", Role.MEMBER),
    ("aicha", "Aïcha Traoré", Role.MEMBER),
    ("thomas", "Thomas Girard", Role.OBSERVER),
    ("louis", "Louis Martin", Role.FACILITATOR),
]


def seated(template: str = "flyer", *, follow_up_by: str = "", auto_timer: bool = True) -> Table:
    """A created session with its facilitator Nadia and the whole cast; with
    ``follow_up_by``, the second session of a group, following "s1" narrated by them;
    with ``auto_timer`` False, one whose countdowns the facilitator starts."""
    table = Table()
    create = c.CreateSession(
        template=template,
        title="Séance 2",
        facilitator="nadia",
        name="Nadia",
        auto_timer=auto_timer,
    )
    if follow_up_by:
        create = replace(create, group="g1", follows="s1", follow_up_by=follow_up_by)
    table.do(SYSTEM, create)
    for participant, name, role in CAST:
        table.do("nadia", c.AddParticipant(participant=participant, name=name, role=role))
    return table
