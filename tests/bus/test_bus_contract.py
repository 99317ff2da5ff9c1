"""The EventBus contract, run against the in-process bus and the Redis Streams bus."""

from __future__ import annotations

import asyncio
import logging

import pytest

from domain.events import (
    AgentRinging,
    CallEnded,
    CallEvent,
    CallOffered,
    Direction,
    EndCause,
    Event,
    PaymentReceived,
)
from tests.bus.conftest import Backend, eventually, stream_fields


def offered(i: int) -> CallOffered:
    return CallOffered(call_id=f"c{i}", direction=Direction.INBOUND,
                       caller_number="+254700000001", dialed_number="100")


def ended(i: int) -> CallEnded:
    return CallEnded(call_id=f"c{i}", cause=EndCause.NORMAL, cause_code=16, talk_seconds=i)


def ringing(i: int) -> AgentRinging:
    return AgentRinging(call_id=f"c{i}", device="PJSIP/1001", member_name="Amina", queue="collections",
                        caller_number="+254700000001", dialed_number="100",
                        direction=Direction.INBOUND)


async def test_every_group_gets_every_event_exactly_once(backend: Backend) -> None:
    bus = backend.bus()
    seen: dict[str, list[Event]] = {"a": [], "b": []}

    async def on_a(ev: CallEvent) -> None:
        seen["a"].append(ev)

    async def on_b(ev: CallEvent) -> None:
        seen["b"].append(ev)

    bus.subscribe(CallEvent, on_a, group="a")
    bus.subscribe(CallEvent, on_b, group="b")
    await bus.start()
    sent: list[Event] = []
    for i in range(20):
        for ev in (offered(i), ringing(i), ended(i)):
            await bus.publish(ev)
            sent.append(ev)
    await eventually(lambda: len(seen["a"]) >= 60 and len(seen["b"]) >= 60)
    await asyncio.sleep(0.2)  # nothing more may arrive
    for group in ("a", "b"):
        assert len(seen[group]) == 60
        assert sorted(map(repr, seen[group])) == sorted(map(repr, sent))


async def test_order_is_kept_per_group_and_a_slow_group_blocks_nobody(backend: Backend) -> None:
    bus = backend.bus()
    release = asyncio.Event()
    slow: list[str] = []
    fast: list[str] = []

    async def on_slow(ev: CallOffered) -> None:
        await release.wait()
        slow.append(ev.call_id)

    async def on_fast(ev: CallOffered) -> None:
        fast.append(ev.call_id)

    bus.subscribe(CallOffered, on_slow, group="slow")
    bus.subscribe(CallOffered, on_fast, group="fast")
    await bus.start()
    expected = [f"c{i}" for i in range(50)]
    for i in range(50):
        await bus.publish(offered(i))  # returns although "slow" is stuck on the first event
    await eventually(lambda: len(fast) == 50)
    assert fast == expected
    assert slow == []
    release.set()
    await eventually(lambda: len(slow) == 50)
    assert slow == expected


async def test_publish_many_delivers_a_batch_in_order_to_every_group(backend: Backend) -> None:
    bus = backend.bus()
    seen: dict[str, list[str]] = {"a": [], "b": []}

    async def on_a(ev: CallOffered) -> None:
        seen["a"].append(ev.call_id)

    async def on_b(ev: CallOffered) -> None:
        seen["b"].append(ev.call_id)

    bus.subscribe(CallOffered, on_a, group="a")
    bus.subscribe(CallOffered, on_b, group="b")
    await bus.start()
    await bus.publish_many([])  # nothing to send is no error
    await bus.publish_many([offered(i) for i in range(30)])
    await bus.publish(offered(30))  # after the batch, in order
    expected = [f"c{i}" for i in range(31)]
    await eventually(lambda: len(seen["a"]) == 31 and len(seen["b"]) == 31)
    assert seen == {"a": expected, "b": expected}


async def test_a_concurrent_group_keeps_each_customers_payments_in_order(backend: Backend) -> None:
    """``concurrency`` runs different customers' payments at once, one customer's one at a time."""
    bus = backend.bus()
    running: dict[int, int] = {}
    seen: dict[int, list[str]] = {1: [], 2: []}
    most = 0

    async def on_payment(ev: PaymentReceived) -> None:
        nonlocal most
        running[ev.customer_id] = running.get(ev.customer_id, 0) + 1
        most = max(most, sum(running.values()))
        assert running[ev.customer_id] == 1, "two payments of one customer at once"
        await asyncio.sleep(0.005)
        seen[ev.customer_id].append(ev.reference)
        running[ev.customer_id] -= 1

    bus.subscribe(PaymentReceived, on_payment, group="payments", concurrency=8)
    await bus.start()
    await bus.publish_many([PaymentReceived(customer_id=1 + i % 2, amount="1.00", reference=f"r{i}")
                            for i in range(20)])
    await eventually(lambda: len(seen[1]) + len(seen[2]) == 20)
    assert seen == {1: [f"r{i}" for i in range(0, 20, 2)], 2: [f"r{i}" for i in range(1, 20, 2)]}
    assert most == 2  # the two customers at once


async def test_subscribing_to_a_base_class_receives_subclasses_only_matching(backend: Backend) -> None:
    bus = backend.bus()
    base: list[str] = []
    only_ended: list[str] = []

    async def on_call(ev: CallEvent) -> None:
        base.append(ev.type_name)

    async def on_ended(ev: CallEnded) -> None:
        only_ended.append(ev.type_name)

    bus.subscribe(CallEvent, on_call, group="base")
    bus.subscribe(CallEnded, on_ended, group="ended")
    await bus.start()
    await bus.publish(ringing(1))
    await bus.publish(ended(1))
    await eventually(lambda: len(base) == 2 and len(only_ended) == 1)
    assert sorted(base) == ["call.agent_ringing", "call.ended"]
    assert only_ended == ["call.ended"]


async def test_every_handler_of_a_group_runs_and_the_default_group_is_per_handler(backend: Backend) -> None:
    bus = backend.bus()
    calls: list[str] = []

    async def first(ev: CallOffered) -> None:
        calls.append("first")

    async def second(ev: CallOffered) -> None:
        calls.append("second")

    bus.subscribe(CallOffered, first)
    bus.subscribe(CallOffered, second)
    await bus.start()
    await bus.publish(offered(1))
    await eventually(lambda: len(calls) == 2)
    await asyncio.sleep(0.1)
    assert sorted(calls) == ["first", "second"]


async def test_a_failing_handler_is_retried_logged_and_does_not_stop_later_events(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    bus = backend.bus(max_attempts=3)
    attempts: dict[str, int] = {}
    done: list[str] = []

    async def handler(ev: CallOffered) -> None:
        attempts[ev.call_id] = attempts.get(ev.call_id, 0) + 1
        if ev.call_id == "c2":
            raise RuntimeError("boom")
        if ev.call_id == "c3" and attempts["c3"] == 1:
            raise RuntimeError("flaky once")
        done.append(ev.call_id)

    bus.subscribe(CallOffered, handler, group="g")
    await bus.start()
    with caplog.at_level(logging.WARNING):
        for i in range(1, 6):
            await bus.publish(offered(i))
        await eventually(lambda: len(done) == 4)
    assert done == ["c1", "c3", "c4", "c5"]
    assert attempts == {"c1": 1, "c2": 3, "c3": 2, "c4": 1, "c5": 1}
    gave_up = [r for r in caplog.records if "giving up" in r.getMessage()]
    assert len(gave_up) == 1
    assert "call.offered" in gave_up[0].getMessage()
    if backend.is_redis:
        client = backend.client()
        dead = await stream_fields(client, f"{backend.prefix}ev:call.offered:dead")
        assert len(dead) == 1
        assert '"call_id":"c2"' in dead[0]["e"]
        assert "boom" in dead[0]["error"]
        pending: dict[str, object] = {}

        async def read_pending() -> None:
            pending.update(await client.xpending(f"{backend.prefix}ev:call.offered", "g"))

        for _ in range(100):  # acks go out with the group's next read, within ACK_WAIT_MS
            await read_pending()
            if pending["pending"] == 0:
                break
            await asyncio.sleep(0.01)
        assert pending == {"pending": 0, "min": None, "max": None, "consumers": []}


async def test_stop_is_graceful_and_loses_nothing(backend: Backend) -> None:
    bus = backend.bus()
    got: list[str] = []

    async def handler(ev: CallOffered) -> None:
        await asyncio.sleep(0.005)
        got.append(ev.call_id)

    bus.subscribe(CallOffered, handler, group="g")
    await bus.start()
    for i in range(20):
        await bus.publish(offered(i))
    await eventually(lambda: len(got) > 0)
    await bus.stop()
    if backend.is_redis:  # whatever the stopped worker had not read waits in Redis for the next one
        successor = backend.bus()
        successor.subscribe(CallOffered, handler, group="g")
        await successor.start()
        await eventually(lambda: len(got) >= 20)
        await asyncio.sleep(0.1)
    assert got == [f"c{i}" for i in range(20)]


async def test_leave_stops_a_group_here_and_a_later_subscriber_picks_it_up(backend: Backend) -> None:
    bus = backend.bus()
    first: list[str] = []
    later: list[str] = []

    async def on_first(ev: CallOffered) -> None:
        first.append(ev.call_id)

    async def on_later(ev: CallOffered) -> None:
        later.append(ev.call_id)

    bus.subscribe(CallOffered, on_first, group="cti.dial:default")
    await bus.start()
    await bus.publish(offered(1))
    await eventually(lambda: first == ["c1"])
    await bus.leave("cti.dial:default")
    await bus.publish(offered(2))
    await asyncio.sleep(0.2)
    assert first == ["c1"]
    bus.subscribe(CallOffered, on_later, group="cti.dial:default")  # e.g. the lease came back
    await bus.publish(offered(3))
    if backend.is_redis:  # the event published while nobody consumed the group waited in Redis
        await eventually(lambda: later == ["c2", "c3"])
    else:
        await eventually(lambda: later == ["c3"])
    assert first == ["c1"]
