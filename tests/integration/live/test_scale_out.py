"""Several workers on one Redis: one history per session whichever worker a client is
on, conflicting commands that never fork it, Redis restarted, a worker killed, a
subscription cut on the Redis side (noticed, and a brief cut that must lose no notice),
a group used through two workers, and an erasure made on one worker heard by the other."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path

import httpx
import msgpack
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from room.client import CommandRefused, RoomClient
from room.domain.plain import to_plain
from room.domain.session import Kind, Welcome
from room.domain.session import commands as c
from room.store import CommandKey
from room.store.redis import RedisStore
from tests.integration.groups import found
from tests.integration.people import seat
from tests.integration.workers import (
    GroupSocket,
    Party,
    Relay,
    Workers,
    assert_each_key_once,
    deliver,
    follow_up,
    health,
    kinds,
    on,
    pubsub_clients,
    read_log,
    redis_client,
    stream,
    wait_subscription,
)
from tests.redisserver import RedisServer
from tests.running import ROOT, free_port
from tests.store.test_erasure import files_holding
from tests.store.test_redis import keys_holding

NOTICE_WITHIN = 5.0  # seconds: a worker notices its subscription is gone (the spec's bound)
NOTICE_SLACK = 2.0  # for the polling and a loaded machine, on top of NOTICE_WITHIN


def test_redis_without_a_shared_secret_key_is_refused(
    tmp_path: Path, private_redis: RedisServer
) -> None:
    """``room serve`` on Redis without SECRET_KEY exits before serving, saying why: each
    worker would otherwise hash link secrets with a key of its own."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SECRET_KEY")}
    env |= {"REDIS_URL": private_redis.url, "ROOM_DB": str(tmp_path / "room.db")}
    done = subprocess.run(
        [sys.executable, "-m", "room", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert done.returncode != 0, done.stdout
    assert "SECRET_KEY" in done.stderr, done.stderr


async def test_a_session_played_over_two_workers_is_one_history(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Facilitator and narrator on one worker, members and observer on the other play the
    flyer's method: every client receives the same events, gapless, in the one order
    the log holds; all end in the same state, see everyone present, and see who left."""
    a, b = workers.start("a"), workers.start("b")
    status_a, body_a = await health(a)
    status_b, body_b = await health(b)
    for status, body in ((status_a, body_a), (status_b, body_b)):
        assert status == 200, body
        assert {k: body.get(k) for k in ("status", "store", "subscription")} == {
            "status": "ok",
            "store": "redis",
            "subscription": "alive",
        }
        assert isinstance(body.get("worker"), str) and body["worker"]
    assert body_a["worker"] != body_b["worker"]

    cast = await seat(a)
    party = Party()
    try:
        for name in ("nadia", "claire"):
            await party.join(name, cast.links[name])
        for name in ("karim", "sophie", "aicha", "thomas"):
            await party.join(name, on(cast.links[name], b.port))
        await party.all_present()
        nadia, claire = party["nadia"], party["claire"]
        karim, sophie, aicha = party["karim"], party["sophie"], party["aicha"]

        await sophie.send(c.Post(kind=Kind.FOLLOW_UP, body={"text": "Le diagnostic a commencé."}))
        await nadia.send(c.GoToPhase(phase="expose"))  # its countdown starts with it
        await nadia.send(c.PauseTimer())
        await nadia.send(c.StartTimer())
        await claire.send(
            c.WriteSituation(
                title="Une démarche QVCT déjà « décidée »",
                context="PME de logistique, 120 salariés, absentéisme en hausse.",
                request="Des façons concrètes de reformuler la commande avec le dirigeant.",
            )
        )
        await nadia.send(c.GoToPhase(phase="questions"))
        order = (cast.ids["karim"], cast.ids["sophie"], cast.ids["aicha"])
        round_seq = await nadia.send(c.StartRound(order=order))
        questions = []
        for member in (karim, sophie, aicha):
            # The floor was given on the other worker: wait to see it here.
            await member.wait_seq(round_seq)
            seq = await member.send(c.Post(kind=Kind.QUESTION, body={"text": "Qui a sollicité ?"}))
            await member.wait_seq(seq)
            questions.append(f"c{member.state.next_number - 1}")
            round_seq = await member.send(c.PassTurn())
        await nadia.wait_seq(round_seq)
        await nadia.send(c.GoToPhase(phase="understanding"))
        for question in questions:
            await claire.send(
                c.Post(kind=Kind.ANSWER, body={"text": "Le dirigeant."}, answers=question)
            )
        await claire.send(c.Post(kind=Kind.STATEMENT, body={"values": "Partir du travail réel."}))
        phase = await nadia.send(c.GoToPhase(phase="possibilities"))
        await karim.wait_seq(phase)
        seq = await karim.send(c.Post(kind=Kind.PROPOSAL, body={"text": "Un comité paritaire."}))
        await claire.wait_seq(seq)
        proposal = f"c{claire.state.next_number - 1}"
        await claire.send(c.WelcomeProposal(proposal=proposal, mark=Welcome.KEPT))
        await nadia.send(c.GoToPhase(phase="action"))
        await claire.send(
            c.Post(kind=Kind.ACTION, body={"what": "Proposer le comité"}, cites=(proposal,))
        )
        phase = await nadia.send(c.GoToPhase(phase="closing"))
        for member in (karim, sophie, aicha, claire):
            await member.wait_seq(phase)
            await member.send(c.Post(kind=Kind.TAKEAWAY, body={"text": "Je retiens."}))
        for member in (karim, sophie, aicha, claire):
            await nadia.wait_seq(member.seq)
        last = await nadia.send(c.EndSession())

        await party.level(last)
        log = await read_log(private_redis.url, cast.session)
        party.assert_one_history(kinds(log), last)
        reference = to_plain(nadia.state)
        assert reference["ended_at"] is not None
        assert reference["contributions"][proposal]["welcome"] == "kept"
        everyone = set(cast.ids.values())
        for name, client in party.clients.items():
            assert client.seq == last, name
            present = {p for p, record in client.state.participants.items() if record.present}
            assert present == everyone, f"{name} sees only {present} present"
        for worker in (a, b):
            async with httpx.AsyncClient(base_url=worker.url, trust_env=False) as http:
                served = await http.get(
                    f"/api/sessions/{cast.session}", headers=cast.auth("thomas")
                )
            assert served.status_code == 200, served.text
            assert served.json()["seq"] == last, f"port {worker.port}"
            assert served.json()["state"] == reference, f"port {worker.port}"

        # Thomas leaves worker B: the others, on A too, see him gone.
        await party["thomas"].close()
        thomas = cast.ids["thomas"]
        await nadia.wait_for(lambda state: not state.participants[thomas].present, timeout=30)
        await karim.wait_for(lambda state: not state.participants[thomas].present, timeout=30)
    finally:
        await party.close()


async def test_conflicting_commands_on_both_workers_never_fork_the_history(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Thirty times, each participant sends through both workers at once: two hands
    raised, two timers started, then two hands lowered, two timers paused, and one post
    sent twice under one key. Exactly one of each pair is applied, the resent post once;
    every client holds one gapless history; each acknowledged key is in the log once,
    at the seq it was acknowledged at, and each refused key nowhere."""
    a, b = workers.start("a"), workers.start("b")
    cast = await seat(a, {"nadia": "facilitator", "karim": "member", "sophie": "member"})
    party = Party()
    try:
        for name in ("nadia", "karim", "sophie"):
            await party.join(f"{name}@a", cast.links[name])
            await party.join(f"{name}@b", on(cast.links[name], b.port))
        await party.all_present()
        applied: list[tuple[str, str, int, str]] = []  # (participant, key, seq, event type)
        refused: list[tuple[str, str]] = []  # (participant, key)
        posts: dict[str, int] = {}

        async def both(name: str, command: c.Command, event_type: str, n: int) -> None:
            """``name`` sends ``command`` through both workers at once: one applies."""
            keys = (f"{command.type}-{n}-a", f"{command.type}-{n}-b")
            outcomes = await asyncio.gather(
                party[f"{name}@a"].send(command, key=keys[0]),
                party[f"{name}@b"].send(command, key=keys[1]),
                return_exceptions=True,
            )
            acks = []
            for key, outcome in zip(keys, outcomes, strict=True):
                if isinstance(outcome, CommandRefused) and outcome.code == "conflict":
                    refused.append((cast.ids[name], key))
                elif isinstance(outcome, int):
                    acks.append(outcome)
                    applied.append((cast.ids[name], key, outcome, event_type))
                else:
                    raise AssertionError(f"{key}: expected an ack or a conflict, got {outcome!r}")
            assert len(acks) == 1, f"round {n}, {command.type}: {outcomes}"

        async def twice(n: int) -> None:
            """Sophie sends one post through both workers under the same key."""
            key = f"sophie-{n}"
            seqs = await asyncio.gather(
                party["sophie@a"].send(follow_up(key), key=key),
                party["sophie@b"].send(follow_up(key), key=key),
            )
            assert seqs[0] == seqs[1], f"{key} acknowledged at {seqs}"
            posts[key] = seqs[0]

        for n in range(30):
            await asyncio.gather(
                both("karim", c.RaiseHand(), "hand_raised", n),
                both("nadia", c.StartTimer(), "timer_started", n),
                twice(n),
            )
            await asyncio.gather(
                both("karim", c.LowerHand(), "hand_lowered", n),
                both("nadia", c.PauseTimer(), "timer_paused", n),
            )
        last = await deliver(party["nadia@a"], c.GoToPhase(phase="expose"), "last")
        await party.level(last)
        log = await read_log(private_redis.url, cast.session)
        party.assert_one_history(kinds(log), last)
    finally:
        await party.close()

    counts = Counter(event.type for event in log)
    for event_type in ("hand_raised", "hand_lowered", "timer_started", "timer_paused"):
        assert counts[event_type] == 30, f"{counts[event_type]} {event_type} events"
    assert len(refused) == 120 and len(applied) == 120
    assert_each_key_once(log, posts)
    store = RedisStore(private_redis.url)
    await store.open()
    try:
        for participant, key, seq, event_type in applied:
            assert await store.command_seq(cast.session, CommandKey(participant, key)) == seq
            assert (log[seq - 1].type, log[seq - 1].by) == (event_type, participant), key
        for participant, key in refused:
            assert await store.command_seq(cast.session, CommandKey(participant, key)) is None
        for key, seq in posts.items():
            assert await store.command_seq(cast.session, CommandKey(cast.ids["sophie"], key)) == seq
    finally:
        await store.close()


async def test_a_restart_of_redis_loses_nothing_acknowledged(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Redis stops mid-session while members on both workers keep posting, and starts
    again on its append-only file: both workers say so on /healthz, close their sockets,
    and come back; every acknowledged post is in the log once, and every client
    resumes without missing or doubling an event."""
    a, b = workers.start("a"), workers.start("b")
    cast = await seat(a)
    party = Party()
    acked: dict[str, int] = {}
    try:
        for name in ("karim", "sophie"):
            await party.join(name, cast.links[name])
        for name in ("aicha", "nadia", "thomas"):
            await party.join(name, on(cast.links[name], b.port))
        await party.all_present()
        streams = [
            asyncio.create_task(stream(party, name, 40, acked))
            for name in ("karim", "sophie", "aicha")
        ]
        async with asyncio.timeout(30):
            while len(acked) < 30:
                await party["nadia"].wait_seq(party["nadia"].seq + 1)
        await asyncio.to_thread(private_redis.stop)
        await asyncio.gather(wait_subscription(a, "dead"), wait_subscription(b, "dead"))
        await asyncio.to_thread(private_redis.start)
        await asyncio.gather(wait_subscription(a, "alive"), wait_subscription(b, "alive"))
        await asyncio.wait_for(asyncio.gather(*streams), 120)
        last = await deliver(party["aicha"], follow_up("final"), "final")
        await party.level(last)
        log = await read_log(private_redis.url, cast.session)
        party.assert_one_history(kinds(log), last)
        for name, client in party.clients.items():
            assert client.connections >= 2, f"{name} was never told to reconnect"
    finally:
        await party.close()
    assert len(acked) == 120
    assert_each_key_once(log, acked)


async def test_clients_of_a_killed_worker_resume_on_the_other(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Karim and Sophie reach worker A through a relay; A is SIGKILLed while they and
    Aïcha (on B) post. The relay now leads to B: they reconnect there and resume from
    their last seq, gapless, with no snapshot and no event twice; each acknowledged post
    is in the log once."""
    a, b = workers.start("a"), workers.start("b")
    cast = await seat(a)
    party = Party()
    acked: dict[str, int] = {}
    async with Relay(a.port) as relay:
        try:
            for name in ("karim", "sophie"):
                await party.join(name, on(cast.links[name], relay.port))
            for name in ("aicha", "nadia"):
                await party.join(name, on(cast.links[name], b.port))
            await party.all_present()
            streams = [
                asyncio.create_task(stream(party, name, 40, acked))
                for name in ("karim", "sophie", "aicha")
            ]
            async with asyncio.timeout(30):
                while len(acked) < 30:
                    await party["nadia"].wait_seq(party["nadia"].seq + 1)
            relay.point_at(b.port)
            await asyncio.to_thread(a.kill)
            await asyncio.wait_for(asyncio.gather(*streams), 120)
            last = await deliver(party["nadia"], c.GoToPhase(phase="expose"), "last")
            await party.level(last)
            log = await read_log(private_redis.url, cast.session)
            party.assert_one_history(kinds(log), last)
            for name in ("karim", "sophie"):
                assert party[name].connections >= 2, f"{name} never lost worker A"
                assert party[name].snapshots == 1, f"{name} resumed from a snapshot"
                assert party[name].duplicates == 0, f"{name} received an event twice"
        finally:
            await party.close()
    assert len(acked) == 120
    assert_each_key_once(log, acked)


async def test_a_subscription_cut_by_redis_is_noticed_and_caught_up(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Redis kills worker A's subscriber connection (CLIENT KILL TYPE pubsub) while Aïcha
    posts on worker B: A notices within 5 s (a 503 on /healthz, its sockets closed with
    1012, or — redis-py mending the subscription at once — a resync counted on /healthz),
    and Karim, on A, ends with every event Aïcha posted."""
    a, b = workers.start("a"), workers.start("b")
    cast = await seat(a, {"nadia": "facilitator", "karim": "member", "aicha": "member"})
    party = Party()
    try:
        karim = await party.join("karim", cast.links["karim"])
        aicha = await party.join("aicha", on(cast.links["aicha"], b.port))
        await party.join("nadia", on(cast.links["nadia"], b.port))
        await party.all_present()
        held = await deliver(aicha, follow_up("before"), "before")
        await karim.wait_seq(held)

        loop = asyncio.get_running_loop()
        connections = karim.connections
        resyncs = (await health(a))[1].get("resyncs", 0)
        with redis_client(private_redis.url) as redis:
            doomed = pubsub_clients(redis, a)
            assert doomed, "worker A holds no subscriber connection to Redis"
            kept = {entry["id"] for entry in pubsub_clients(redis, b)}
            assert kept, "worker B holds no subscriber connection to Redis"
            for entry in doomed:
                redis.client_kill_filter(_id=entry["id"], _type="pubsub")
        cut_at = loop.time()

        async def noticed() -> str:
            while True:
                if karim.connections > connections or not karim.connected:
                    return "karim's socket was closed"
                status, body = await health(a)
                if status == 503 and body.get("subscription") == "dead":
                    return "/healthz said dead"
                if body.get("resyncs", 0) > resyncs:  # mended at once, and read again
                    return "/healthz counted a resync"
                await asyncio.sleep(0.05)

        watch = asyncio.create_task(noticed())
        try:
            meanwhile = [
                await deliver(aicha, follow_up(f"meanwhile-{n}"), f"meanwhile-{n}")
                for n in range(10)
            ]
            async with asyncio.timeout_at(cut_at + NOTICE_WITHIN + NOTICE_SLACK):
                how: str | None = await watch
        except TimeoutError:
            how = None
        finally:
            watch.cancel()
        status, body = await health(a)
        state_of_a = (
            f"/healthz {status} {body}, karim connected={karim.connected}, "
            f"connections={karim.connections}"
        )
        try:
            await karim.wait_seq(meanwhile[-1], timeout=15)
        except TimeoutError:
            raise AssertionError(
                f"karim, on A, stayed at seq {karim.seq} while the log is at {meanwhile[-1]}: "
                f"notices sent while A's subscription was cut are lost; noticed: {how}; "
                f"{state_of_a}"
            ) from None
        assert how is not None, f"worker A did not notice within {NOTICE_WITHIN} s: {state_of_a}"
        await wait_subscription(a, "alive")
        # Both ways again: a post on A reaches B.
        back = await deliver(karim, follow_up("back"), "back")
        last = await deliver(aicha, follow_up("last"), "last")
        assert last > back
        await party.level(last)
        log = await read_log(private_redis.url, cast.session)
        party.assert_one_history(kinds(log), last)
        with redis_client(private_redis.url) as redis:
            assert kept <= {entry["id"] for entry in pubsub_clients(redis, b)}, "B's was cut"
        assert (await health(b))[0] == 200
    finally:
        await party.close()
    assert_each_key_once(
        log, {f"meanwhile-{n}": seq for n, seq in enumerate(meanwhile)} | {"back": back}
    )


async def test_a_subscription_cut_briefly_loses_no_notice(
    workers: Workers, private_redis: RedisServer
) -> None:
    """Redis kills worker A's subscriber connection and turns new connections away for
    as long as Aïcha takes to post five events on B: a fraction of a second, far less
    than a missing heartbeat takes to count. Once A is subscribed again, Karim, on A,
    still receives every one of them, read from the log, without another post to
    remind A of the session."""
    a, b = workers.start("a"), workers.start("b")
    cast = await seat(a, {"nadia": "facilitator", "karim": "member", "aicha": "member"})
    party = Party()
    try:
        karim = await party.join("karim", cast.links["karim"])
        aicha = await party.join("aicha", on(cast.links["aicha"], b.port))
        await party.all_present()
        held = await deliver(aicha, follow_up("before"), "before")
        await karim.wait_seq(held)
        with redis_client(private_redis.url) as redis:
            limit = redis.config_get("maxclients")["maxclients"]
            doomed = pubsub_clients(redis, a)
            assert doomed, "worker A holds no subscriber connection to Redis"
            connected = int(redis.info("clients")["connected_clients"])
            try:
                # No room for a new connection once A's subscriber is gone.
                redis.config_set("maxclients", connected - len(doomed))
                for entry in doomed:
                    redis.client_kill_filter(_id=entry["id"], _type="pubsub")
                meanwhile = [
                    await deliver(aicha, follow_up(f"meanwhile-{n}"), f"meanwhile-{n}")
                    for n in range(5)
                ]
            finally:
                redis.config_set("maxclients", limit)
        try:
            await karim.wait_seq(meanwhile[-1], timeout=15)
        except TimeoutError:
            status, body = await health(a)
            raise AssertionError(
                f"karim, on A, stayed at seq {karim.seq} while the log is at {meanwhile[-1]}: "
                f"the notices published while A's subscriber was cut are lost, and A never "
                f"read the log again; /healthz {status} {body}"
            ) from None
        await wait_subscription(a, "alive")
        log = await read_log(private_redis.url, cast.session)
        party.assert_one_history(kinds(log), meanwhile[-1])
    finally:
        await party.close()
    assert_each_key_once(log, {f"meanwhile-{n}": seq for n, seq in enumerate(meanwhile)})


async def test_a_group_founded_on_one_worker_is_used_through_the_other(
    workers: Workers, private_redis: RedisServer
) -> None:
    """A group founded, joined and planned through worker A is used through worker B:
    its members open and play the session there with Nadia on A, a message written in
    the thread through B is read through A, and each worker's group socket hears of
    the other's changes."""
    a, b = workers.start("a"), workers.start("b")
    cast = await found(a, ("claire", "karim", "sophie"))
    party = Party()
    async with (
        httpx.AsyncClient(base_url=a.url, trust_env=False) as via_a,
        httpx.AsyncClient(base_url=b.url, trust_env=False) as via_b,
    ):
        seen_on_a = await cast.view(via_a, "karim")
        seen_on_b = await cast.view(via_b, "karim")
        assert (seen_on_b["seq"], seen_on_b["state"]) == (seen_on_a["seq"], seen_on_a["state"])
        socket_a = await GroupSocket.open(a, cast.group, cast.secret("karim"))
        socket_b = await GroupSocket.open(b, cast.group, cast.secret("karim"))
        try:
            planned = await cast.do(
                via_a,
                "nadia",
                type="plan_session",
                date="2027-01-12T14:00",
                narrator=cast.ids["claire"],
            )
            session = planned["id"]
            await socket_b.wait_seq(planned["seq"])

            await party.join("nadia", cast.links["nadia"], session=session)
            for name in ("claire", "karim"):
                await party.join(name, on(cast.links[name], b.port), session=session)
            await party.all_present()
            nadia, claire, karim = party["nadia"], party["claire"], party["karim"]
            await nadia.send(c.GoToPhase(phase="expose"))
            await claire.send(
                c.WriteSituation(
                    title="Un client qui change le périmètre chaque semaine",
                    request="Comment tenir le cadre sans perdre la relation ?",
                )
            )
            phase = await nadia.send(c.GoToPhase(phase="questions"))
            await karim.wait_seq(phase)
            last = await karim.send(
                c.Post(kind=Kind.QUESTION, body={"text": "Qui signe l'avenant ?"})
            )
            await party.level(last)
            log = await read_log(private_redis.url, session)
            party.assert_one_history(kinds(log), last)
            served = await via_a.get(f"/api/sessions/{session}", headers=cast.auth("claire"))
            assert served.status_code == 200, served.text
            assert served.json()["seq"] >= last
            assert served.json()["state"]["situation"]["title"].startswith("Un client")

            text = "Qui peut me remplacer le 12 ?"
            posted = await cast.do(via_b, "sophie", type="post_message", text=text)
            await socket_a.wait_seq(posted["seq"])
            thread = (await cast.view(via_a, "karim"))["state"]["messages"]
            assert [(m["text"], m["author"]) for m in thread.values()] == [
                (text, cast.ids["sophie"])
            ]
            replied = await cast.do(via_a, "karim", type="post_message", text="Moi.", reply_to="m1")
            await socket_b.wait_seq(replied["seq"])
            thread = (await cast.view(via_b, "sophie"))["state"]["messages"]
            assert [m["text"] for m in thread.values()] == [text, "Moi."]
        finally:
            await party.close()
            await socket_a.close()
            await socket_b.close()


async def test_an_erasure_on_one_worker_reaches_the_other_and_leaves_nothing_in_redis(
    workers: Workers, private_redis: RedisServer
) -> None:
    """A session of no group, erased by its facilitator through worker A, closes Karim's
    socket on worker B with 4040. A group's session erased through A takes its handed
    draft from the group as B reads it. Neither marker is then in any key of Redis (read
    through a client) nor in its append-only files (read as raw bytes)."""
    a, b = workers.start("a"), workers.start("b")
    alone, drafted = (f"MARQUEUR-{uuid.uuid4().hex}" for _ in range(2))
    cast = await seat(a, {"nadia": "facilitator", "claire": "narrator", "karim": "member"})
    group = await found(a, ("claire",))
    async with (
        httpx.AsyncClient(base_url=a.url, trust_env=False) as via_a,
        httpx.AsyncClient(base_url=b.url, trust_env=False) as via_b,
    ):
        nadia = await RoomClient.connect(cast.links["nadia"])
        claire = await RoomClient.connect(cast.links["claire"])
        await nadia.send(c.GoToPhase(phase="expose"))
        await claire.send(c.WriteSituation(title=f"Seule {alone}", request=alone))
        await nadia.close()
        await claire.close()
        karim = await websockets.connect(
            f"{b.ws_url}/s/{cast.session}/ws", additional_headers=cast.auth("karim")
        )
        try:
            await karim.send(msgpack.packb({"t": "hello", "seq": 0}))
            while msgpack.unpackb(await karim.recv())["t"] != "can":
                pass
            assert keys_holding(private_redis, alone.encode())  # the check can see it
            headers = {**cast.auth("nadia"), "origin": a.url}
            erased = await via_a.delete(f"/api/sessions/{cast.session}", headers=headers)
            assert erased.status_code == 204, erased.text
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await karim.recv()
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4040
        finally:
            await karim.close()

        session = await group.plan(via_a, "2027-01-12T14:00", "claire")
        saved = await group.do(via_a, "claire", type="save_draft", title=f"Brouillon {drafted}")
        await group.do(via_a, "claire", type="use_draft", draft=saved["id"], session=session)
        opened = await RoomClient.connect(group.links["nadia"], session=session)
        await opened.close()
        assert (await group.view(via_b, "claire"))["state"]["drafts"] != {}
        assert keys_holding(private_redis, drafted.encode()) == [f"room:{{{group.group}}}:events"]
        await group.do(via_a, "nadia", type="erase_session", session=session)
        assert (await group.view(via_b, "claire"))["state"]["drafts"] == {}

    for marker in (alone, drafted):
        assert keys_holding(private_redis, marker.encode()) == []
        assert files_holding(private_redis.data_dir, marker.encode()) == []
