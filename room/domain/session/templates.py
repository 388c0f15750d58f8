"""Method templates: a session's ordered phases, as data.

Each phase says how long it lasts by default and what each role may post in it.
Rules that are not "who may post what, when" live in the decide module, so that a
template stays a table a facilitator could read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from room.domain.session.roles import Kind, Role

F, N, M = Role.FACILITATOR, Role.NARRATOR, Role.MEMBER


@dataclass(frozen=True)
class Phase:
    key: str  # stable identifier, stored in events
    minutes: int  # default time box; a facilitator may change it per session
    posts: Mapping[Role, frozenset[Kind]] = field(default_factory=dict)
    situation: bool = False  # the narrator writes the situation and the request here
    welcome: bool = False  # the narrator marks proposals kept / to explore / thanks here
    weather: bool = False  # the closing round: each member and the narrator give their weather

    @property
    def label(self) -> str:
        """Catalogue key of the phase's name."""
        return f"phase.{self.key}"

    def may_post(self, role: Role, kind: Kind) -> bool:
        return kind in self.posts.get(role, frozenset())


@dataclass(frozen=True)
class Template:
    key: str
    phases: tuple[Phase, ...]

    @property
    def label(self) -> str:
        return f"template.{self.key}"

    def phase(self, key: str) -> Phase:
        for phase in self.phases:
            if phase.key == key:
                return phase
        raise KeyError(key)

    def has_phase(self, key: str) -> bool:
        return any(phase.key == key for phase in self.phases)

    def index(self, key: str) -> int:
        return [phase.key for phase in self.phases].index(key)

    def kinds_for(self, role: Role) -> frozenset[Kind]:
        """Every kind this role may post in some phase."""
        return frozenset().union(*(phase.posts.get(role, frozenset()) for phase in self.phases))

    def posts_situation(self) -> bool:
        return any(phase.situation for phase in self.phases)

    def welcomes(self) -> bool:
        return any(phase.welcome for phase in self.phases)


def _kinds(*kinds: Kind) -> frozenset[Kind]:
    return frozenset(kinds)


# The flyer's method: the group's own. 10 + 15 + 25 + 30 + 35 + 15 + 20 = 150 min.
FLYER = Template(
    key="flyer",
    phases=(
        Phase("opening", 10, {M: _kinds(Kind.FOLLOW_UP)}),
        Phase("expose", 15, situation=True),
        Phase("questions", 25, {M: _kinds(Kind.QUESTION, Kind.HYPOTHESIS)}),
        Phase(
            "understanding",
            30,
            {
                N: _kinds(Kind.ANSWER, Kind.STATEMENT, Kind.REMARK),
                M: _kinds(Kind.REMARK),
                F: _kinds(Kind.REMARK),
            },
        ),
        Phase(
            "possibilities",
            35,
            {M: _kinds(Kind.PROPOSAL, Kind.SIMILAR_SITUATION)},
            welcome=True,
        ),
        Phase("action", 15, {N: _kinds(Kind.ACTION)}),
        Phase(
            "closing",
            20,
            {F: _kinds(Kind.TAKEAWAY), N: _kinds(Kind.TAKEAWAY), M: _kinds(Kind.TAKEAWAY)},
            weather=True,
        ),
    ),
)

# Payette & Champagne's six steps. 15 + 25 + 10 + 45 + 20 + 15 = 130 min, leaving
# room in a 2 h 30 slot for the welcome and a break.
SIX_STEP = Template(
    key="six_step",
    phases=(
        Phase("expose", 15, situation=True),
        Phase("clarifying", 25, {M: _kinds(Kind.QUESTION), N: _kinds(Kind.ANSWER)}),
        Phase("contract", 10, {N: _kinds(Kind.CONTRACT), M: _kinds(Kind.REFORMULATION)}),
        Phase(
            "consultation",
            45,
            {M: _kinds(Kind.PROPOSAL, Kind.SIMILAR_SITUATION), N: _kinds(Kind.OFF_CONTRACT)},
        ),
        Phase("synthesis", 20, {N: _kinds(Kind.ACTION)}, welcome=True),
        Phase(
            "learnings",
            15,
            {F: _kinds(Kind.TAKEAWAY), N: _kinds(Kind.TAKEAWAY), M: _kinds(Kind.TAKEAWAY)},
            weather=True,
        ),
    ),
)

TEMPLATES: dict[str, Template] = {template.key: template for template in (FLYER, SIX_STEP)}
DEFAULT_TEMPLATE = FLYER.key
