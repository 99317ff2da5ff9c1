"""How a bus group runs its events: several at once, in order per call and per agent.

A group subscribed with ``concurrency=1`` (the default) handles one event at a time, in the order
it received them. With ``concurrency=N`` up to N events run at once, but two events that share an
*ordering key* still run one after the other, in the order received: the keys of an event are its
call (``call_id``), the agent it concerns (``device``, ``agent_device``, ``username``,
``operator``) and its customer (``customer_id``), or else its type. So a pop for one caller never
waits for a slow lookup of another, while the ringing, answer and end of one call, two moves of one
agent, or two payments of one customer, keep their order.

:class:`KeyedRunner` is the mechanism (no I/O). ``submit`` waits for a free slot (back-pressure
on the reader), then starts the work as a task that first waits for the earlier work of each of
its keys. Every task is referenced until it ends; a failure is logged and never stops the runner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable

from domain.events import Event

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[object]]
_KEY_FIELDS = (("call_id", "call"), ("device", "device"), ("agent_device", "device"),
               ("username", "agent"), ("operator", "agent"), ("customer_id", "customer"))


def ordering_keys(event: Event) -> tuple[str, ...]:
    """The keys that order ``event`` against others in a concurrent group (see the module doc)."""
    keys = tuple(f"{prefix}:{value}" for field, prefix in _KEY_FIELDS
                 if (value := getattr(event, field, None)))
    return keys or (f"type:{event.type_name}",)


class KeyedRunner:
    def __init__(self, name: str, limit: int) -> None:
        if limit < 1:
            raise ValueError("a runner needs at least one slot")
        self.name = name
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[str, asyncio.Future[None]] = {}  # key -> end of the last work submitted for it
        self._tasks: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        """Work submitted and not finished (running or waiting for its keys)."""
        return len(self._tasks)

    async def submit(self, keys: Iterable[str], work: Work) -> None:
        """Start ``work`` after the earlier work of each of ``keys``; waits only for a free slot."""
        await self._slots.acquire()
        loop = asyncio.get_running_loop()
        keys = tuple(dict.fromkeys(keys))
        before = [tail for key in keys if (tail := self._tails.get(key)) is not None]
        done: asyncio.Future[None] = loop.create_future()
        for key in keys:
            self._tails[key] = done
        task = loop.create_task(self._run(before, work), name=f"{self.name}:work")
        self._tasks.add(task)
        # on the task's end, even a task cancelled before it started: the next of its keys may go
        task.add_done_callback(lambda t: self._finish(t, keys, done))

    async def _run(self, before: list[asyncio.Future[None]], work: Work) -> None:
        try:
            for earlier in before:
                await earlier
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s: work failed", self.name)

    def _finish(self, task: asyncio.Task[None], keys: tuple[str, ...], done: asyncio.Future[None]) -> None:
        self._tasks.discard(task)
        done.set_result(None)
        for key in keys:
            if self._tails.get(key) is done:
                del self._tails[key]
        self._slots.release()

    async def drain(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for all submitted work to end; True if it did."""
        deadline = asyncio.get_running_loop().time() + timeout
        while self._tasks:
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return False
            await asyncio.wait(list(self._tasks), timeout=remaining)
        return True

    async def cancel(self) -> None:
        """Cancel whatever still runs and wait for it to end."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
