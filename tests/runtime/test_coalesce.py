"""Group commit without a worker: items that arrive while a batch is handled go in the next one,
each caller gets its own result, and a failure reaches every caller of its batch and no other."""

from __future__ import annotations

import asyncio

import pytest

from domain.errors import StoreUnavailable
from runtime.coalesce import Coalescer


class Recorder:
    def __init__(self, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.fail_on = fail_on
        self.release = asyncio.Event()

    async def handle(self, items: list[int]) -> list[int]:
        self.batches.append(items)
        if len(self.batches) == 1:
            await self.release.wait()  # the first batch holds while the others arrive
        if self.fail_on in items:
            raise ValueError(f"refused {self.fail_on}")
        return [i * 10 for i in items]


async def _started(coalescer: Coalescer[int, int], items: range) -> list[asyncio.Task[int]]:
    tasks = [asyncio.create_task(coalescer.submit(i)) for i in items]
    await asyncio.sleep(0)
    return tasks


async def test_items_that_arrive_meanwhile_make_the_next_batch() -> None:
    recorder = Recorder()
    coalescer: Coalescer[int, int] = Coalescer(recorder.handle, max_batch=3)
    tasks = await _started(coalescer, range(6))
    recorder.release.set()
    assert await asyncio.gather(*tasks) == [0, 10, 20, 30, 40, 50]
    assert recorder.batches == [[0], [1, 2, 3], [4, 5]]  # max_batch bounds a batch
    assert coalescer.batches == 3


async def test_a_lingering_leader_takes_the_items_of_the_same_burst() -> None:
    recorder = Recorder()
    recorder.release.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.handle, linger=0)
    assert await asyncio.gather(*(coalescer.submit(i) for i in range(5))) == [0, 10, 20, 30, 40]
    assert recorder.batches == [[0, 1, 2, 3, 4]]  # without a linger: [[0], [1, 2, 3, 4]]


async def test_a_lingering_leader_cancelled_before_its_batch_lets_the_next_lead() -> None:
    recorder = Recorder()
    recorder.release.set()
    coalescer: Coalescer[int, int] = Coalescer(recorder.handle, linger=0)
    leader = asyncio.create_task(coalescer.submit(0))
    await asyncio.sleep(0)  # it leads, and lingers
    follower = asyncio.create_task(coalescer.submit(1))
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert await follower == 10
    assert recorder.batches == [[0, 1]]  # the cancelled caller's item still handled, by the next leader


async def test_a_failure_reaches_every_caller_of_its_batch_and_no_other() -> None:
    recorder = Recorder(fail_on=2)
    coalescer: Coalescer[int, int] = Coalescer(recorder.handle, max_batch=2)
    tasks = await _started(coalescer, range(5))
    recorder.release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert results[0] == 0 and results[3:] == [30, 40]
    assert all(isinstance(r, ValueError) for r in results[1:3])


async def test_a_cancelled_leader_fails_its_batch_and_the_next_one_still_runs() -> None:
    recorder = Recorder()
    held = asyncio.Event()

    async def handle(items: list[int]) -> list[int]:
        if len(recorder.batches) == 1:  # the second batch: its leader is cancelled in it
            recorder.batches.append(items)
            await held.wait()
        return await recorder.handle(items)

    coalescer: Coalescer[int, int] = Coalescer(handle, max_batch=3)
    first, leader, *others = await _started(coalescer, range(5))
    recorder.release.set()
    assert await first == 0
    while len(recorder.batches) < 2:
        await asyncio.sleep(0)
    assert recorder.batches[1] == [1, 2, 3]
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    results = await asyncio.gather(*others, return_exceptions=True)
    assert [type(r) for r in results[:2]] == [StoreUnavailable, StoreUnavailable]  # its batch, never hung
    assert results[2] == 40  # the one after led the next batch


async def test_a_batch_with_the_wrong_number_of_results_fails_its_callers() -> None:
    async def short(items: list[int]) -> list[int]:
        return items[:-1]

    coalescer: Coalescer[int, int] = Coalescer(short)
    with pytest.raises(ValueError, match="0 results for a batch of 1"):
        await coalescer.submit(1)
