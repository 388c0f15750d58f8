"""The rules, as pure Python: two aggregates, each an event log folded into state.

- ``session/`` — one co-development session: the method's steps, the token, the floor,
  contributions, what each participant may do.
- ``group/`` — a practice-exchange group over its cycle: charter, people, planning.
- ``cycle.py`` — what a group reads of its sessions (the one module that knows both).
- ``errors.py``, ``messages.py``, ``plain.py``, ``text.py`` — what both share: refusal
  codes, the command and event base, the plain-data converter, checks of user text.

No I/O lives here: no asyncio, no Starlette, no Redis, no SQLite, no clock. The server
hands every command its ``now``; the domain answers with events or a refusal.
"""
