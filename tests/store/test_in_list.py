"""``in_list`` (store/in_list.py): one array parameter on PostgreSQL, an expanding IN on SQLite, the
same rows either way, and a statement built once that runs with lists of any length."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from store.db import Database
from store.in_list import in_list
from store.models import User
from store.seed.demo import load_demo

BY_NAMES = select(User.username).where(in_list(User.username, "names")).order_by(User.username)


def test_postgresql_binds_the_list_as_one_array_and_sqlite_expands_it() -> None:
    pg = BY_NAMES.compile(dialect=postgresql.asyncpg.dialect())  # type: ignore[attr-defined]
    assert "WHERE users.username = ANY ($1::VARCHAR(64)[])" in str(pg)
    assert list(pg.params) == ["names"]
    lite = BY_NAMES.compile(dialect=sqlite.dialect())
    assert "IN (__[POSTCOMPILE_names])" in str(lite)


async def test_the_same_statement_finds_exactly_the_listed_rows(database: Database) -> None:
    await load_demo(database, 3)
    async with database.session() as session:
        everyone = sorted((await session.scalars(select(User.username))).all())
        assert len(everyone) >= 3
        for names in (everyone[:1], everyone[:2], [everyone[-1], "nobody-at-all"], everyone):
            found = (await session.scalars(BY_NAMES, {"names": names})).all()
            assert found == sorted(n for n in names if n in everyone)
