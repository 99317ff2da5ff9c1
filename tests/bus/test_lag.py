"""Bus lag per group (GET /metrics' ``switchboard_bus_lag_events``), on both backends.

A group whose handler is stuck on its first event: the events published after it wait. In process
they wait in the group's queue (3: the first is taken). On Redis they are undelivered or delivered
but not acknowledged, and so is the first (4). Once the handler goes on, the lag drains to 0.
"""

from __future__ import annotations

import asyncio

from bus.lag import bus_lag
from domain.events import CallOffered, Direction
from tests.bus.conftest import Backend


def offered(i: int) -> CallOffered:
    return CallOffered(call_id=f"c{i}", direction=Direction.INBOUND, caller_number="+254700000001",
                       dialed_number="100")


async def _lag_becomes(bus: object, group: str, wanted: int) -> None:
    async with asyncio.timeout(5.0):
        while True:
            lag = await bus_lag(bus)  # type: ignore[arg-type]
            if lag is not None and lag.get(group) == wanted:
                return
            await asyncio.sleep(0.02)


async def test_a_stuck_group_shows_its_waiting_events(backend: Backend) -> None:
    bus = backend.bus()
    entered, go = asyncio.Event(), asyncio.Event()
    handled: list[str] = []

    async def slow(ev: CallOffered) -> None:
        entered.set()
        await go.wait()
        handled.append(ev.call_id)

    async def quick(ev: CallOffered) -> None:
        return None

    bus.subscribe(CallOffered, slow, group="slow")
    bus.subscribe(CallOffered, quick, group="quick")
    await bus.start()
    await bus.publish(offered(1))
    async with asyncio.timeout(5.0):
        await entered.wait()
    for i in (2, 3, 4):
        await bus.publish(offered(i))
    await _lag_becomes(bus, "slow", 4 if backend.is_redis else 3)
    await _lag_becomes(bus, "quick", 0)
    go.set()
    await _lag_becomes(bus, "slow", 0)
    assert handled == ["c1", "c2", "c3", "c4"]


async def test_an_unknown_backend_has_no_lag() -> None:
    assert await bus_lag(None) is None
