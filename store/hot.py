"""Hot statements: the few statements every ring runs, with as little Python around them as possible.

Through SQLAlchemy one Core statement costs 250-600 µs of CPU (cache key, compiled-cache lookup,
parameter processing, the greenlet hop), which is most of a ring's budget; asyncpg alone costs
about 100 µs (``bench/pop_latency.py``). So the statements of the ring path are
:class:`HotStatement` objects, run through :meth:`store.db.Database.hot`:

* The SQLAlchemy Core statement stays the one source of the SQL. On PostgreSQL it is compiled once
  with the engine's dialect into its text, the order of its positional parameters, the values of
  its constant parameters, and the bind and result processors of every parameter's and column's
  type (SQLAlchemy's own, so values go in and come out exactly as through SQLAlchemy). A statement
  with an expanding parameter of run-time length (``IN :ids``) cannot be precompiled and is refused
  when it is built.
* On PostgreSQL, :class:`HotConnection` is an asyncpg connection from a small pool of the
  database's own: no transaction (each statement commits on its own, like
  :meth:`~store.db.Database.autocommit`), and no reset round trip when a connection goes back,
  unless it was left inside a transaction. Elsewhere (SQLite) it is the SQLAlchemy autocommit
  connection running the same statements.

Library errors become ours here: a lost or refused connection is :class:`StoreUnavailable`; any
other database error is a :class:`SwitchboardError` (a bug: these statements are idempotent upserts
and selects).
"""

from __future__ import annotations

import asyncio
import functools
import json
import operator
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Executable
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.types import TypeEngine

from domain.errors import StoreUnavailable, SwitchboardError

Row = Sequence[Any]
Processor = Callable[[Any], Any] | None
Getter = Callable[[Mapping[str, Any]], Any]
_UNAVAILABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
                asyncpg.CannotConnectNowError, asyncpg.TooManyConnectionsError)


@dataclass(frozen=True, slots=True)
class DriverSql:
    """A statement compiled for one dialect: what the driver needs, and nothing else."""

    text: str
    arguments_from: tuple[Getter, ...]  # one per positional parameter: its value from the run-time params
    results: tuple[Processor, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        return [get(params) for get in self.arguments_from]

    def row(self, record: Row) -> tuple[Any, ...]:
        return tuple(value if proc is None or value is None else proc(value)
                     for value, proc in zip(record, self.results, strict=True))


class HotStatement:
    """A Core statement that can also run on the driver directly (see the module docstring)."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[int, DriverSql] = {}

    def compiled(self, dialect: Dialect) -> DriverSql | None:
        """The driver form for ``dialect``, once :meth:`prepare` has made it."""
        return self._compiled.get(id(dialect))

    async def prepare(self, connection: Any, dialect: Dialect) -> DriverSql:
        """Compile for ``dialect`` and learn the result columns' database types from the server
        (as SQLAlchemy does from the cursor: some result processors depend on them)."""
        getters, text, columns = compile_parameters(self.statement, dialect)
        prepared = await connection.prepare(text)
        oids = [attribute.type.oid for attribute in prepared.get_attributes()]
        if len(columns) != len(oids):
            raise ValueError(f"{len(oids)} result columns from the server, {len(columns)} in the statement")
        results = tuple(type_.dialect_impl(dialect).result_processor(dialect, oid)
                        for type_, oid in zip(columns, oids, strict=True))
        found = self._compiled[id(dialect)] = DriverSql(text, getters, results)
        return found


def compile_parameters(statement: Executable, dialect: Dialect
                       ) -> tuple[tuple[Getter, ...], str, list[TypeEngine[Any]]]:
    """Compile ``statement`` for a positional ``dialect``: how to get each positional parameter's
    value (a run-time parameter through its bind processor, a constant processed once, or a
    column's Python-side default computed per run, as SQLAlchemy does), the SQL text, and the
    types of the result columns (a SELECT's columns, or what an INSERT/UPDATE returns, implicitly
    too)."""
    compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
    returning = compiled.effective_returning
    selected = returning if returning is not None else getattr(statement, "selected_columns", ())
    columns = [column.type for column in selected]
    required = {name for name, bind in compiled.binds.items() if bind.required}
    expanding = sorted(name for name in required if compiled.binds[name].expanding)
    if expanding:
        raise ValueError(f"a hot statement cannot have run-time expanding parameters: {expanding}")
    defaults = {column.key: column.default for column in compiled.insert_prefetch}
    defaults.update({column.key: column.onupdate for column in compiled.update_prefetch})
    state = compiled.construct_expanded_state(dict.fromkeys(required))
    if state.positiontup is None:
        raise ValueError(f"dialect {dialect.name} is not positional")
    origin = {expanded: name for name, names in state.parameter_expansion.items() for expanded in names}
    getters: list[Getter] = []
    for position in state.positiontup:
        source = origin.get(position, position)
        bind = compiled.binds[source].type.dialect_impl(dialect).bind_processor(dialect)
        if source in required:
            getters.append(_parameter(source, bind))
        elif source in defaults:
            getters.append(_default(defaults[source], bind))
        else:
            value = state.parameters[position]
            constant = bind(value) if bind is not None and value is not None else value
            getters.append(_constant(constant))
    return tuple(getters), state.statement, columns


def _constant(value: Any) -> Getter:
    return lambda _params: value


def _parameter(name: str, bind: Processor) -> Getter:
    if bind is None:
        return operator.itemgetter(name)
    return lambda params: None if (value := params[name]) is None else bind(value)


def _default(default: Any, bind: Processor) -> Getter:
    """A column's Python-side default (``default=`` / ``onupdate=``): a constant, or a callable of
    no arguments (SQLAlchemy wraps those to take an execution context and ignore it; a default
    that reads the context needs SQLAlchemy's execution and is refused)."""
    usable = default is not None and (default.is_scalar or (
        default.is_callable and hasattr(default.arg, "__wrapped__")))
    if not usable:
        raise ValueError(f"unsupported column default for a hot statement: {default!r}")
    if default.is_scalar:
        return _constant(default.arg if bind is None or default.arg is None else bind(default.arg))
    make = default.arg

    def produce(_params: Mapping[str, Any]) -> Any:
        value = make(None)
        return value if bind is None or value is None else bind(value)

    return produce


class HotConnection(ABC):
    """Runs :class:`HotStatement` objects; each statement commits on its own."""

    dialect: str  # the database's dialect name ("postgresql", "sqlite"): some statements differ by it

    @abstractmethod
    async def fetch(self, statement: HotStatement, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Run ``statement``; every row it returns (none for a statement without RETURNING)."""

    async def fetchrow(self, statement: HotStatement, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """Run ``statement``; its first row, or None."""
        rows = await self.fetch(statement, params)
        return rows[0] if rows else None

    @abstractmethod
    def savepoint(self) -> AbstractAsyncContextManager[None]:
        """Inside a transaction: the block's statements undone alone when it raises (SAVEPOINT),
        the transaction still usable."""


class CoreHotConnection(HotConnection):
    """A hot connection over SQLAlchemy (SQLite, or any dialect without a driver path)."""

    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection
        self.dialect = connection.dialect.name

    async def fetch(self, statement: HotStatement, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        try:
            result = await self._connection.execute(statement.statement, dict(params))
        except OperationalError as exc:
            raise StoreUnavailable("database unavailable", {"reason": str(exc.orig)}) from exc
        except DBAPIError as exc:
            raise SwitchboardError("database statement failed",
                                   {"sqlstate": getattr(exc.orig, "sqlstate", None)}) from exc
        return [tuple(row) for row in result] if result.returns_rows else []

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        try:
            async with self._connection.begin_nested():
                yield
        except OperationalError as exc:
            raise StoreUnavailable("database unavailable", {"reason": str(exc.orig)}) from exc


class DriverHotConnection(HotConnection):
    """A hot connection on an asyncpg connection (PostgreSQL)."""

    def __init__(self, connection: Any, dialect: Dialect) -> None:
        self._connection = connection
        self._dialect = dialect
        self.dialect = dialect.name

    async def fetch(self, statement: HotStatement, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        try:
            sql = statement.compiled(self._dialect) or await statement.prepare(self._connection, self._dialect)
            records = await self._connection.fetch(sql.text, *sql.arguments(params))
        except _UNAVAILABLE as exc:
            raise StoreUnavailable("database unavailable", {"reason": str(exc)}) from exc
        except asyncpg.PostgresError as exc:
            raise SwitchboardError("database statement failed", {"sqlstate": exc.sqlstate}) from exc
        return [sql.row(record) for record in records]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Several statements as one unit of work (BEGIN ... COMMIT, ROLLBACK when the block raises);
        inside a transaction, a SAVEPOINT."""
        try:
            async with self._connection.transaction():
                yield
        except _UNAVAILABLE as exc:
            raise StoreUnavailable("database unavailable", {"reason": str(exc)}) from exc

    def transaction_with_tail(self, tail: list[str]) -> AbstractAsyncContextManager[None]:
        """:meth:`transaction`, where the block may add plain SQL (no parameters) to ``tail``: it is
        sent with the COMMIT, in the same round trip (a statement whose result nobody reads, such as
        a summary refreshed from what the block wrote). If it fails, nothing is committed."""
        return self._block("BEGIN", "ROLLBACK", lambda: "; ".join([*tail, "COMMIT"]))

    @asynccontextmanager
    async def _block(self, begin: str, undo: str, end: str | Callable[[], str]) -> AsyncIterator[None]:
        """``begin``; the block; ``end``, or ``undo`` when the block or ``end`` raises (a
        transaction, a savepoint). A failure of ``begin`` or ``end`` (a deferred constraint at
        COMMIT, a statement sent with it) is a :class:`SwitchboardError`, as any other."""
        connection = self._connection
        try:
            await connection.execute(begin)
            try:
                yield
                await connection.execute(end if isinstance(end, str) else end())
            except BaseException:
                if connection.is_in_transaction() and not connection.is_closed():
                    await connection.execute(undo)
                raise
        except _UNAVAILABLE as exc:
            raise StoreUnavailable("database unavailable", {"reason": str(exc)}) from exc
        except asyncpg.PostgresError as exc:
            raise SwitchboardError("database statement failed", {"sqlstate": exc.sqlstate}) from exc

    def savepoint(self) -> AbstractAsyncContextManager[None]:
        # SQL of its own: asyncpg's nested transaction() needs its own BEGIN
        return self._block("SAVEPOINT hot_savepoint",
                           "ROLLBACK TO SAVEPOINT hot_savepoint; RELEASE SAVEPOINT hot_savepoint",
                           "RELEASE SAVEPOINT hot_savepoint")

    def durable_transaction(self) -> AbstractAsyncContextManager[None]:
        """Like :meth:`transaction`, with the commit of the database's own setting (as the engine's
        ORM sessions commit: waiting for the WAL flush unless the server says otherwise), whatever
        the pool's: ``SET LOCAL synchronous_commit TO DEFAULT``, sent with the BEGIN (one round trip)."""
        return self._block("BEGIN; SET LOCAL synchronous_commit TO DEFAULT", "ROLLBACK", "COMMIT")


async def _init_connection(connection: Any, *, durable: bool) -> None:
    """JSON in and out as SQLAlchemy's asyncpg dialect does (text on the wire, decoded on the way
    out); commits that wait for the WAL flush only if ``durable``."""
    if not durable:
        await connection.execute("SET synchronous_commit TO off")
    await connection.set_type_codec("json", encoder=str.encode, decoder=lambda b: json.loads(b.decode()),
                                    schema="pg_catalog", format="binary")
    await connection.set_type_codec("jsonb", encoder=lambda s: b"\x01" + s.encode(),
                                    decoder=lambda b: json.loads(b[1:].decode()), schema="pg_catalog",
                                    format="binary")


async def _reset_if_needed(connection: Any) -> None:
    """asyncpg resets every released connection with a round trip; ours only run single autocommit
    statements, so only one left inside a transaction (never, barring a bug) needs it."""
    if connection.is_in_transaction():
        await connection.reset()


class DriverPool:
    """The asyncpg pool of a PostgreSQL engine's hot path, created on first use."""

    def __init__(self, engine: AsyncEngine, *, max_size: int, durable: bool = False) -> None:
        self._durable = durable
        self._dsn = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self._dialect = engine.dialect
        self._max_size = max_size
        self._pool: Any = None
        self._lock = asyncio.Lock()

    async def _get(self) -> Any:
        if self._pool is None:
            async with self._lock:
                if self._pool is None:
                    try:
                        self._pool = await asyncpg.create_pool(
                            self._dsn, min_size=1, max_size=self._max_size, reset=_reset_if_needed,
                            init=functools.partial(_init_connection, durable=self._durable), statement_cache_size=256)
                    except _UNAVAILABLE as exc:
                        raise StoreUnavailable("database unavailable", {"reason": str(exc)}) from exc
        return self._pool

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[DriverHotConnection]:
        pool = await self._get()
        try:
            connection = await pool.acquire()
        except _UNAVAILABLE as exc:
            raise StoreUnavailable("database unavailable", {"reason": str(exc)}) from exc
        try:
            yield DriverHotConnection(connection, self._dialect)
        finally:
            await pool.release(connection)

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
