"""Every long-running asyncio task of a process lives here: referenced, logged, restarted.

``supervisor.spawn("cti.ami:default", lambda: bridge.run())`` runs the coroutine in a task. If it
raises, the failure is logged with the task's name and the coroutine is started again after a
backoff that doubles from ``backoff[0]`` up to ``backoff[1]`` (and resets once a run lasted longer
than ``backoff[1]``). A coroutine that returns normally is finished and not restarted.
``await supervisor.stop()`` cancels everything, waits (bounded) and then runs the cleanups
registered with :meth:`TaskSupervisor.add_cleanup` (e.g. closing the Redis client), last first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from domain.errors import SwitchboardError

log = logging.getLogger(__name__)

CoroFactory = Callable[[], Awaitable[object]]
Cleanup = Callable[[], Awaitable[None]]


class TaskSupervisor:
    def __init__(self, *, stop_timeout: float = 5.0) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._cleanups: list[Cleanup] = []
        self._stop_timeout = stop_timeout
        self._failures: dict[str, int] = {}
        self._stopping = False

    def spawn(
        self,
        name: str,
        coro_factory: CoroFactory,
        *,
        restart: bool = True,
        backoff: tuple[float, float] = (0.1, 5.0),
    ) -> asyncio.Task[None]:
        """Run ``coro_factory()`` as the task ``name`` (unique among running tasks)."""
        if self._stopping:
            raise SwitchboardError(f"supervisor is stopping; cannot spawn {name!r}")
        if name in self._tasks:
            raise SwitchboardError(f"a task named {name!r} is already running")
        task = asyncio.get_running_loop().create_task(
            self._run(name, coro_factory, restart, backoff), name=name
        )
        self._tasks[name] = task
        task.add_done_callback(lambda t: self._forget(name, t))
        return task

    def add_cleanup(self, cleanup: Cleanup) -> None:
        """Awaited by :meth:`stop` after every task ended (last registered runs first)."""
        self._cleanups.append(cleanup)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def failures(self, name: str) -> int:
        """How many times the task ``name`` has raised so far (kept after it ends)."""
        return self._failures.get(name, 0)

    async def cancel(self, *names: str, grace: float | None = None) -> None:
        """Cancel the named tasks (unknown names are ignored) and wait for them, bounded."""
        tasks = [self._tasks[n] for n in names if n in self._tasks]
        await self._cancel_and_wait(tasks, self._stop_timeout if grace is None else grace)

    async def stop(self, grace: float | None = None) -> None:
        self._stopping = True
        try:
            await self._cancel_and_wait(
                list(self._tasks.values()), self._stop_timeout if grace is None else grace
            )
            while self._cleanups:
                cleanup = self._cleanups.pop()
                try:
                    await asyncio.wait_for(cleanup(), self._stop_timeout)
                except Exception:
                    log.exception("supervisor cleanup %r failed", cleanup)
        finally:
            self._stopping = False

    async def _cancel_and_wait(self, tasks: list[asyncio.Task[None]], grace: float) -> None:
        if not tasks:
            return
        for task in tasks:
            task.cancel()
        _, pending = await asyncio.wait(tasks, timeout=grace)
        for task in pending:
            log.error("task %s did not stop within %.1f s", task.get_name(), grace)

    def _forget(self, name: str, task: asyncio.Task[None]) -> None:
        if self._tasks.get(name) is task:
            del self._tasks[name]

    async def _run(
        self, name: str, coro_factory: CoroFactory, restart: bool, backoff: tuple[float, float]
    ) -> None:
        low, high = backoff
        delay = low
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await coro_factory()
            except asyncio.CancelledError:
                raise
            except Exception:
                self._failures[name] = self._failures.get(name, 0) + 1
                if not restart:
                    log.exception("task %s failed (not restarted)", name)
                    return
                if loop.time() - started > high:
                    delay = low
                log.exception("task %s failed; restarting in %.2f s", name, delay)
                await asyncio.sleep(delay)
                delay = min(high, delay * 2)
                continue
            log.debug("task %s finished", name)
            return


def raise_if_cancelling() -> None:
    """Re-raise a cancellation that a library turned into another error (call in ``except``).

    Some client libraries (redis-py among them) can convert a ``CancelledError`` that arrives
    mid-I/O into a connection error; a retry loop catching that would then run on forever.
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
