"""Schema migrations: Alembic configured from the package path (no ini file, any working directory).

``upgrade(url)`` is what ``switchboard db upgrade`` and ``make run`` call; ``upgrade_async`` is the
same for code already inside an event loop. ``store/alembic.ini`` exists only for developers who run
the ``alembic`` tool by hand (``alembic -c store/alembic.ini revision --autogenerate -m ...``).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from domain.errors import ConfigError, InvalidInput, StoreUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic config pointing at ``store/migrations`` (and at ``database_url`` if given)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if database_url:
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise ConfigError("no migration revisions found", {"path": str(MIGRATIONS_DIR)})
    return head


def _run(connection: Connection, action: str, target: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(cfg, target)
    else:
        command.downgrade(cfg, target)


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _engine(database_url: str) -> AsyncEngine:
    try:
        return create_async_engine(database_url, poolclass=pool.NullPool)
    except (ArgumentError, ValueError, ImportError) as exc:  # bad URL or unknown driver
        raise ConfigError(f"bad database URL: {exc}", {"database_url": str(exc)}) from exc


@asynccontextmanager
async def _connect(database_url: str) -> AsyncIterator[AsyncConnection]:
    """A connection; unreachable or refusing databases become StoreUnavailable."""
    engine = _engine(database_url)
    try:
        async with engine.connect() as conn:
            yield conn
    except (OperationalError, DBAPIError, OSError) as exc:
        raise StoreUnavailable(f"cannot use the database: {exc}", {"reason": str(exc)}) from exc
    finally:
        await engine.dispose()


async def _migrate(database_url: str, action: str, target: str) -> str | None:
    async with _connect(database_url) as conn:
        try:
            await conn.run_sync(_run, action, target)
        except CommandError as exc:  # unknown or ambiguous revision
            raise InvalidInput(f"cannot {action} to {target!r}: {exc}", {"revision": str(exc)}) from exc
        await conn.commit()
        return await conn.run_sync(_current)


async def upgrade_async(database_url: str, target: str = "head") -> str | None:
    """Migrate ``database_url`` up to ``target``; returns the revision it is now at."""
    return await _migrate(database_url, "upgrade", target)


async def downgrade_async(database_url: str, target: str = "base") -> str | None:
    return await _migrate(database_url, "downgrade", target)


async def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None: not migrated at all)."""
    async with _connect(database_url) as conn:
        return await conn.run_sync(_current)


def upgrade(database_url: str, target: str = "head") -> str | None:
    """Blocking form of :func:`upgrade_async` for the CLI and scripts (not inside an event loop)."""
    return asyncio.run(upgrade_async(database_url, target))


def downgrade(database_url: str, target: str = "base") -> str | None:
    return asyncio.run(downgrade_async(database_url, target))
