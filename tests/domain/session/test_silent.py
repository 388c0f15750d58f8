"""The silent round's own rules: the order a reveal lays drafts out in, and the turns
of the round table that reads them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from room.domain.session.roles import Kind
from room.domain.session.silent import Draft, reading_turns, reveal_order, round_of

ROSTER = ["nadia", "karim", "sofia", "amel"]


def draft(author: str, n: int) -> Draft:
    return Draft(
        id=f"d{n}", author=author, kind=Kind.QUESTION, body={"text": f"{author} {n}"}, at=n
    )


def test_rotation_reads_everyone_once_before_anyone_twice() -> None:
    """Karim wrote three, Sofia one, Amel two: the roster's order, turn after turn."""
    drafts = [draft("sofia", 5), draft("karim", 1), draft("amel", 2), draft("karim", 3)]
    drafts += [draft("karim", 4), draft("amel", 6)]
    laid = reveal_order(drafts, ROSTER, "rotation", seed=0)
    assert [(d.author, d.id) for d in laid] == [
        ("karim", "d1"),
        ("sofia", "d5"),
        ("amel", "d2"),
        ("karim", "d3"),
        ("amel", "d6"),
        ("karim", "d4"),
    ]


@given(
    counts=st.lists(st.integers(0, 4), min_size=len(ROSTER), max_size=len(ROSTER)),
    seed=st.integers(0, 2**32),
)
def test_a_shuffle_lays_out_every_draft_once_and_depends_on_its_seed_alone(
    counts: list[int], seed: int
) -> None:
    drafts = [draft(a, i * 10 + k) for i, a in enumerate(ROSTER) for k in range(counts[i])]
    laid = reveal_order(drafts, ROSTER, "shuffled", seed)
    assert sorted(laid, key=lambda d: d.id) == sorted(drafts, key=lambda d: d.id)
    assert reveal_order(list(reversed(drafts)), ROSTER, "shuffled", seed) == laid


def test_shuffles_of_different_seeds_differ() -> None:
    drafts = [draft(a, i) for i, a in enumerate(ROSTER * 3)]
    orders = {
        tuple(d.author for d in reveal_order(drafts, ROSTER, "shuffled", s)) for s in range(20)
    }
    assert len(orders) > 10


def test_the_round_table_gives_one_turn_to_each_run_of_one_authors_texts() -> None:
    turns = reading_turns([("karim", "c1"), ("karim", "c2"), ("sofia", "c3"), ("karim", "c4")])
    assert turns == [("karim", ["c1", "c2"]), ("sofia", ["c3"]), ("karim", ["c4"])]
    assert reading_turns([]) == []


def test_a_key_names_its_round_only_when_it_is_a_drafts() -> None:
    assert round_of("round/3/d1") == 3
    assert round_of("round/x/d1") is None
    assert round_of("notes/3/n1") is None
