"""A sliding-window limit per client address, for the public form.

Held in this process's memory: enough to stop a flood from one address against one
worker; with several workers each counts its own share (at most N times the limit).
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimit:
    def __init__(
        self, allowed: int, per_seconds: float, clock: Callable[[], float], tracked: int = 10_000
    ) -> None:
        self.allowed = allowed  # attempts an address may make…
        self.per_seconds = per_seconds  # …within this many seconds
        self.clock = clock
        self.tracked = tracked  # addresses remembered; the least recent are forgotten
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def attempt(self, address: str) -> float:
        """Count an attempt from ``address``; 0 if it may go ahead, else the seconds to
        wait before the next one would."""
        now = self.clock()
        times = self._seen.pop(address, None) or deque()
        while times and times[0] <= now - self.per_seconds:
            times.popleft()
        self._seen[address] = times
        while len(self._seen) > self.tracked:
            self._seen.popitem(last=False)
        if len(times) >= self.allowed:
            return times[0] + self.per_seconds - now
        times.append(now)
        return 0.0
