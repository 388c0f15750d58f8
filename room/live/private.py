"""What the room keeps for one participant alone, in the store's private texts: the
members' silent-round drafts and the narrator's notebook.

None of it enters the log, so no replay, snapshot or export for anyone else can carry
it; it goes only to its owner's own connections (a `drafts` or a `notes` frame). The
domain says what may be written (``written_draft``, ``written_notes``,
``marked_questions``); this keeps it, lists a round's drafts for its reveal, and
forgets them for real once the round is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgpack

from room import protocol
from room.domain.plain import from_plain, to_plain
from room.domain.session import State
from room.domain.session import commands as cmd
from room.domain.session import events as ev
from room.domain.session.decide import (
    dropped_draft,
    marked_questions,
    written_draft,
    written_notes,
)
from room.domain.session.silent import Draft, draft_key, round_key, round_of
from room.store import PrivateText, Store


@dataclass(frozen=True, slots=True)
class Drafts:
    """The drafts of one session's silent rounds."""

    session_id: str
    store: Store

    async def write(
        self, state: State, actor: str, command: cmd.WriteDraft | cmd.DropDraft, now: float
    ) -> list[Draft]:
        """Keep or drop one of ``actor``'s drafts of the open round; return all of theirs.
        Raises DomainError, keeping nothing, when the domain refuses it."""
        if isinstance(command, cmd.DropDraft):
            dropped = dropped_draft(state, actor, command, now)
            assert state.silent is not None  # the guard checked that a round is open
            # Not scrubbed now: the round's end scrubs what its drafts ever wrote.
            await self.store.forget_private(
                self.session_id, actor, draft_key(state.silent.number, dropped), scrub=False
            )
            return await self.of(state, actor)
        mine = await self.of(state, actor)  # none when no round is open: refused below
        others = sum(1 for draft in mine if draft.id != command.draft)
        draft = written_draft(state, actor, command, others, now)
        assert state.silent is not None  # written_draft checked that a round is open
        text = PrivateText(
            scope=self.session_id,
            owner=actor,
            key=draft_key(state.silent.number, draft.id),
            data=msgpack.packb(to_plain(draft), use_bin_type=True),
            at=now,
        )
        await self.store.keep_private(text)
        return [d for d in mine if d.id != draft.id] + [draft]

    async def of(self, state: State, participant: str) -> list[Draft]:
        """``participant``'s drafts of the open round, oldest written first."""
        if state.silent is None:
            return []
        return await self._listed(round_key(state.silent.number), participant)

    async def to_reveal(self, state: State) -> tuple[Draft, ...]:
        """Every draft of the open round, for its reveal."""
        if state.silent is None:
            return ()
        return tuple(await self._listed(round_key(state.silent.number)))

    async def after(self, events: list[ev.Event]) -> None:
        """Once a round is revealed or closed, its drafts are forgotten for real: the
        revealed ones live on in the log, the others nowhere."""
        for event in events:
            if isinstance(event, ev.SilentRoundRevealed | ev.SilentRoundClosed):
                await self.store.forget_private(self.session_id, path=round_key(event.number))

    async def sweep(self, state: State) -> None:
        """Forget the drafts of rounds that are over: left behind when a process died
        between a round's end and its forgetting."""
        open_round = state.silent.number if state.silent is not None else None
        texts = await self.store.private(self.session_id)
        over = {round_of(t.key) for t in texts} - {open_round, None}
        for number in sorted(n for n in over if n is not None):
            await self.store.forget_private(self.session_id, path=round_key(number))

    async def _listed(self, path: str, owner: str | None = None) -> list[Draft]:
        texts = await self.store.private(self.session_id, owner, path)
        return [from_plain(Draft, msgpack.unpackb(t.data, raw=False)) for t in texts]


def drafts_frame(state: State, drafts: list[Draft]) -> bytes:
    """The author's drafts of the open round, for their connections alone."""
    number = state.silent.number if state.silent is not None else 0
    plain: list[dict[str, Any]] = [
        {"id": d.id, "kind": d.kind.value, "body": d.body, "at": d.at} for d in drafts
    ]
    return protocol.drafts_frame(number, plain)


NOTES_KEY = "notes"  # the narrator's notes: their text, and the questions they marked


@dataclass(frozen=True, slots=True)
class Notebook:
    """The narrator's own notes on a session and the questions to come back to."""

    text: str = ""
    marked: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Notebooks:
    """The narrator's notebook of one session."""

    session_id: str
    store: Store

    async def write(
        self, state: State, actor: str, command: cmd.WriteNotes | cmd.MarkQuestion, now: float
    ) -> Notebook:
        """Change ``actor``'s notebook as ``command`` says; return it. Raises DomainError,
        changing nothing, when the domain refuses it."""
        kept = await self.of(actor)
        if isinstance(command, cmd.WriteNotes):
            notebook = Notebook(text=written_notes(state, actor, command, now), marked=kept.marked)
        else:
            marked = marked_questions(state, actor, command, kept.marked, now)
            notebook = Notebook(text=kept.text, marked=marked)
        data = msgpack.packb({"text": notebook.text, "marked": list(notebook.marked)})
        await self.store.keep_private(PrivateText(self.session_id, actor, NOTES_KEY, data, now))
        return notebook

    async def of(self, participant: str) -> Notebook:
        texts = await self.store.private(self.session_id, participant, NOTES_KEY)
        if not texts:
            return Notebook()
        plain = msgpack.unpackb(texts[0].data, raw=False)
        return Notebook(text=plain["text"], marked=tuple(plain["marked"]))


def notes_frame(notebook: Notebook) -> bytes:
    """The narrator's notebook, for their connections alone."""
    return protocol.notes_frame(notebook.text, list(notebook.marked))
