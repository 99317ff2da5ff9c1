"""SQLite connections going back to the pool (store/db.py): a transaction still open is rolled
back, and nothing is sent when none is (after a unit of work committed: the pool's usual
rollback would be one more round trip through aiosqlite's thread)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.util.concurrency import greenlet_spawn

from store.db import Database, make_engine


@pytest.fixture
async def plain(tmp_path: Path) -> Database:
    db = Database(make_engine(f"sqlite+aiosqlite:///{tmp_path / 'checkin.db'}"))
    async with db.session() as session:
        await session.execute(text("CREATE TABLE t (n INTEGER)"))
    return db


@pytest.fixture
def rollbacks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = AsyncAdapt_aiosqlite_connection.rollback

    def counted(self: AsyncAdapt_aiosqlite_connection) -> None:
        calls.append(1)
        original(self)

    monkeypatch.setattr(AsyncAdapt_aiosqlite_connection, "rollback", counted)
    return calls


async def test_a_committed_unit_of_work_sends_no_rollback(plain: Database, rollbacks: list[int]) -> None:
    async with plain.session() as session:
        await session.execute(text("INSERT INTO t VALUES (1)"))
    async with plain.session() as session:
        assert (await session.scalar(text("SELECT count(*) FROM t"))) == 1
    assert rollbacks == []
    await plain.dispose()


async def _write_then_fail(db: Database) -> None:
    async with db.session() as session:
        await session.execute(text("INSERT INTO t VALUES (2)"))
        raise RuntimeError("the caller failed")


async def test_a_failed_unit_of_work_is_rolled_back(plain: Database) -> None:
    with pytest.raises(RuntimeError):
        await _write_then_fail(plain)
    async with plain.session() as session:
        assert (await session.scalar(text("SELECT count(*) FROM t"))) == 0
    await plain.dispose()


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(plain: Database,
                                                                         rollbacks: list[int]) -> None:
    def write_and_return() -> None:
        raw = plain.engine.sync_engine.raw_connection()  # below SQLAlchemy's own transaction
        cursor = raw.cursor()
        cursor.execute("INSERT INTO t VALUES (3)")  # the driver opens a transaction
        cursor.close()
        raw.close()  # back to the pool with it open

    await greenlet_spawn(write_and_return)
    assert rollbacks == [1]
    async with plain.session() as session:  # not there, and the file is not left locked
        assert (await session.scalar(text("SELECT count(*) FROM t"))) == 0
        await session.execute(text("INSERT INTO t VALUES (4)"))
    async with plain.session() as session:
        assert (await session.scalar(text("SELECT count(*) FROM t"))) == 1
    await plain.dispose()
