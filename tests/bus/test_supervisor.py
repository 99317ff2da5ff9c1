"""TaskSupervisor: restarts crashed loops with backoff, logs, stops bounded."""

from __future__ import annotations

import asyncio
import logging

import pytest

from domain.errors import SwitchboardError
from runtime.supervisor import TaskSupervisor
from tests.bus.conftest import eventually


async def test_a_crashing_loop_is_restarted_and_its_failures_logged(caplog: pytest.LogCaptureFixture) -> None:
    sup = TaskSupervisor()
    runs: list[int] = []
    forever = asyncio.Event()

    async def loop() -> None:
        runs.append(len(runs))
        if len(runs) <= 2:
            raise RuntimeError(f"crash {len(runs)}")
        await forever.wait()

    with caplog.at_level(logging.ERROR):
        sup.spawn("cti.ami:test", loop, backoff=(0.01, 0.05))
        await eventually(lambda: len(runs) == 3)
    assert sup.failures("cti.ami:test") == 2
    assert sup.names() == ["cti.ami:test"]
    failures = [r for r in caplog.records if "cti.ami:test" in r.getMessage()]
    assert len(failures) == 2
    assert failures[0].exc_info is not None and "crash 1" in str(failures[0].exc_info[1])
    await sup.stop()
    assert sup.names() == []


async def test_no_restart_when_asked_or_when_the_loop_returns() -> None:
    sup = TaskSupervisor()
    runs = {"once": 0, "done": 0}

    async def once() -> None:
        runs["once"] += 1
        raise RuntimeError("no")

    async def done() -> None:
        runs["done"] += 1

    t1 = sup.spawn("once", once, restart=False)
    t2 = sup.spawn("done", done)
    await asyncio.wait([t1, t2], timeout=1.0)
    await asyncio.sleep(0.05)
    assert runs == {"once": 1, "done": 1}
    assert sup.failures("once") == 1
    assert sup.names() == []


async def test_stop_cancels_everything_bounded_then_runs_cleanups(caplog: pytest.LogCaptureFixture) -> None:
    sup = TaskSupervisor()
    order: list[str] = []
    finished = asyncio.Event()

    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            await asyncio.sleep(6)  # ignores the cancel for a while (longer than the bound below)
            finished.set()

    async def polite() -> None:
        await asyncio.sleep(10)

    async def cleanup_1() -> None:
        order.append("first registered")

    async def cleanup_2() -> None:
        order.append("last registered")

    sup.spawn("stubborn", stubborn)
    sup.spawn("polite", polite)
    sup.add_cleanup(cleanup_1)
    sup.add_cleanup(cleanup_2)
    await asyncio.sleep(0.01)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.ERROR):
        await sup.stop(grace=0.1)
    assert loop.time() - started < 5  # the grace (0.1 s), not the stubborn task's own 6 s
    assert any("stubborn did not stop" in r.getMessage() for r in caplog.records)
    assert order == ["last registered", "first registered"]
    await asyncio.wait_for(finished.wait(), 20.0)


async def test_names_are_unique_among_running_tasks() -> None:
    sup = TaskSupervisor()
    gate = asyncio.Event()
    sup.spawn("x", gate.wait)
    with pytest.raises(SwitchboardError):
        sup.spawn("x", gate.wait)
    gate.set()
    await eventually(lambda: sup.names() == [])
    sup.spawn("x", gate.wait)  # free again once the first one ended
    await sup.stop()
