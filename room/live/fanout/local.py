"""One process: every notice would be to itself, so the fan-out does nothing."""

from __future__ import annotations

from room.live.fanout.base import Changed, Fanout, Heard


class LocalFanout(Fanout):
    worker = "local"
    alive = True  # nobody else appends: there is nothing to miss
    backend = "sqlite"

    async def start(self, heard: Heard, changed: Changed) -> None:
        pass

    async def close(self) -> None:
        pass

    async def follow(self, log_id: str) -> None:
        pass

    async def unfollow(self, log_id: str) -> None:
        pass

    async def announce(self, log_id: str, seq: int) -> None:
        pass

    async def arrive(self, log_id: str, participant: str) -> bool:
        return True  # this process holds every socket there is

    async def depart(self, log_id: str, participant: str) -> bool:
        return True

    async def present(self, log_id: str, participants: list[str]) -> set[str]:
        return set()  # this process just started: nobody has a socket yet
