"""The outbox's store statements on SQLite and PostgreSQL: a claim takes at most its limit (and two
claimers never share a message), and the outcomes of a pass are written in one statement, each only
where the message is still the worker's ``sending`` one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from store.db import Database
from store.models import Message
from store.repositories.messages import MessageRepository

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


async def _queue(database: Database, count: int) -> list[int]:
    async with database.session() as session:
        rows = [Message(direction="outbound", channel="sms", to_address=f"+2547{n:08d}", body=f"m{n}",
                        status="queued", segments=1, not_before=NOW, created_at=NOW, updated_at=NOW,
                        attachment_ids=[]) for n in range(count)]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def test_a_claim_takes_at_most_its_limit_in_order(database: Database) -> None:
    ids = await _queue(database, 40)
    taken: list[int] = []
    for _ in range(3):
        async with database.session() as session:
            claimed = await MessageRepository(session).claim("w1", NOW, 16, ["sms"])
        assert len(claimed) <= 16
        assert all(m.status == "sending" and m.worker == "w1" and m.attempts == 1 for m in claimed)
        taken += [m.id for m in claimed]
    assert taken == ids  # 16, 16, 8: every one once, oldest first


async def test_two_claimers_at_once_never_share_a_message(database: Database) -> None:
    await _queue(database, 30)

    async def claim(worker: str) -> list[int]:
        async with database.session() as session:
            return [m.id for m in await MessageRepository(session).claim(worker, NOW, 10, ["sms"])]

    first, second = await asyncio.gather(claim("w1"), claim("w2"))
    assert len(first) <= 10 and len(second) <= 10
    assert not set(first) & set(second)
