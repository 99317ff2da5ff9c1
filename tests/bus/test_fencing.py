"""Publishing under a lease (bus/fencing.py) and the lease keeper's timing (bus/lease.py).

A holder publishes while its lease is its own. Once another worker holds it, the old holder's
publish is refused, even when the old holder still believes it holds it (a paused process that
woke up): on Redis the check and the append are one atomic step, so nothing reaches the stream.
"""

from __future__ import annotations

import asyncio

import pytest

from bus.fencing import FencedPublisher, LeaseLost
from bus.lease import LeaseKeeper
from bus.redis_streams import RedisStreamsBus
from domain.errors import SwitchboardError
from domain.events import CallEnded, EndCause
from tests.bus.conftest import Backend, eventually, stream_fields


def ended(n: int) -> CallEnded:
    return CallEnded(call_id=f"default/{n}.1", cause=EndCause.NORMAL, cause_code=16)


async def test_a_holder_publishes_and_loses_the_right_with_the_lease(backend: Backend) -> None:
    bus = backend.bus()
    seen: list[str] = []

    async def collect(ev: CallEnded) -> None:
        seen.append(ev.call_id)

    bus.subscribe(CallEnded, collect, group="fence-test")
    await bus.start()
    lease = backend.lease()
    assert await lease.try_acquire("ami:default", "w-old", 0.3)
    believed = True  # the old holder's own view: it was paused and does not know yet
    old = FencedPublisher(bus, lease, "ami:default", "w-old", valid=lambda: believed)
    await old.publish(ended(1))
    await asyncio.sleep(0.4)  # the lease expires while the old holder is "paused"
    assert await backend.lease().try_acquire("ami:default", "w-new", 5.0)
    with pytest.raises(LeaseLost):
        await old.publish(ended(2))
    new = FencedPublisher(bus, backend.lease(), "ami:default", "w-new", valid=lambda: True)
    await new.publish(ended(3))
    await eventually(lambda: len(seen) >= 2)
    await asyncio.sleep(0.1)
    assert seen == ["default/1.1", "default/3.1"]
    assert old.refused == 1
    if isinstance(bus, RedisStreamsBus):  # the refused event never reached the stream
        entries = await stream_fields(bus.redis, bus.stream_key("call.ended"))
        assert len(entries) == 2 and all("default/2.1" not in e["e"] for e in entries)


async def test_a_keeper_past_its_lease_time_stops_publishing_without_asking(backend: Backend) -> None:
    bus = backend.bus()
    await bus.start()
    lease = backend.lease()
    fenced = FencedPublisher(bus, lease, "ami:default", "w1", valid=lambda: False)
    assert await lease.try_acquire("ami:default", "w1", 5.0)  # still the holder in the store
    with pytest.raises(LeaseLost):
        await fenced.publish(ended(1))


async def test_renewal_interval_is_a_setting_and_a_dead_holder_goes_within_ttl_plus_one_interval(
        backend: Backend) -> None:
    lease = backend.lease()
    assert await lease.try_acquire("ami:default", "killed", 0.4)  # never renewed again
    acquired: list[float] = []
    loop = asyncio.get_running_loop()

    async def on_acquired() -> None:
        acquired.append(loop.time())

    async def on_lost() -> None:
        return None

    started = loop.time()
    keeper = LeaseKeeper(backend.lease(), "ami:default", "w2", ttl=0.4, renew_every=0.05,
                         on_acquired=on_acquired, on_lost=on_lost)
    backend.supervisor.spawn("keeper", keeper.run)
    await eventually(lambda: bool(acquired), within=10.0)
    assert acquired[0] - started < 0.4 + 0.05 + 0.15  # ttl + one interval + slack
    assert keeper.valid()
    with pytest.raises(SwitchboardError):
        LeaseKeeper(lease, "x", "w", ttl=1.0, renew_every=1.0, on_acquired=on_acquired, on_lost=on_lost)


async def test_recheck_finds_a_lost_lease_at_once(backend: Backend) -> None:
    lost: list[str] = []

    async def on_acquired() -> None:
        return None

    async def on_lost() -> None:
        lost.append("lost")

    keeper = LeaseKeeper(backend.lease(), "ami:default", "w1", ttl=30.0, renew_every=10.0,
                         on_acquired=on_acquired, on_lost=on_lost)
    backend.supervisor.spawn("keeper", keeper.run)
    await eventually(lambda: keeper.held)
    intruder = backend.lease()
    assert await intruder.release("ami:default", "w1") and await intruder.try_acquire("ami:default", "w9", 30.0)
    keeper.recheck()  # e.g. a fenced publish was refused: no waiting for the 10 s renewal
    await eventually(lambda: lost == ["lost"], within=10.0)
    assert not keeper.valid()
