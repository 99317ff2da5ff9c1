"""Engine and session factory. Created by the app at start from settings, never at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import PoolResetState

from domain.errors import StoreUnavailable
from store.hot import CoreHotConnection, DriverPool, HotConnection
from store.repositories import work_summary  # noqa: F401  (registers the work list's after_flush upkeep)

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable at commit boundaries in WAL mode
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_reset(dbapi_conn: Any, _record: Any, state: PoolResetState) -> None:
    """A connection's reset when it goes back to the pool: a transaction still open is rolled
    back; none is open after a unit of work committed (or rolled back), and the pool's usual
    unconditional rollback is then a round trip through aiosqlite's thread for nothing."""
    if state.terminate_only or not state.asyncio_safe:
        return
    driver = getattr(dbapi_conn, "driver_connection", None)
    if getattr(driver, "in_transaction", True):  # not known: roll back, as the pool would
        dbapi_conn.rollback()


def make_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and a check-in reset that
    rolls back only an open transaction."""
    if database_url.startswith("sqlite"):
        kwargs.setdefault("pool_reset_on_return", None)  # _sqlite_reset does it
        engine = create_async_engine(database_url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _sqlite_reset)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # No pre-ping: it costs a round trip per checkout (the screen-pop lookup's budget is 5 ms).
    # Stale connections are recycled instead; a dead one fails the unit of work as StoreUnavailable.
    kwargs.setdefault("pool_recycle", 1800)
    return create_async_engine(database_url, **kwargs)


def unavailable(exc: OperationalError) -> StoreUnavailable:
    """The database's own words (hosts, users, paths) go to the log; the error names only their kind."""
    log.warning("database unavailable: %s", str(exc.orig)[:300])
    return StoreUnavailable("database unavailable", {"reason": type(exc.orig).__name__})


class Database:
    """Owns the engine and hands out sessions; ``session()`` commits on success.

    ``hot()`` is for the few statements of the ring path (:mod:`store.hot`): on PostgreSQL they
    run on a small asyncpg pool of their own (at most ``hot_pool_size`` connections, opened on
    first use), beside the engine's pool. Unless ``hot_durable_commits``, their commits do not
    wait for the WAL flush (``synchronous_commit=off`` on those connections): a ring's writes are
    the agent's live state, 30-minute grants and call-record fields, and waiting for the disk
    was 0.25 ms at the median and 1.5 ms at the p99 of every ring (bench/pop_latency.py), for
    durability against a PostgreSQL crash of at most the last ~0.6 s of them (never corruption).
    """

    def __init__(self, engine: AsyncEngine, *, hot_pool_size: int = 10, hot_durable_commits: bool = False) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        postgres = engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"
        self._driver = DriverPool(engine, max_size=hot_pool_size,
                                  durable=hot_durable_commits) if postgres else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed before the block's caller returns, rolled back on error."""
        try:
            async with self.sessions() as session, session.begin():
                yield session
        except OperationalError as exc:
            raise unavailable(exc) from exc

    @asynccontextmanager
    async def autocommit(self) -> AsyncIterator[AsyncConnection]:
        """A Core connection where every statement commits on its own (no BEGIN/COMMIT round
        trips): for hot paths whose statements are each idempotent and need no common unit."""
        try:
            async with self._autocommit.connect() as connection:
                yield connection
        except OperationalError as exc:
            raise unavailable(exc) from exc

    @asynccontextmanager
    async def hot(self) -> AsyncIterator[HotConnection]:
        """A connection for :class:`~store.hot.HotStatement` objects; each statement commits on its own."""
        if self._driver is not None:
            async with self._driver.connection() as driver:
                yield driver
        else:
            async with self.autocommit() as connection:
                yield CoreHotConnection(connection)

    async def dispose(self) -> None:
        if self._driver is not None:
            await self._driver.close()
        await self.engine.dispose()
