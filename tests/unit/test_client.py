"""The client's pure parts: no server, no socket, no event loop."""

from __future__ import annotations

import functools

import msgpack
import pytest

from room.client import (
    BACKOFF_CAP,
    BACKOFF_FIRST,
    LIVED,
    Backoff,
    ProtocolError,
    SeqGap,
    accept_seq,
    backoff_delay,
    frames_of,
    parse_link,
    should_reconnect,
)
from room.protocol import Close


class TestParseLink:
    def test_plain_link(self) -> None:
        """A link gives the server's base URL and the secret after /j/."""
        link = parse_link("http://127.0.0.1:8000/j/s3cr3t")
        assert link.base_url == "http://127.0.0.1:8000"
        assert link.secret == "s3cr3t"
        assert link.headers == {"Authorization": "Bearer s3cr3t"}

    def test_path_prefix_is_kept(self) -> None:
        """A server behind a reverse proxy at /room keeps that prefix in the base URL."""
        link = parse_link("https://example.org/room/j/abc")
        assert link.base_url == "https://example.org/room"
        assert link.secret == "abc"

    def test_surrounding_whitespace_is_ignored(self) -> None:
        """A link pasted with a trailing newline still parses."""
        assert parse_link("  http://h:1/j/abc\n").secret == "abc"

    def test_ws_url(self) -> None:
        """The socket URL swaps http for ws (https for wss) and names the session."""
        assert parse_link("http://h:1/j/x").ws_url("S1") == "ws://h:1/s/S1/ws"
        assert parse_link("https://h/p/j/x").ws_url("a/b") == "wss://h/p/s/a%2Fb/ws"

    @pytest.mark.parametrize(
        "link",
        [
            "ftp://h/j/x",  # not http
            "http:///j/x",  # no host
            "http://h:1/x",  # no /j/
            "http://h:1/j/",  # no secret
            "http://h:1/j/a/b",  # more path after the secret
        ],
    )
    def test_bad_links_are_refused(self, link: str) -> None:
        """Anything but http(s)://HOST/…/j/SECRET raises ValueError quoting the link."""
        with pytest.raises(ValueError, match="expected"):
            parse_link(link)


class TestBackoff:
    def test_the_first_wait_is_anything_up_to_half_a_second(self) -> None:
        """Full jitter: retry 0 waits from nothing up to the first ceiling, 0.5 s."""
        assert BACKOFF_FIRST == 0.5
        assert backoff_delay(0, rand=lambda: 0.0) == 0.0
        assert backoff_delay(0, rand=lambda: 0.5) == pytest.approx(0.25)
        assert backoff_delay(0, rand=lambda: 1.0) == pytest.approx(0.5)

    def test_ceilings_double_until_thirty_seconds(self) -> None:
        """The ceiling doubles with each failed attempt, up to 30 s, and stays there."""
        assert BACKOFF_CAP == 30.0
        ceilings = [backoff_delay(n, rand=lambda: 1.0) for n in range(12)]
        assert ceilings[:6] == pytest.approx([0.5, 1, 2, 4, 8, 16])
        assert ceilings[6:] == pytest.approx([30.0] * 6)

    def test_every_delay_stays_within_bounds(self) -> None:
        """Whatever the attempt (even absurd ones) and the draw, 0 <= delay <= cap."""
        for attempt in (0, 1, 5, 40, 10_000):
            for draw in (0.0, 0.3, 0.999):
                delay = backoff_delay(attempt, rand=functools.partial(float, draw))
                assert 0 <= delay <= BACKOFF_CAP

    def test_jitter_spreads_clients(self) -> None:
        """Two clients retrying at the same attempt with different draws wait differently."""
        assert backoff_delay(3, rand=lambda: 0.1) != backoff_delay(3, rand=lambda: 0.9)

    def test_a_connection_ready_only_briefly_keeps_the_waits_growing(self) -> None:
        """A server that accepts, says ready, then closes at once (a worker that lost
        Redis) is not a success: the waits keep doubling, where resetting at each ready
        would retry at the first ceiling forever."""
        backoff = Backoff(rand=lambda: 1.0)
        waits = [backoff.ended(None), *(backoff.ended(0.2) for _ in range(5))]
        assert waits == pytest.approx([0.5, 1, 2, 4, 8, 16])

    def test_a_connection_that_lived_starts_the_waits_over(self) -> None:
        """After a connection that stayed ready LIVED seconds, the next wait is the
        first one again."""
        backoff = Backoff(rand=lambda: 1.0)
        for _ in range(4):
            backoff.ended(None)
        assert backoff.ended(LIVED) == pytest.approx(0.5)
        assert backoff.ended(None) == pytest.approx(1.0)


class TestSeq:
    def test_next_event_is_applied(self) -> None:
        """The event right after the held seq is accepted."""
        assert accept_seq(0, 1) is True
        assert accept_seq(41, 42) is True

    @pytest.mark.parametrize("incoming", [1, 5, 10])
    def test_duplicates_are_skipped(self, incoming: int) -> None:
        """An event at or before the held seq is skipped, not applied twice."""
        assert accept_seq(10, incoming) is False

    def test_a_gap_raises(self) -> None:
        """An event past the next one means events were lost: SeqGap says which."""
        with pytest.raises(SeqGap, match="held 3, expected 4, got 6") as caught:
            accept_seq(3, 6)
        assert (caught.value.held, caught.value.got) == (3, 6)


class TestCloseCodes:
    @pytest.mark.parametrize("code", [1001, 1006, 1011, 1012, Close.TOO_SLOW])
    def test_transient_codes_reconnect(self, code: int) -> None:
        """Going away, a lost link, a server error, a restart, or too slow: resume."""
        assert should_reconnect(code)

    @pytest.mark.parametrize(
        "code",
        [
            1000,
            Close.UNAUTHORIZED,
            Close.CHARTER_REQUIRED,
            Close.FORBIDDEN_ORIGIN,
            Close.ABUSE,
            Close.REMOVED,
            Close.NOT_FOUND,
        ],
    )
    def test_final_codes_end_the_client(self, code: int) -> None:
        """A refusal would be refused again: the client stops instead of retrying."""
        assert not should_reconnect(code)


class TestFramesOf:
    def test_one_frame(self) -> None:
        """A message from a server that does not batch is one frame."""
        assert frames_of(msgpack.packb({"t": "ev", "seq": 1})) == [{"t": "ev", "seq": 1}]

    def test_frames_back_to_back_come_out_in_order(self) -> None:
        """A batch is frames joined as they were queued; they come out in that order."""
        frames = [{"t": "ev", "seq": n} for n in range(1, 4)] + [{"t": "can", "moves": {}}]
        assert frames_of(b"".join(msgpack.packb(f) for f in frames)) == frames

    @pytest.mark.parametrize(
        "message",
        [b"", msgpack.packb({"t": "ev"})[:-1], msgpack.packb({"t": "ev"}) + b"\x82", b"\xc1"],
        ids=["empty", "cut", "cut-after-a-whole-frame", "not-msgpack"],
    )
    def test_bytes_that_are_not_whole_frames_are_refused(self, message: bytes) -> None:
        """Nothing of a damaged message is used, not even its whole first frame."""
        with pytest.raises(ProtocolError):
            frames_of(message)
