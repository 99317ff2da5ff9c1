"""One unit of work of the IVR: a database transaction, and the events to announce once it commits.

Each key a caller presses (FastAGI) and each Twilio request is one unit: the session row, the data
answers and what they create (a promise and its history entry, a callback and its tasks) are
written together or not at all, and the events (``IvrPromiseTaken`` ...) are published only after
the commit, so no listener reads what is not there yet.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import Event
from store.db import Database
from store.hot import HotConnection

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]


@dataclass
class Unit:
    """``session``: the ORM unit (a transaction begins at its first statement); ``hot()``: a
    connection for hot statements, each committing on its own (reads, and a session's state)."""

    session: AsyncSession
    database: Database
    events: list[Event] = field(default_factory=list)
    wrote: bool = False  # records were written in ``session`` (a session's state then joins them)

    def hot(self) -> AbstractAsyncContextManager[HotConnection]:
        return self.database.hot()


class Units:
    def __init__(self, database: Database, publish: Publish) -> None:
        self.database, self._publish = database, publish

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Unit]:
        async with self.database.session() as session:
            unit = Unit(session, self.database)
            yield unit
        for event in unit.events:  # committed: now tell the others
            try:
                await self._publish(event)
            except Exception:  # the record is there; a lost announcement must not fail the caller
                log.exception("ivr: could not publish %s", event.type_name)
