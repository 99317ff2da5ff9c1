"""Alembic: upgrade head on an empty database gives exactly the models' schema; downgrade base empties it."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, pool, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from store.migrate import downgrade_async, head_revision, upgrade_async
from store.models import Base
from tests.store.migration_support import empty_database_url

__all__ = ["empty_database_url"]


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def _inspect(url: str) -> tuple[list[Any], set[str]]:
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_diff), await conn.run_sync(_tables)
    finally:
        await engine.dispose()


async def test_upgrade_head_matches_the_models_and_downgrade_base_empties(empty_database_url: str) -> None:
    url = empty_database_url
    assert await upgrade_async(url) == head_revision()

    diff, tables = await _inspect(url)
    assert diff == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}

    assert await upgrade_async(url) == head_revision()  # a second upgrade is a no-op

    assert await downgrade_async(url) is None
    diff, tables = await _inspect(url)
    assert tables == {"alembic_version"}
    assert len(diff) >= len(Base.metadata.tables)  # every model table is missing again


async def test_empty_database_differs_from_the_models(empty_database_url: str) -> None:
    """The comparison used above really sees a missing schema (it is not vacuous)."""
    diff, tables = await _inspect(empty_database_url)
    assert tables == set()
    added = {entry[1].name for entry in diff if entry[0] == "add_table"}
    assert added == set(Base.metadata.tables)


async def test_each_revision_upgrades_in_place_keeping_rows(empty_database_url: str) -> None:
    """Upgrading step by step from the first revision keeps existing rows (what a real deploy does)."""
    url = empty_database_url
    assert await upgrade_async(url, "0001") == "0001"
    engine = create_async_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(
                "INSERT INTO customers (name, name_lower, timezone, risk_score, do_not_call, "
                "alt_contacts_consent, created_at, updated_at) VALUES ('Amina Wanjiru', 'amina wanjiru', "
                "'Africa/Nairobi', 0, false, false, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
        assert await upgrade_async(url) == head_revision()
        async with engine.connect() as conn:
            names = (await conn.execute(text("SELECT name FROM customers"))).scalars().all()
        assert names == ["Amina Wanjiru"]
    finally:
        await engine.dispose()
