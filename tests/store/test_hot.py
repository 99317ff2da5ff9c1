"""Hot statements (store/hot.py): the same rows and types as through SQLAlchemy, on both backends.

On PostgreSQL they run on asyncpg directly (SQL compiled once by SQLAlchemy); on SQLite through
SQLAlchemy. Either way a caller sees the same values.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import bindparam, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import asyncpg as pg_asyncpg

from domain.errors import StoreUnavailable, SwitchboardError
from store.db import Database, make_engine
from store.hot import DriverHotConnection, HotStatement, compile_parameters
from store.models import Contact, CustomerPhone, Role, User
from store.repositories.caller_lookup import POP_QUERY
from store.seed.demo import load_demo

NEW_USER = HotStatement(
    insert(User).values(username=bindparam("username"), display_name=bindparam("name"), role=Role.AGENT,
                        password_hash="x", extension=bindparam("extension"))
    .returning(User.id, User.role, User.queues, User.active, User.created_at, User.extension))


async def test_the_pop_query_gives_the_same_rows_and_types_as_sqlalchemy(database: Database) -> None:
    await load_demo(database, 12)
    async with database.session() as session:
        numbers = sorted(set((await session.scalars(select(CustomerPhone.e164))).all())
                         | set((await session.scalars(select(Contact.phone_e164))).all()))
        expected = {n: [tuple(row) for row in await session.execute(POP_QUERY.statement, {"e164": n, "limit": 20})]
                    for n in numbers}
    assert sum(len(rows) for rows in expected.values()) >= len(numbers)
    async with database.hot() as hot:
        got = {n: await hot.fetch(POP_QUERY, {"e164": n, "limit": 20}) for n in numbers}
    assert got == expected
    typed = [row for rows in got.values() for row in rows if row[3] is not None and row[8] is not None]
    assert typed, "the demo data has matches with loans and interactions"
    for row in typed:  # Decimal sums, enum relations, aware UTC datetimes, as SQLAlchemy gives them
        assert isinstance(row[3], Decimal)
        assert type(row[2]).__name__ == "Relation"
        assert row[8].tzinfo is not None and row[8].utcoffset() == timedelta(0)


async def test_an_insert_fills_python_side_defaults_per_run_and_returns_typed_values(database: Database) -> None:
    async with database.hot() as hot:
        first = await hot.fetchrow(NEW_USER, {"username": "a1", "name": "A", "extension": "PJSIP/1"})
        await asyncio.sleep(0.01)
        second = await hot.fetchrow(NEW_USER, {"username": "a2", "name": "B", "extension": None})
    assert first is not None and second is not None
    assert first[1] is Role.AGENT and first[2] == [] and first[3] is True  # enum, JSON default, scalar default
    assert second[5] is None
    assert first[4].tzinfo is not None and second[4] > first[4]  # utcnow() run for each insert
    assert abs(datetime.now(UTC) - second[4]) < timedelta(minutes=1)
    async with database.session() as session:
        stored = (await session.scalars(select(User).order_by(User.id))).all()
    assert [(u.username, u.role, u.queues, u.extension) for u in stored] == [
        ("a1", Role.AGENT, [], "PJSIP/1"), ("a2", Role.AGENT, [], None)]


async def test_constant_lists_are_expanded_once_and_run_time_lists_are_refused(database: Database) -> None:
    moved = HotStatement(update(User).where(User.username == bindparam("who"), User.role.in_((Role.AGENT, Role.ADMIN)))
                         .values(display_name=bindparam("name")).returning(User.display_name))
    async with database.hot() as hot:
        await hot.fetch(NEW_USER, {"username": "a1", "name": "A", "extension": None})
        assert await hot.fetchrow(moved, {"who": "a1", "name": "Amina"}) == ("Amina",)
        assert await hot.fetchrow(moved, {"who": "nobody", "name": "x"}) is None
    listed = select(User.id).where(User.id.in_(bindparam("ids", expanding=True)))
    with pytest.raises(ValueError, match="expanding"):
        compile_parameters(listed, pg_asyncpg.dialect())


def test_the_postgresql_text_is_positional_with_constants_bound_once() -> None:
    statement = select(User.id, literal("x")).where(User.role.in_((Role.AGENT, Role.SUPERVISOR)),
                                                    User.username == bindparam("who"))
    getters, text, columns = compile_parameters(statement, pg_asyncpg.dialect())
    assert "IN ($3, $4)" in text and "username = $2" in text and "POSTCOMPILE" not in text
    assert [get({"who": "amina"}) for get in getters] == ["x", "amina", "AGENT", "SUPERVISOR"]  # $1..$4
    assert len(columns) == 2


@pytest.mark.postgres
async def test_a_database_that_is_down_is_store_unavailable() -> None:
    database = Database(make_engine("postgresql+asyncpg://postgres@127.0.0.1:1/nowhere"))
    try:
        with pytest.raises(StoreUnavailable) as caught:
            async with database.hot() as hot:
                await hot.fetch(NEW_USER, {"username": "a", "name": "A", "extension": None})
        assert caught.value.__cause__ is not None
    finally:
        await database.dispose()


async def test_a_failing_statement_is_a_switchboard_error_from_the_driver(database: Database) -> None:
    async with database.hot() as hot:
        await hot.fetch(NEW_USER, {"username": "twice", "name": "A", "extension": None})
        with pytest.raises(SwitchboardError, match="statement failed") as caught:
            await hot.fetch(NEW_USER, {"username": "twice", "name": "A", "extension": None})
    assert caught.value.__cause__ is not None  # the library's error, converted where it entered
    if database.engine.dialect.name == "postgresql":
        assert caught.value.details == {"sqlstate": "23505"}
    async with database.hot() as hot:  # the connection went back to the pool usable
        assert await hot.fetchrow(NEW_USER, {"username": "next", "name": "B", "extension": None}) is not None


@pytest.mark.postgres
@pytest.mark.parametrize("durable", [False, True])
async def test_hot_commits_wait_for_the_wal_only_when_asked(pg_database_url: str, durable: bool) -> None:
    database = Database(make_engine(pg_database_url), hot_durable_commits=durable)
    setting = HotStatement(select(func.current_setting("synchronous_commit")))
    try:
        async with database.hot() as hot:
            assert await hot.fetchrow(setting, {}) == ("on" if durable else "off",)
        async with database.session() as session:  # the engine's own connections keep the server default
            assert (await session.execute(setting.statement)).scalar_one() == "on"
    finally:
        await database.dispose()


async def test_a_transactions_tail_runs_in_its_commit_and_a_failing_one_commits_nothing(
        database: Database) -> None:
    if database.engine.dialect.name != "postgresql":
        pytest.skip("the driver's connection (PostgreSQL)")
    count = HotStatement(select(func.count()).select_from(User))
    async with database.hot() as hot:
        assert isinstance(hot, DriverHotConnection)
        tail: list[str] = []
        async with hot.transaction_with_tail(tail):
            await hot.fetch(NEW_USER, {"username": "kept", "name": "A", "extension": None})
            tail.append("UPDATE users SET display_name = 'From the tail' WHERE username = 'kept'")

        async def failing_tail() -> None:
            tail: list[str] = []
            async with hot.transaction_with_tail(tail):
                await hot.fetch(NEW_USER, {"username": "undone", "name": "B", "extension": None})
                tail.append("UPDATE users SET id = 1 / 0 WHERE username = 'undone'")

        with pytest.raises(SwitchboardError, match="statement failed") as caught:
            await failing_tail()
        assert caught.value.details == {"sqlstate": "22012"}  # division by zero, from the tail
        assert await hot.fetchrow(count, {}) == (1,)  # the connection is usable: the insert undone too
    async with database.session() as session:
        kept = await session.scalar(select(User).where(User.username == "kept"))
    assert kept is not None and kept.display_name == "From the tail"


def test_the_compiler_api_hot_statements_rely_on_is_still_there() -> None:
    """``store.hot`` uses only SQLAlchemy's documented compiler API (Core Internals: ``SQLCompiler``
    ``binds``, ``insert_prefetch``/``update_prefetch``, ``effective_returning`` and
    ``construct_expanded_state``, whose ``ExpandedState`` gives ``positiontup``,
    ``parameter_expansion``, ``parameters`` and ``statement``). An upgrade that renames or reshapes
    any of them fails here, by name, before the ring path breaks."""
    from sqlalchemy.sql.compiler import ExpandedState, SQLCompiler

    statement = (insert(User).values(username=bindparam("username"), display_name="x", role=Role.AGENT,
                                     password_hash="x").returning(User.id))
    compiled = statement.compile(dialect=pg_asyncpg.dialect())
    assert isinstance(compiled, SQLCompiler)
    assert "username" in compiled.binds and compiled.binds["username"].required
    assert [column.key for column in compiled.effective_returning or ()] == ["id"]
    assert {column.key for column in compiled.insert_prefetch} >= {"created_at"}
    assert isinstance(compiled.update_prefetch, list)
    state = compiled.construct_expanded_state({"username": None})
    assert isinstance(state, ExpandedState)
    assert state.positiontup is not None and "username" in state.positiontup
    assert state.statement.startswith("INSERT INTO users") and "$1" in state.statement
    assert isinstance(state.parameter_expansion, dict) and "display_name" in "".join(state.parameters)
