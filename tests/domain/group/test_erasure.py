"""Erasing a session takes the situation its narrator handed to it out of the group's
log: the events that hold its words are rewritten in place, and the fold drops it."""

from __future__ import annotations

import msgpack

from room.domain.group import GroupEvent, fold, handed_draft
from room.domain.group import commands as g
from room.domain.group import events as ev
from tests.domain.group.table import Table, gathered

MARK = "MARQUE"  # in every text of the drafts that must go, and nowhere else


def planned() -> Table:
    """The gathered group: Claire narrates s1 and s3, Karim s2."""
    t = gathered()
    t.do("nadia", g.PlanSession(session="s1", date="2025-01-14T09:30", narrator="claire"))
    t.do("nadia", g.PlanSession(session="s2", date="2025-02-11T09:30", narrator="karim"))
    t.do("nadia", g.PlanSession(session="s3", date="2025-03-11T09:30", narrator="claire"))
    return t


def save(t: Table, author: str, draft: str, words: str) -> None:
    t.do(
        author,
        g.SaveDraft(
            draft=draft,
            title=f"Titre {words}",
            context=f"Contexte {words}",
            problem=f"Problème {words}",
            question=f"Question {words}",
            request=f"Demande {words}",
        ),
    )


def numbered(events: list[GroupEvent]) -> list[tuple[int, GroupEvent]]:
    return list(enumerate(events, 1))


def erase(t: Table, session: str) -> dict[int, ev.DraftSaved]:
    """What the server does: rewrite the log's events that hold the handed draft, then
    record the erasure. Returns the rewrites."""
    rewrites = handed_draft(numbered(t.events), session)
    t.events = [rewrites.get(seq, event) for seq, event in numbered(t.events)]
    t.do("nadia", g.EraseSession(session=session))
    return rewrites


def holding(events: list[GroupEvent], words: str) -> list[int]:
    """The seqs of the events whose stored bytes hold ``words``."""
    needle = words.encode()
    return [seq for seq, e in numbered(events) if needle in msgpack.packb(e.to_plain())]


def saves_of(t: Table, draft: str) -> list[int]:
    return [s for s, e in numbered(t.events) if isinstance(e, ev.DraftSaved) and e.draft == draft]


def test_erasing_a_session_erases_the_draft_handed_to_it() -> None:
    """Every save of Claire's draft handed to s1, before and after she handed it, is
    rewritten under its seq: same author, date and id, no words, marked erased. The log
    folds to the state the live group reached, in which the draft is gone; Karim's
    draft, handed to s2, is whole."""
    t = planned()
    save(t, "claire", "d1", MARK)
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    save(t, "claire", "d1", f"{MARK} v2")
    save(t, "karim", "d2", "de Karim")
    t.do("karim", g.UseDraft(draft="d2", session="s2"))
    before = list(t.events)
    assert holding(before, MARK) == saves_of(t, "d1")

    rewrites = erase(t, "s1")

    assert sorted(rewrites) == saves_of(t, "d1")
    for seq, rewritten in rewrites.items():
        original = before[seq - 1]
        assert isinstance(original, ev.DraftSaved)
        assert (rewritten.at, rewritten.by, rewritten.draft) == (original.at, "claire", "d1")
        assert rewritten.erased and not original.erased
        texts = (rewritten.title, rewritten.context, rewritten.problem, rewritten.question)
        assert texts == ("", "", "", "") and rewritten.request == ""
    assert holding(t.events, MARK) == []
    assert len(t.events) == len(before) + 1  # gapless: only SessionErased was added
    assert "d1" not in t.state.drafts and t.state.drafts["d2"].title == "Titre de Karim"
    assert t.refolded() == t.state
    assert t.state.sessions["s1"].erased_at is not None


def test_a_retried_erasure_rewrites_the_same_events_to_the_same_bytes() -> None:
    """Asked again of the rewritten log (the erasure failed before it was recorded), the
    rewrite names the same events with the same contents: the retry scrubs them again."""
    t = planned()
    save(t, "claire", "d1", MARK)
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    rewrites = handed_draft(numbered(t.events), "s1")
    rewritten = [rewrites.get(seq, event) for seq, event in numbered(t.events)]
    assert handed_draft(numbered(rewritten), "s1") == rewrites
    assert fold(rewritten).drafts["d1"].used_in == "s1"  # still there until recorded


def test_a_draft_deleted_after_it_was_handed_goes_too() -> None:
    """Deleted by its author after she handed it, the draft's words are still in the log:
    they go with the session."""
    t = planned()
    save(t, "claire", "d1", MARK)
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    t.do("claire", g.DeleteDraft(draft="d1"))
    assert sorted(erase(t, "s1")) == saves_of(t, "d1")
    assert holding(t.events, MARK) == []
    assert t.refolded() == t.state


def test_a_draft_handed_on_to_another_session_is_that_session_s() -> None:
    """Claire hands her draft to s1, then to s3: erasing s1 leaves it whole; erasing s3
    takes it."""
    t = planned()
    save(t, "claire", "d1", MARK)
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    t.do("claire", g.UseDraft(draft="d1", session="s3"))
    assert erase(t, "s1") == {}
    assert t.state.drafts["d1"].used_in == "s3" and holding(t.events, MARK)
    assert sorted(erase(t, "s3")) == saves_of(t, "d1")
    assert holding(t.events, MARK) == [] and t.state.drafts == {}
    assert t.refolded() == t.state


def test_a_session_with_no_draft_handed_to_it_erases_no_draft() -> None:
    """Erasing a session nothing was handed to rewrites nothing and keeps every draft,
    one being written for it included."""
    t = planned()
    save(t, "claire", "d1", "gardé")
    save(t, "karim", "d2", "gardé aussi")
    t.do("karim", g.UseDraft(draft="d2", session="s2"))
    drafts = t.state.drafts
    assert erase(t, "s1") == {}
    assert t.state.drafts == drafts


def test_an_id_saved_again_after_an_erasure_is_another_draft() -> None:
    """Once s1 took Claire's d1, the id saved again starts a new draft: erasing Karim's
    s2 leaves it, and erasing s3, to which the new one was handed, takes only its own
    saves (the first draft's are erased already)."""
    t = planned()
    save(t, "claire", "d1", "premier")
    t.do("claire", g.UseDraft(draft="d1", session="s1"))
    first = saves_of(t, "d1")
    erase(t, "s1")
    save(t, "claire", "d1", MARK)
    assert t.state.drafts["d1"].used_in is None
    assert erase(t, "s2") == {}
    assert holding(t.events, MARK)
    t.do("claire", g.UseDraft(draft="d1", session="s3"))
    rewrites = erase(t, "s3")
    assert sorted(rewrites) == [seq for seq in saves_of(t, "d1") if seq not in first]
    assert holding(t.events, MARK) == [] and holding(t.events, "premier") == []
    assert t.refolded() == t.state
