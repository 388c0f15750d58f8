"""A group at a table: state, clock and events for the group's domain tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from room.domain.errors import Code, DomainError
from room.domain.group import GroupCommand, GroupEvent, GroupRole, State, decide, evolve, fold
from room.domain.group import commands as g
from room.domain.session import SYSTEM

# The codes the group's rules can refuse with; each is met in test_group.py.
GROUP_CODES = frozenset(
    {
        Code.NOT_PARTICIPANT,
        Code.FORBIDDEN_ROLE,
        Code.CHARTER_REQUIRED,
        Code.NOT_ADMITTED,
        Code.DATE_TAKEN,
        Code.NOT_AUTHOR,
        Code.CONFLICT,
        Code.INVALID,
        Code.NOT_FOUND,
    }
)

# The flyer's rules, shortened: the server passes the catalogue's.
RULES = (
    "Respecter la parole des membres du groupe (accueil).",
    "S'abstenir de juger.",
    "Respecter la confidentialité des échanges au sein du groupe.",
)


@dataclass
class Table:
    """One group, driven command by command, with a clock that only moves forward."""

    state: State = field(default_factory=State)
    now: float = 1_000.0
    events: list[GroupEvent] = field(default_factory=list)

    def do(self, actor: str, command: GroupCommand, after: float = 1.0) -> list[GroupEvent]:
        self.now += after
        new = decide(self.state, actor, command, self.now)
        for event in new:
            self.state = evolve(self.state, event)
        self.events += new
        return new

    def refused(self, actor: str, command: GroupCommand) -> DomainError:
        """The refusal ``command`` meets; fails the test if it is accepted."""
        before = self.state
        try:
            decide(self.state, actor, command, self.now + 1)
        except DomainError as error:
            assert self.state is before
            return error
        raise AssertionError(f"{command} by {actor} was accepted")

    def invite(self, person: str, name: str, role: GroupRole = GroupRole.MEMBER) -> None:
        email = f"{person}@example.org"
        self.do("nadia", g.InvitePerson(person=person, name=name, email=email, role=role))

    def accept(self, person: str) -> None:
        self.do(person, g.AcceptCharter(version=self.state.charter.version))

    def admit(self, person: str) -> None:
        self.do("nadia", g.AdmitPerson(person=person, note="Pratique discutée en visio."))

    def join(self, person: str, name: str) -> None:
        """Invited, accepted the charter, admitted."""
        self.invite(person, name)
        self.accept(person)
        self.admit(person)

    def refolded(self) -> State:
        return fold(self.events)


MEMBERS = [
    ("claire", "Claire Moreau"),
    ("karim", "Karim Haddad"),
    ("sophie", "Sophie Lefèvre"),
    ("aicha", "Aïcha Traoré"),
    ("thomas", "Thomas Girard"),
]


def founded() -> Table:
    """A group just created by the server for its facilitator Nadia."""
    table = Table()
    table.do(
        SYSTEM,
        g.CreateGroup(
            name="GEP QVCT Lyon",
            facilitator="nadia",
            facilitator_name="Nadia Benali",
            facilitator_email="nadia@example.org",
            rules=RULES,
        ),
    )
    return table


def gathered() -> Table:
    """The founded group with its five members admitted, in the order of MEMBERS."""
    table = founded()
    for person, name in MEMBERS:
        table.join(person, name)
    return table
