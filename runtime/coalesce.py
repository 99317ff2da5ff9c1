"""Concurrent callers' items handled together, by one of them (group commit without a worker task).

A caller hands its item to :meth:`Coalescer.submit` and waits for its own result. When no batch is
being handled, the caller leads: it takes every item waiting (up to ``max_batch``), hands them to
``handle`` in one call, gives each waiting caller its result (or the batch's exception) and steps
down; the callers whose items arrived meanwhile wake, and one of them leads the next batch. So
under load one database round trip serves many requests, and alone a request waits for nothing.
Then, stepped down (the next batch already under way), the leader runs ``after`` with the batch's
results (what needs no lock of the batch's: telling the world); a failure there is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from domain.errors import StoreUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    def __init__(self, handle: Callable[[list[T]], Awaitable[list[R]]], *, max_batch: int = 200,
                 after: Callable[[list[R]], Awaitable[None]] | None = None, linger: float | None = None) -> None:
        """``linger``: a leader first waits this long (0: lets the loop run once), so that items
        handed in meanwhile (e.g. the tasks a bus read starts) join its batch instead of waiting
        for the next; for work that may wait a little, and is cheaper in larger batches."""
        self._handle, self._after, self.max_batch, self._linger = handle, after, max_batch, linger
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._leading = False
        self._turn = asyncio.Event()
        self.batches = 0  # handled so far (tests and benches read it)

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        while not future.done():
            if self._leading:
                await self._turn.wait()
                continue
            await self._lead()
        return future.result()

    async def _lead(self) -> None:
        self._leading = True
        if self._linger is not None:
            try:
                await asyncio.sleep(self._linger)
            except asyncio.CancelledError:  # cancelled before it took a batch: the next caller leads
                self._step_down()
                raise
        batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
        results: list[R] = []
        try:
            handled = await self._handle([item for item, _ in batch])
            if len(handled) != len(batch):
                raise ValueError(f"{len(handled)} results for a batch of {len(batch)}")
            results = handled
        except asyncio.CancelledError:  # the leader's request went away: the others must not hang
            self._fail(batch, StoreUnavailable("the batch was interrupted"))
            raise
        except Exception as exc:
            self._fail(batch, exc)
        else:
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
        finally:
            self.batches += 1
            self._step_down()
        if results and self._after is not None:
            try:
                await self._after(results)
            except Exception:
                log.exception("after a batch of %d: failed (the batch itself is done)", len(results))

    def _step_down(self) -> None:
        self._leading = False
        turn, self._turn = self._turn, asyncio.Event()
        turn.set()

    @staticmethod
    def _fail(batch: list[tuple[T, asyncio.Future[R]]], exc: Exception) -> None:
        for _, future in batch:
            if not future.done():
                future.set_exception(exc)
