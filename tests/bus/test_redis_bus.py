"""What only the Redis Streams bus can do: several workers, crashes, other processes."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from redis.asyncio.client import Pipeline

from bus.redis_streams import RedisStreamsBus
from domain.events import CallEvent, CallOffered, Event, encode_event
from tests.bus.conftest import Backend, eventually, stream_fields
from tests.bus.test_bus_contract import ended, offered, ringing

pytestmark = pytest.mark.redis


async def test_two_workers_in_one_group_share_the_work_without_duplicates(redis_backend: Backend) -> None:
    seen: list[tuple[str, str]] = []

    def worker(name: str) -> RedisStreamsBus:
        bus = redis_backend.bus(batch=5)
        assert isinstance(bus, RedisStreamsBus)

        async def handler(ev: CallOffered) -> None:
            await asyncio.sleep(0.002)
            seen.append((name, ev.call_id))

        bus.subscribe(CallOffered, handler, group="dialer")
        return bus

    a, b = worker("a"), worker("b")
    await a.start()
    await b.start()
    publisher = redis_backend.bus()
    for i in range(200):
        await publisher.publish(offered(i))
    await eventually(lambda: len(seen) >= 200)
    await asyncio.sleep(0.2)
    ids = [call_id for _, call_id in seen]
    assert len(ids) == 200
    assert set(ids) == {f"c{i}" for i in range(200)}
    assert {w for w, _ in seen} == {"a", "b"}


async def test_an_event_crosses_from_one_process_to_another_intact(redis_backend: Backend) -> None:
    subscriber = redis_backend.bus()
    got: list[Event] = []

    async def handler(ev: CallEvent) -> None:
        got.append(ev)

    subscriber.subscribe(CallEvent, handler, group="agent_ui")
    await subscriber.start()
    publisher = redis_backend.bus()
    sent = [ringing(7), ended(7)]
    for ev in sent:
        await publisher.publish(ev)
    await eventually(lambda: len(got) == 2)
    assert got == sent
    assert got[0].at.tzinfo is not None


async def test_a_worker_that_dies_mid_handling_has_its_event_taken_over(redis_backend: Backend) -> None:
    started: list[str] = []
    finished: list[tuple[str, str]] = []
    never = asyncio.Event()

    async def dies(ev: CallOffered) -> None:
        started.append(ev.call_id)
        await never.wait()  # the worker is killed while here: no ack

    async def survives(ev: CallOffered) -> None:
        finished.append(("b", ev.call_id))

    a = redis_backend.bus(claim_idle=60.0, stop_timeout=0.0)
    a.subscribe(CallOffered, dies, group="g")
    await a.start()
    await redis_backend.bus().publish(offered(1))
    await eventually(lambda: started == ["c1"])
    await a.stop()  # stop_timeout=0: cancelled mid-handler, like a crash

    b = redis_backend.bus(claim_idle=0.3)
    b.subscribe(CallOffered, survives, group="g")
    await b.start()
    await eventually(lambda: finished == [("b", "c1")], within=5.0)
    client = redis_backend.client()
    pending = await client.xpending(f"{redis_backend.prefix}ev:call.offered", "g")
    assert pending["pending"] == 0


async def test_a_slow_handler_keeps_its_claim(redis_backend: Backend) -> None:
    runs: list[str] = []
    release = asyncio.Event()

    async def slow(ev: CallOffered) -> None:
        runs.append(ev.call_id)
        await release.wait()

    a = redis_backend.bus(claim_idle=0.2)
    b = redis_backend.bus(claim_idle=0.2)
    a.subscribe(CallOffered, slow, group="g")
    b.subscribe(CallOffered, slow, group="g")
    await a.start()
    await b.start()
    await redis_backend.bus().publish(offered(1))
    await eventually(lambda: len(runs) == 1)
    await asyncio.sleep(0.8)  # four claim intervals: the other worker must not steal it
    release.set()
    await asyncio.sleep(0.1)
    assert runs == ["c1"]


async def test_events_published_while_no_worker_runs_are_delivered_later(redis_backend: Backend) -> None:
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        got.append(ev.call_id)

    first = redis_backend.bus()
    first.subscribe(CallOffered, handler, group="store")
    await first.start()
    await first.stop()
    publisher = redis_backend.bus()
    for i in range(5):
        await publisher.publish(offered(i))
    second = redis_backend.bus()
    second.subscribe(CallOffered, handler, group="store")
    await second.start()
    await eventually(lambda: len(got) == 5)
    assert got == [f"c{i}" for i in range(5)]


async def test_garbage_in_a_stream_is_dead_lettered_and_skipped(
    redis_backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        got.append(ev.call_id)

    bus = redis_backend.bus()
    bus.subscribe(CallOffered, handler, group="g")
    await bus.start()
    client = redis_backend.client()
    stream = f"{redis_backend.prefix}ev:call.offered"
    await client.xadd(stream, {"e": "{not json"})
    await client.xadd(stream, {"e": json.dumps({"type": "call.offered", "data": {"call_id": 1}})})
    await bus.publish(offered(9))
    with caplog.at_level(logging.ERROR):
        await eventually(lambda: got == ["c9"])
    dead = await stream_fields(client, stream + ":dead")
    assert [d["error"].split(":")[0] for d in dead] == ["undecodable", "undecodable"]


async def test_the_bus_reconnects_after_its_connections_are_killed(redis_backend: Backend) -> None:
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        got.append(ev.call_id)

    bus = redis_backend.bus()
    bus.subscribe(CallOffered, handler, group="g")
    await bus.start()
    await bus.publish(offered(1))
    await eventually(lambda: got == ["c1"])
    admin = redis_backend.client()
    clients = await admin.client_list()
    victims = [c for c in clients if c.get("name") == f"{redis_backend.prefix}c0"]
    assert victims, "the bus's connection should carry its client name"
    for victim in victims:
        await admin.client_kill_filter(_id=victim["id"])
    await bus.publish(offered(2))
    await eventually(lambda: got == ["c1", "c2"])


async def test_payload_is_the_domain_codec_json(redis_backend: Backend) -> None:
    bus = redis_backend.bus()
    ev = offered(3)
    await bus.publish(ev)
    entries = await stream_fields(redis_backend.client(), f"{redis_backend.prefix}ev:call.offered")
    assert [json.loads(fields["e"]) for fields in entries] == [
        json.loads(json.dumps(encode_event(ev)))
    ]


async def test_handled_entries_are_acked_in_batches_and_none_is_left_pending(redis_backend: Backend,
                                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # XACKs counted in this process (Redis's commandstats are server-wide: other test workers ack too)
    xacks = 0
    pipeline_xack = Pipeline.xack

    def counting_xack(self: Pipeline, *args: Any, **kwargs: Any) -> Any:
        nonlocal xacks
        xacks += 1
        return pipeline_xack(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "xack", counting_xack)
    bus = redis_backend.bus(batch=20)
    assert isinstance(bus, RedisStreamsBus)
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        got.append(ev.call_id)

    bus.subscribe(CallOffered, handler, group="acks")
    publisher = redis_backend.bus()
    for i in range(60):  # waiting before the group reads: it takes them in batches of 20
        await publisher.publish(offered(i))
    client = redis_backend.client()
    stream = bus.stream_key("call.offered")
    await client.xgroup_create(stream, "acks", id="0", mkstream=True)
    await bus.start()
    await eventually(lambda: len(got) == 60)
    await asyncio.sleep(0.3)  # the next read (and with it the last acks) has gone out
    pending = await client.xpending(stream, "acks")
    assert pending["pending"] == 0
    assert 1 <= xacks <= 4  # one per batch read, not one per entry
    await bus.stop()
    restarted = redis_backend.bus()
    again: list[str] = []

    async def second(ev: CallOffered) -> None:
        again.append(ev.call_id)

    restarted.subscribe(CallOffered, second, group="acks")
    await restarted.start()
    await asyncio.sleep(0.5)
    assert again == [] and got == [f"c{i}" for i in range(60)]
