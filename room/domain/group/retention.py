"""How long a group is kept: a number of months after its last held session, or after
its creation if it never met.

Pure: the server turns the local date this returns into a moment in the group's time
zone, adds the months with ``months_after``, and erases the group once that has
passed (room.live.retention).
"""

from __future__ import annotations

from collections.abc import Container
from datetime import date, datetime, timedelta

from room.domain.group.state import State


def last_held(state: State, held: Container[str]) -> str | None:
    """The local date, "YYYY-MM-DDTHH:MM", of the latest session that was held (``held``
    holds the ids of those that began; an erased one was held, cancelled ones were
    not); None if the group never met."""
    dates = [
        s.date
        for s in state.sessions.values()
        if not s.cancelled and (s.id in held or s.erased_at is not None)
    ]
    return max(dates, default=None)


def months_after(moment: datetime, months: int) -> datetime:
    """The same wall-clock time ``months`` calendar months later; a day the month lacks
    (31 March plus one month) is its last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, _days_in(year, month))
    return moment.replace(year=year, month=month, day=day)


def _days_in(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day
