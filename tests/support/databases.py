"""Database fixtures: every store/API test runs on SQLite (WAL, a file) and on PostgreSQL.

PostgreSQL gets one throw-away database per test session (``sb_test_<hex>``) and its tables are
truncated between tests. Set ``SWITCHBOARD_TEST_BACKENDS=sqlite`` to run SQLite only.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from store.db import Database, make_engine
from store.models import Base

PG_ADMIN_URL = os.environ.get("SWITCHBOARD_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _backends() -> list[str]:
    wanted = os.environ.get("SWITCHBOARD_TEST_BACKENDS", "sqlite,postgres")
    return [b.strip() for b in wanted.split(",") if b.strip()]


async def _pg_admin(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    name = f"sb_test_{secrets.token_hex(4)}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url.replace("postgresql://", "postgresql+asyncpg://", 1)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _create_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)


async def _truncate_all(engine: AsyncEngine) -> None:
    """Empty every table and restart every id sequence, as ``TRUNCATE ... RESTART IDENTITY`` would.

    DELETE with the foreign-key triggers off (``session_replication_role``, the tests' superuser)
    takes ~15 ms on tables this small, where one TRUNCATE of all of them took 200-235 ms on a quiet
    machine, for each of the suite's ~1,000 PostgreSQL tests."""
    deletes = "".join(f'DELETE FROM "{t.name}";' for t in reversed(Base.metadata.sorted_tables))
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw is not None
        async with raw.transaction():
            sequences = await raw.fetch("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
            restarts = "".join(f'ALTER SEQUENCE "{r["sequencename"]}" RESTART;' for r in sequences)
            await raw.execute(f"SET LOCAL session_replication_role = replica;{deletes}{restarts}")


_pg_schema_ready: set[str] = set()
_sqlite_templates: list[Path] = []


async def _sqlite_template(factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite database with the schema, made once per test process and copied for each
    test (a copy is ~1 ms; creating the schema ~180 ms)."""
    if not _sqlite_templates:
        path = factory.mktemp("sqlite-template") / "switchboard.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await _create_schema(engine)
        await engine.dispose()  # the last connection's close checkpoints the WAL into the file
        _sqlite_templates.append(path)
    return _sqlite_templates[0]


@pytest.fixture(params=[pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else [])
                        for b in _backends()])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database with the schema, on each backend in turn."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'switchboard.db'}"
    url: str = request.getfixturevalue("pg_database_url")
    return url


@pytest.fixture
async def database(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Database]:
    """A :class:`Database` on an empty schema (created, or truncated for PostgreSQL)."""
    postgres = database_url.startswith("postgresql")
    sqlite_file = Path(database_url.removeprefix("sqlite+aiosqlite:///"))
    fresh_sqlite = not postgres and not sqlite_file.exists()  # noqa: ASYNC240 - a local stat in a fixture
    if fresh_sqlite:
        shutil.copyfile(await _sqlite_template(tmp_path_factory), sqlite_file)
    engine = make_engine(database_url)
    if postgres and database_url in _pg_schema_ready:
        await _truncate_all(engine)
    elif not fresh_sqlite:  # PostgreSQL's first test, or a SQLite file a test made itself
        await _create_schema(engine)
        if postgres:
            _pg_schema_ready.add(database_url)
    db = Database(engine)
    try:
        yield db
    finally:
        await db.dispose()
