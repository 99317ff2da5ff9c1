"""One unit of work of the IVR: a database transaction, and the events to announce once it commits.

Each key a caller presses (FastAGI) and each Twilio request is one unit: the session row, the data
answers and what they create (a promise and its history entry, a callback and its tasks) are
written together or not at all, and the events (``IvrPromiseTaken`` ...) are published only after
the commit, so no listener reads what is not there yet.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from sqlalchemy.exc import OperationalError

from domain.events import Event
from store.db import Database, unavailable
from store.hot import CoreHotConnection, DriverHotConnection, HotConnection

log = logging.getLogger(__name__)
Publish = Callable[[Event], Awaitable[None]]


class Unit:
    """``hot()``: a connection for hot statements, each committing on its own (reads, and a
    session's state saved alone), taken on first use and kept until the unit ends (one pool
    checkout per request). ``writer()``: the unit's transaction, begun on first use, for the
    records (the session's start and end, history entries, promises, callbacks, and a state saved
    with them): on PostgreSQL on that same connection, committed as durably as the ORM's sessions
    commit (the database's ``synchronous_commit``, not the hot pool's); elsewhere on a Core
    connection of its own. A request that writes no record begins none and commits nothing."""

    def __init__(self, database: Database, stack: AsyncExitStack) -> None:
        self.database = database
        self._stack = stack
        self._hot: HotConnection | None = None
        self._writer: HotConnection | None = None
        self.events: list[Event] = []
        self.wrote = False  # records were written in the unit's transaction (a session's state then joins them)

    async def writer(self) -> HotConnection:
        """Hot statements in the unit's transaction, committed when the unit ends, rolled back
        when it raises. The unit then counts as written."""
        self.wrote = True
        if self._writer is None:
            hot = await self._connection()
            if isinstance(hot, DriverHotConnection):  # records commit as the ORM's do, whatever the pool's setting
                await self._stack.enter_async_context(hot.durable_transaction())
                self._writer = hot
            else:
                self._writer = CoreHotConnection(await self._stack.enter_async_context(self.database.engine.begin()))
        return self._writer

    def hot(self) -> AbstractAsyncContextManager[HotConnection]:
        """``async with unit.hot() as hot``: the unit's connection (no generator: it is entered
        several times a request)."""
        return _Held(self)

    async def _connection(self) -> HotConnection:
        if self._hot is None:
            self._hot = await self._stack.enter_async_context(self.database.hot())
        return self._hot


class _Held:
    __slots__ = ("_unit",)

    def __init__(self, unit: Unit) -> None:
        self._unit = unit

    async def __aenter__(self) -> HotConnection:
        return await self._unit._connection()

    async def __aexit__(self, *_exc: object) -> None:
        return None  # the connection stays with the unit until it ends


class Units:
    def __init__(self, database: Database, publish: Publish) -> None:
        self.database, self._publish = database, publish

    @asynccontextmanager
    async def open(self) -> AsyncIterator[Unit]:
        """A unit: its transaction (if it began one) committed when the block ends, rolled back
        when it raises, like :meth:`store.db.Database.session`; then its events published."""
        try:
            async with AsyncExitStack() as stack:  # the unit's connection and transaction, if it took them
                unit = Unit(self.database, stack)
                yield unit
        except OperationalError as exc:
            raise unavailable(exc) from exc
        for event in unit.events:  # committed: now tell the others
            try:
                await self._publish(event)
            except Exception:  # the record is there; a lost announcement must not fail the caller
                log.exception("ivr: could not publish %s", event.type_name)
