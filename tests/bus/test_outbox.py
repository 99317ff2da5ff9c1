"""The Outbox contract (numbered per-stream logs for sockets) on memory and Redis."""

from __future__ import annotations

import asyncio
import json

import pytest

from bus.redis_outbox import RedisOutbox
from tests.bus.conftest import Backend


async def test_seq_is_gapless_under_concurrent_appends(backend: Backend) -> None:
    writers = [backend.outbox(retention=2000) for _ in range(2)]
    reader = backend.outbox(retention=2000)

    async def appender(n: int) -> list[int]:
        outbox = writers[n % 2]
        return [await outbox.append("agent:amina", "t", {"writer": n, "i": i}) for i in range(20)]

    results = await asyncio.gather(*(appender(n) for n in range(50)))
    seqs = sorted(s for r in results for s in r)
    assert seqs == list(range(1, 1001))
    for r in results:
        assert r == sorted(r)
    assert await reader.last_seq("agent:amina") == 1000
    messages = await reader.read("agent:amina", 0, timeout=1.0)
    assert [m.seq for m in messages] == list(range(1, 1001))
    by_writer: dict[int, list[int]] = {}
    for m in messages:
        by_writer.setdefault(m.data["writer"], []).append(m.data["i"])
    assert by_writer == {n: list(range(20)) for n in range(50)}


async def test_resume_after_a_seq_returns_exactly_the_missed_messages(backend: Backend) -> None:
    writer, reader = backend.outbox(), backend.outbox()
    for i in range(1, 11):
        assert await writer.append("agent:amina", "call.ringing", {"n": i, "name": "Zoë"}) == i
    missed = await reader.read("agent:amina", 4, timeout=1.0)
    assert [(m.seq, m.type, m.data) for m in missed] == [
        (i, "call.ringing", {"n": i, "name": "Zoë"}) for i in range(5, 11)
    ]
    assert missed[0].to_json_dict() == {"seq": 5, "type": "call.ringing", "data": {"n": 5, "name": "Zoë"}}
    assert await reader.read("agent:amina", 10, timeout=0.05) == []


async def test_append_many_appends_each_message_in_turn_to_its_stream(backend: Backend) -> None:
    writer, reader = backend.outbox(), backend.outbox()
    await writer.append("supervisors", "x", {})
    seqs = await writer.append_many([("agent:amina", "agent.state", {"state": "ringing"}),
                                     ("supervisors", "agent.state", {"state": "ringing"}),
                                     ("agent:amina", "agent.state", {"state": "on_call"})])
    assert seqs == [1, 2, 2]
    assert [(m.seq, m.data["state"]) for m in await reader.read("agent:amina", 0, timeout=1.0)] == [
        (1, "ringing"), (2, "on_call")]
    assert [(m.seq, m.type) for m in await reader.read("supervisors", 0, timeout=1.0)] == [
        (1, "x"), (2, "agent.state")]
    assert await writer.append_many([]) == []


async def test_append_many_loads_its_script_again_after_redis_forgot_it(redis_backend: Backend) -> None:
    writer = redis_backend.outbox()
    assert await writer.append_many([("agent:amina", "t", {"n": 1})]) == [1]
    await redis_backend.client().script_flush()  # as after a Redis restart
    assert await writer.append_many([("agent:amina", "t", {"n": 2}), ("agent:amina", "t", {"n": 3})]) == [2, 3]
    assert [m.data["n"] for m in await writer.read("agent:amina", 0, timeout=1.0)] == [1, 2, 3]


async def test_streams_are_numbered_independently(backend: Backend) -> None:
    outbox = backend.outbox()
    assert await outbox.append("agent:amina", "a", {}) == 1
    assert await outbox.append("supervisors", "b", {}) == 1
    assert await outbox.append("agent:amina", "c", {}) == 2
    assert await outbox.last_seq("agent:brian") == 0
    assert [m.type for m in await outbox.read("supervisors", 0, timeout=0.1)] == ["b"]


async def test_a_blocked_reader_wakes_on_append(backend: Backend) -> None:
    writer, reader = backend.outbox(), backend.outbox()
    await writer.append("agent:amina", "old", {})
    waiting = asyncio.create_task(reader.read("agent:amina", 1, timeout=5.0))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    await writer.append("agent:amina", "new", {"k": 1})
    got = await asyncio.wait_for(waiting, 2.0)
    assert [(m.seq, m.type) for m in got] == [(2, "new")]


async def test_every_reader_sees_every_message(backend: Backend) -> None:
    writer = backend.outbox()
    readers = [backend.outbox() for _ in range(3)]
    waiting = [asyncio.create_task(r.read("supervisors", 0, timeout=5.0)) for r in readers]
    await asyncio.sleep(0.1)
    await writer.append("supervisors", "agent.state", {"who": "amina"})
    results = await asyncio.wait_for(asyncio.gather(*waiting), 2.0)
    assert [[m.seq for m in r] for r in results] == [[1], [1], [1]]


async def test_a_read_times_out_empty(backend: Backend) -> None:
    reader = backend.outbox()
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await reader.read("agent:nobody", 0, timeout=0.15) == []
    assert loop.time() - started >= 0.14


async def test_retention_keeps_the_last_messages_and_an_old_reader_gets_what_remains(
    backend: Backend,
) -> None:
    outbox = backend.outbox(retention=5)
    for i in range(1, 13):
        await outbox.append("agent:amina", "t", {"i": i})
    assert [m.seq for m in await outbox.read("agent:amina", 3, timeout=0.1)] == [8, 9, 10, 11, 12]
    assert [m.seq for m in await outbox.read("agent:amina", 10, timeout=0.1)] == [11, 12]
    assert await outbox.last_seq("agent:amina") == 12


async def test_a_reader_ahead_of_the_stream_reads_it_from_the_start(backend: Backend) -> None:
    outbox = backend.outbox()
    for _ in range(3):
        await outbox.append("agent:amina", "t", {})
    assert [m.seq for m in await outbox.read("agent:amina", 57, timeout=0.1)] == [1, 2, 3]


@pytest.mark.redis
async def test_redis_seq_never_goes_behind_the_stream_and_keys_expire(redis_backend: Backend) -> None:
    outbox = RedisOutbox(redis_backend.client(), redis_backend.supervisor, prefix=redis_backend.prefix,
                         ttl_seconds=60)
    for _ in range(3):
        await outbox.append("agent:amina", "t", {})
    client = redis_backend.client()
    key = f"{redis_backend.prefix}ob:{{agent:amina}}"
    await client.delete(key + ":seq")  # the counter lost, the messages still there
    assert await outbox.append("agent:amina", "t", {}) == 4
    assert 0 < await client.pttl(key) <= 60_000
    assert 0 < await client.pttl(key + ":seq") <= 60_000


async def test_append_once_sends_a_keyed_frame_once_across_workers(backend: Backend) -> None:
    workers = [backend.outbox() for _ in range(3)]
    tries = [w.append_once("agent:amina", "call.ringing", {"w": n}, key="ring:c1", ttl=60)
             for n, w in enumerate(workers * 4)]
    seqs = await asyncio.gather(*tries)
    assert [s for s in seqs if s is not None] == [1] and seqs.count(None) == 11
    assert await workers[0].append_once("agent:amina", "call.answered", {}, key="answer:c1", ttl=60) == 2
    assert await workers[1].append_once("agent:brian", "call.ringing", {}, key="ring:c1", ttl=60) == 1
    assert [m.type for m in await workers[2].read("agent:amina", 0, timeout=0.5)] == [
        "call.ringing", "call.answered"]


async def test_an_append_once_key_is_free_again_after_its_ttl(backend: Backend) -> None:
    outbox = backend.outbox()
    assert await outbox.append_once("agent:amina", "t", {}, key="k", ttl=0.05) == 1
    assert await outbox.append_once("agent:amina", "t", {}, key="k", ttl=0.05) is None
    await asyncio.sleep(0.15)
    assert await outbox.append_once("agent:amina", "t", {}, key="k", ttl=0.05) == 2



def test_a_message_goes_on_the_wire_the_same_from_a_dict_or_from_stored_text() -> None:
    from bus.base import OutboxMessage

    data = {"call_id": "ast/1", "name": "Zoë", "matches": [{"customer_id": 1, "summary": {"overdue": "1.00"}}]}
    appended = OutboxMessage(7, "call.ringing", data)
    stored = OutboxMessage(7, "call.ringing", text=json.dumps(data, separators=(",", ":")))
    for message in (appended, stored):
        assert json.loads(message.to_wire()) == {"seq": 7, "type": "call.ringing", "data": data}
        assert message.to_json_dict() == json.loads(message.to_wire())
    assert appended == stored and stored.data == data
    with pytest.raises(ValueError, match="one of them"):
        OutboxMessage(1, "t")
    with pytest.raises(ValueError, match="one of them"):
        OutboxMessage(1, "t", {}, text="{}")


async def test_every_reader_gets_the_frame_text_the_writer_meant(backend: Backend) -> None:
    writer, reader = backend.outbox(), backend.outbox()
    await writer.append("agent:amina", "call.ringing", {"name": "Zoë \"Z\" Wanjiru\n", "n": [1, 2.5, None]})
    [message] = await reader.read("agent:amina", 0, timeout=1.0)
    assert json.loads(message.to_wire()) == {"seq": 1, "type": "call.ringing",
                                             "data": {"name": "Zoë \"Z\" Wanjiru\n", "n": [1, 2.5, None]}}
