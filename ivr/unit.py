"""One unit of work of the IVR: a database transaction, and the events to announce once it commits.

Each key a caller presses (FastAGI) and each Twilio request is one unit: the session row, the data
answers and what they create (a promise and its history entry, a callback and its tasks) are
written together or not at all, and the events (``IvrPromiseTaken`` ...) are published only after
the commit, so no listener reads what is not there yet.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.events import Event
from store.db import Database, unavailable
from store.hot import HotConnection, joining

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]


class Unit:
    """``session``: the ORM unit, made on first use (a request that runs only hot statements makes
    none and commits nothing); its transaction begins at its first statement. ``writer()``: hot
    statements in that same transaction (the session's start and end, history entries, a state
    saved with records). ``hot()``: a connection for hot statements, each committing on its own
    (reads, and a session's state saved alone), taken on first use and kept until the unit ends
    (one pool checkout per request)."""

    def __init__(self, database: Database, stack: AsyncExitStack) -> None:
        self.database = database
        self._stack = stack
        self._hot: HotConnection | None = None
        self.events: list[Event] = []
        self.wrote = False  # records were written in the unit's transaction (a session's state then joins them)
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            self._session = self.database.sessions()
        return self._session

    async def writer(self) -> HotConnection:
        """Hot statements in the unit's transaction, committed or rolled back with what the ORM
        session holds: that is flushed first (as autoflush would), and the transaction begins
        here if nothing began it (:func:`store.hot.joining`). The unit then counts as written."""
        self.wrote = True
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        return await joining(await session.connection(), begin=True)

    @asynccontextmanager
    async def hot(self) -> AsyncIterator[HotConnection]:
        if self._hot is None:
            self._hot = await self._stack.enter_async_context(self.database.hot())
        yield self._hot


class Units:
    def __init__(self, database: Database, publish: Publish) -> None:
        self.database, self._publish = database, publish

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Unit]:
        """A unit: its ORM session (if one was made) committed when the block ends, rolled back
        when it raises, like :meth:`store.db.Database.session`; then its events published."""
        async with AsyncExitStack() as stack:  # the unit's hot connection, if it took one
            unit = Unit(self.database, stack)
            try:
                yield unit
                if unit._session is not None:
                    await unit._session.commit()
            except OperationalError as exc:
                raise unavailable(exc) from exc
            finally:
                if unit._session is not None:
                    await unit._session.close()  # rolls back what was not committed
        for event in unit.events:  # committed: now tell the others
            try:
                await self._publish(event)
            except Exception:  # the record is there; a lost announcement must not fail the caller
                log.exception("ivr: could not publish %s", event.type_name)
