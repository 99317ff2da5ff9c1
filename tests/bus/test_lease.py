"""Leases and the LeaseKeeper on memory and Redis: one holder at a time, takeover on expiry."""

from __future__ import annotations

import asyncio

from bus.lease import LeaseKeeper
from tests.bus.conftest import Backend, eventually


async def test_only_one_of_two_holders_gets_the_lease(backend: Backend) -> None:
    a, b = backend.lease(), backend.lease()
    results = await asyncio.gather(a.try_acquire("ami:default", "w1", 5.0),
                                   b.try_acquire("ami:default", "w2", 5.0))
    assert sorted(results) == [False, True]
    winner = "w1" if results[0] else "w2"
    assert await a.holder("ami:default") == winner
    assert await b.try_acquire("ami:default", winner, 5.0)  # re-acquiring our own lease is fine
    assert await a.try_acquire("ami:other", "w2", 5.0)  # names are independent


async def test_renew_and_release_work_only_for_the_holder(backend: Backend) -> None:
    lease = backend.lease()
    assert await lease.try_acquire("ami:default", "w1", 5.0)
    assert not await lease.renew("ami:default", "w2", 5.0)
    assert not await lease.release("ami:default", "w2")
    assert await lease.renew("ami:default", "w1", 5.0)
    assert await lease.holder("ami:default") == "w1"
    assert await lease.release("ami:default", "w1")
    assert await lease.holder("ami:default") is None
    assert not await lease.renew("ami:default", "w1", 5.0)


async def test_an_expired_lease_goes_to_the_next_worker(backend: Backend) -> None:
    a, b = backend.lease(), backend.lease()
    assert await a.try_acquire("ami:default", "dead", 0.2)
    assert not await b.try_acquire("ami:default", "w2", 5.0)
    await asyncio.sleep(0.3)
    assert await b.try_acquire("ami:default", "w2", 5.0)
    assert not await a.renew("ami:default", "dead", 5.0)


class Probe:
    def __init__(self) -> None:
        self.log: list[str] = []

    async def acquired(self) -> None:
        self.log.append("acquired")

    async def lost(self) -> None:
        self.log.append("lost")


def keeper(backend: Backend, holder: str, probe: Probe, ttl: float = 0.3) -> LeaseKeeper:
    return LeaseKeeper(backend.lease(), "ami:default", holder, ttl=ttl,
                       on_acquired=probe.acquired, on_lost=probe.lost)


async def test_keepers_hold_one_at_a_time_and_hand_over_when_the_holder_stops(backend: Backend) -> None:
    pa, pb = Probe(), Probe()
    ka, kb = keeper(backend, "w1", pa), keeper(backend, "w2", pb)
    backend.supervisor.spawn("lease-a", ka.run)
    await eventually(lambda: ka.held)
    backend.supervisor.spawn("lease-b", kb.run)
    await asyncio.sleep(0.5)  # several renew rounds: b must not get it
    assert (ka.held, kb.held) == (True, False)
    assert pb.log == []
    await backend.supervisor.cancel("lease-a")
    assert pa.log == ["acquired", "lost"]
    await eventually(lambda: kb.held, within=10.0)
    assert pb.log == ["acquired"]


async def test_a_dead_holder_is_replaced_within_the_ttl(backend: Backend) -> None:
    lease = backend.lease()
    assert await lease.try_acquire("ami:default", "crashed-worker", 0.3)  # and never renews
    probe = Probe()
    k = keeper(backend, "w2", probe, ttl=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    backend.supervisor.spawn("lease-b", k.run)
    await eventually(lambda: k.held, within=10.0)
    assert loop.time() - started >= 0.25  # not before the crashed holder's ttl ran out (how soon: bench/failover.py)
    assert probe.log == ["acquired"]


async def test_a_keeper_whose_lease_is_taken_calls_on_lost(backend: Backend) -> None:
    probe = Probe()
    k = keeper(backend, "w1", probe)
    backend.supervisor.spawn("lease-a", k.run)
    await eventually(lambda: k.held)
    intruder = backend.lease()
    assert await intruder.release("ami:default", "w1")
    assert await intruder.try_acquire("ami:default", "w9", 5.0)
    await eventually(lambda: probe.log == ["acquired", "lost"], within=10.0)
    assert not k.held


async def test_a_failing_on_acquired_releases_the_lease(backend: Backend) -> None:
    tries: list[str | None] = []
    lease = backend.lease()

    async def broken() -> None:
        tries.append(await lease.holder("ami:default"))
        raise RuntimeError("cannot connect")

    probe = Probe()
    k = LeaseKeeper(backend.lease(), "ami:default", "w1", ttl=5.0, on_acquired=broken, on_lost=probe.lost)
    backend.supervisor.spawn("lease-a", k.run)
    await eventually(lambda: tries == ["w1"])  # it held the lease when the callback ran
    await asyncio.sleep(0.1)
    assert not k.held
    assert await lease.holder("ami:default") is None  # released, so another worker can try
    assert tries == ["w1"]  # and it waits a ttl before trying again
