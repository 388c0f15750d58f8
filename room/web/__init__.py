"""The app's HTTP and WebSocket face, on Starlette.

- ``session/`` — one session: its pages, its JSON API, its WebSocket, the demonstration.
- ``group/`` — a group: its pages and forms, its API, its socket ("now at seq N"), the
  cycle's pages (calendar, attendance, journal), and what a group command means beyond
  the group (links, its sessions' rosters).
- Beside them, what both use: ``routes.py`` (the one list of routes), ``services.py``
  (the store, the hub and the acts pages and API share), ``auth.py`` (links, cookies,
  bearer), ``security.py`` (headers, Origin), ``endpoints.py`` (reading bodies,
  answering errors), ``templating.py`` (Jinja2 pages), ``ratelimit.py``, ``redact.py``.
"""
