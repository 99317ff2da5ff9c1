"""The Redis outbox's pub/sub listener: reads served from what it heard, and every way it can go
deaf (killed, half-open, losing messages, a foreign notification) still delivers every message."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from redis.asyncio import Redis

from bus.factory import make_redis
from bus.redis_outbox import RedisOutbox
from tests.bus.conftest import Backend
from tests.bus.proxy import CuttableProxy

pytestmark = pytest.mark.redis


async def test_a_socket_following_its_stream_reads_redis_only_until_the_listener_heard_it(
    redis_backend: Backend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = redis_backend.outbox()
    reader = redis_backend.outbox()
    assert isinstance(reader, RedisOutbox)
    # The reader's own XRANGEs (Redis's commandstats are server-wide: other test workers read too)
    xranges = 0
    redis_xrange = Redis.xrange
    pool = reader._redis.connection_pool

    def counting_xrange(self: Redis, *args: Any, **kwargs: Any) -> Any:
        nonlocal xranges
        xranges += self.connection_pool is pool
        return redis_xrange(self, *args, **kwargs)

    monkeypatch.setattr(Redis, "xrange", counting_xrange)  # a pipeline's too: Pipeline is a Redis
    await writer.append("agent:amina", "hello", {})
    first = await reader.read("agent:amina", 0, timeout=1.0)  # from Redis: nothing heard yet
    assert [m.seq for m in first] == [1] and xranges >= 1  # counted: that read went to Redis
    watcher = redis_backend.client()
    async with asyncio.timeout(10):  # the listener is subscribed (a fixed sleep was too short under load)
        while not (await watcher.pubsub_numsub(reader._channel))[0][1]:
            await asyncio.sleep(0.02)
    last, got, before = 1, [], 0
    for i in range(20):
        if i == 1:  # from the second message on, the listener has heard the stream
            before = xranges
        async with asyncio.timeout(5):  # the listener has heard up to ``last`` (it may lag under load)
            while i and reader._cache.answer("agent:amina", last) != []:
                await asyncio.sleep(0.005)
        waiting = asyncio.create_task(reader.read("agent:amina", last, timeout=5.0))
        await writer.append("agent:amina", "call.ringing", {"i": i, "name": "Zoë"})
        messages = await asyncio.wait_for(waiting, 5.0)
        got += [(m.seq, m.data["i"]) for m in messages]
        last = messages[-1].seq
    assert got == [(i + 2, i) for i in range(20)]
    # the 19 reads after the first, each waiting when its message came, were answered from what the
    # listener heard: none went to Redis (without the listener every one of them would)
    assert xranges - before == 0


async def test_messages_appended_while_the_listener_is_killed_are_delivered(redis_backend: Backend) -> None:
    writer = redis_backend.outbox()
    reader_client = redis_backend.client()
    reader = RedisOutbox(reader_client, redis_backend.supervisor, prefix=redis_backend.prefix)
    await writer.append("agent:amina", "a", {})
    assert [m.seq for m in await reader.read("agent:amina", 0, timeout=1.0)] == [1]
    await asyncio.sleep(0.2)
    killer = redis_backend.client()
    assert await killer.client_kill_filter(_type="pubsub", skipme=True) >= 1
    for i in range(3):  # appended while the listener reconnects: only the stream has them
        await writer.append("agent:amina", "b", {"i": i})
    got = await reader.read("agent:amina", 1, timeout=5.0)
    assert [m.seq for m in got] == [2, 3, 4]


async def test_a_listener_that_loses_messages_delays_them_but_never_hides_them(
    redis_backend: Backend, monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = redis_backend.outbox()
    reader = redis_backend.outbox()
    assert isinstance(reader, RedisOutbox)
    waiting = asyncio.create_task(reader.read("agent:amina", 0, timeout=5.0))
    await asyncio.sleep(0.2)
    await writer.append("agent:amina", "a", {})
    assert [m.seq for m in await asyncio.wait_for(waiting, 5.0)] == [1]
    monkeypatch.setattr(reader, "_heard", lambda _raw: None)  # deaf from now on
    await writer.append("agent:amina", "lost-notification", {})
    got = await reader.read("agent:amina", 1, timeout=0.3)  # the wait times out, then Redis answers
    assert [(m.seq, m.type) for m in got] == [(2, "lost-notification")]


async def test_names_with_a_newline_are_refused(redis_backend: Backend) -> None:
    with pytest.raises(ValueError, match="newline"):
        await redis_backend.outbox().append("agent:a\nb", "t", {})
    with pytest.raises(ValueError, match="newline"):
        await redis_backend.outbox().append("agent:amina", "t\n", {})


async def test_a_foreign_notification_sends_the_reader_to_redis(redis_backend: Backend) -> None:
    writer = redis_backend.outbox()
    reader = redis_backend.outbox()
    await writer.append("agent:amina", "a", {})
    await reader.read("agent:amina", 0, timeout=1.0)
    waiting = asyncio.create_task(reader.read("agent:amina", 1, timeout=5.0))
    await asyncio.sleep(0.2)
    client = redis_backend.client()  # an append written by hand, then an old-style notification
    key = f"{redis_backend.prefix}ob:{{agent:amina}}"
    await client.incr(key + ":seq")
    await client.xadd(key, {"t": "by-hand", "d": "{}"}, id="2-0")
    await client.publish(f"{redis_backend.prefix}ob:notify", "agent:amina")
    assert [(m.seq, m.type) for m in await asyncio.wait_for(waiting, 5.0)] == [(2, "by-hand")]


async def test_a_half_open_listener_is_noticed_and_replaced(
    redis_backend: Backend, caplog: pytest.LogCaptureFixture,
) -> None:
    proxy = CuttableProxy("127.0.0.1", 6379)
    await proxy.start()
    client = make_redis(f"redis://127.0.0.1:{proxy.port}/0")
    reader = RedisOutbox(client, redis_backend.supervisor, prefix=redis_backend.prefix, listener_dead_after=1.0)
    writer = redis_backend.outbox()
    try:
        await writer.append("agent:amina", "a", {})
        await reader.read("agent:amina", 0, timeout=1.0)
        await asyncio.sleep(0.2)
        with caplog.at_level(logging.WARNING, logger="bus.redis_outbox"):
            proxy.holding = True  # bytes vanish; no connection closes
            await asyncio.sleep(2.5)
            proxy.holding = False
            assert any("nothing heard" in r.getMessage() for r in caplog.records)
        waiting = asyncio.create_task(reader.read("agent:amina", 1, timeout=5.0))
        await asyncio.sleep(0.5)
        await writer.append("agent:amina", "after", {})
        assert [(m.seq, m.type) for m in await asyncio.wait_for(waiting, 5.0)] == [(2, "after")]
    finally:
        await reader.close()
        await proxy.cut()
        await client.aclose()
