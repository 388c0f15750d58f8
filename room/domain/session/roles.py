"""Who is in the room, and what a contribution can be."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A participant's role in one session: the server's record, never a link's claim."""

    FACILITATOR = "facilitator"
    NARRATOR = "narrator"
    MEMBER = "member"
    OBSERVER = "observer"


class Kind(StrEnum):
    """What a contribution is; the template says who may post which kind when."""

    FOLLOW_UP = "follow_up"  # the previous narrator: what became of their situation
    QUESTION = "question"
    HYPOTHESIS = "hypothesis"
    ANSWER = "answer"  # the narrator's, attached to one question
    STATEMENT = "statement"  # the narrator's values, intentions, expectations, stakes
    REMARK = "remark"  # the open exchange of step 2
    CONTRACT = "contract"  # six-step method: the narrator restates the help wanted
    REFORMULATION = "reformulation"  # six-step method: a member restates the contract
    PROPOSAL = "proposal"
    SIMILAR_SITUATION = "similar_situation"
    OFF_CONTRACT = "off_contract"  # six-step method: the narrator flags a drift
    ACTION = "action"  # the narrator's action plan: what, how, when
    TAKEAWAY = "takeaway"


class Welcome(StrEnum):
    """How the narrator welcomes a proposal: they receive it, never argue it."""

    KEPT = "kept"
    EXPLORE = "explore"
    THANKS = "thanks"


# The fields each kind's body carries, and which of them must be filled.
BODY_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.STATEMENT: ("values", "intentions", "expectations", "stakes"),
    Kind.ACTION: ("what", "how", "when"),
}
REQUIRED_FIELDS: dict[Kind, tuple[str, ...]] = {
    Kind.STATEMENT: (),  # at least one of the four; checked apart
    Kind.ACTION: ("what",),
}


def body_fields(kind: Kind) -> tuple[str, ...]:
    return BODY_FIELDS.get(kind, ("text",))


def required_fields(kind: Kind) -> tuple[str, ...]:
    return REQUIRED_FIELDS.get(kind, ("text",))
