"""Carrier callbacks already handled, in the database: a repeat is recognised after a restart and by
any worker (the :class:`cti.twilio.ledger.CallbackLedger` of the app).

``first_time`` is one statement, ``INSERT ... ON CONFLICT DO NOTHING RETURNING key``: when two
workers race with the same callback, one inserts the keys and the other inserts none, so exactly one
of them handles it. Every webhook runs these statements, so they are :class:`store.hot.HotStatement`
objects (one round trip each, no transaction around them). Rows older than ``keep`` are pruned
(Twilio repeats within minutes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from store.db import Database
from store.hot import HotStatement
from store.models import WebhookReceipt, utcnow

KEEP = timedelta(days=2)
_table: Table = WebhookReceipt.__table__  # type: ignore[assignment]  # a mapped class's table is a Table


def _claim(dialect: str, count: int) -> HotStatement:
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_table)
    rows: list[dict[str, Any]] = [{"key": bindparam(f"k{n}"), "received_at": bindparam("at")} for n in range(count)]
    return HotStatement(insert.values(rows).on_conflict_do_nothing().returning(_table.c.key))


_CLAIMS = {(dialect, count): _claim(dialect, count) for dialect in ("postgresql", "sqlite") for count in (1, 2, 3)}
_ANSWER = HotStatement(select(_table.c.answer).where(_table.c.key == bindparam("the_key")))
_REMEMBER = HotStatement(update(_table).where(_table.c.key == bindparam("the_key"))
                         .values(answer=bindparam("the_answer")))


class WebhookReceipts:
    def __init__(self, database: Database, keep: timedelta = KEEP) -> None:
        self.database = database
        self.keep = keep

    async def first_time(self, keys: Sequence[str]) -> bool:
        """True when none of ``keys`` was stored (they are now), False for a repeat."""
        unique = list(dict.fromkeys(keys))
        if not 1 <= len(unique) <= 3:
            raise ValueError("one to three keys per callback")
        params = {f"k{n}": key for n, key in enumerate(unique)} | {"at": utcnow()}
        async with self.database.hot() as hot:
            added = await hot.fetch(_CLAIMS[(hot.dialect, len(unique))], params)
        return len(added) == len(unique)

    async def answer(self, key: str) -> str | None:
        async with self.database.hot() as hot:
            row = await hot.fetchrow(_ANSWER, {"the_key": key})
        return None if row is None else row[0]

    async def remember(self, key: str, answer: str) -> None:
        async with self.database.hot() as hot:
            await hot.fetch(_REMEMBER, {"the_key": key, "the_answer": answer})

    async def prune(self) -> int:
        """Forget receipts older than ``keep``; how many."""
        async with self.database.session() as session:
            result = await session.execute(delete(WebhookReceipt)
                                           .where(WebhookReceipt.received_at < utcnow() - self.keep))
        return int(getattr(result, "rowcount", 0) or 0)
