"""Schema migrations: Alembic configured from the package path (no ini file, any working directory).

``upgrade(url)`` is what ``switchboard db upgrade`` and ``make run`` call; ``upgrade_async`` is the
same for code already inside an event loop. ``store/alembic.ini`` exists only for developers who run
the ``alembic`` tool by hand (``alembic -c store/alembic.ini revision --autogenerate -m ...``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import pool
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import create_async_engine

from domain.errors import ConfigError, StoreUnavailable

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


async def _migrate(database_url: str, action: str, target: str) -> str | None:
    try:
        engine = create_async_engine(database_url, poolclass=pool.NullPool)
    except (ValueError, ImportError) as exc:  # bad URL or unknown driver
        raise ConfigError(f"bad database URL: {exc}", {"database_url": str(exc)}) from exc
    try:
        async with engine.connect() as conn:
            await conn.run_sync(_run, action, target)
            await conn.commit()
            return await conn.run_sync(_current)
    except (OperationalError, DBAPIError, OSError) as exc:
        raise StoreUnavailable(f"cannot migrate the database: {exc}", {"reason": str(exc)}) from exc
    finally:
        await engine.dispose()


async def upgrade_async(database_url: str, target: str = "head") -> str | None:
    """Migrate ``database_url`` up to ``target``; returns the revision it is now at."""
    return await _migrate(database_url, "upgrade", target)


async def downgrade_async(database_url: str, target: str = "base") -> str | None:
    return await _migrate(database_url, "downgrade", target)


async def current_revision(database_url: str) -> str | None:
    engine = create_async_engine(database_url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_current)
    finally:
        await engine.dispose()


def upgrade(database_url: str, target: str = "head") -> str | None:
    """Blocking form of :func:`upgrade_async` for the CLI and scripts (not inside an event loop)."""
    return asyncio.run(upgrade_async(database_url, target))


def downgrade(database_url: str, target: str = "base") -> str | None:
    return asyncio.run(downgrade_async(database_url, target))
