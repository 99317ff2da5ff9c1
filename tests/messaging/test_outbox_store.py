"""The outbox's store statements on SQLite and PostgreSQL: a claim takes at most its limit (and two
claimers never share a message), and the outcomes of a pass are written in one statement, each only
where the message is still the worker's ``sending`` one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import select, update

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


async def test_the_outcomes_of_a_pass_are_written_only_where_the_message_is_still_ours(database: Database) -> None:
    await _queue(database, 6)
    async with database.session() as session:
        a, b, c, d, e, f = await MessageRepository(session).claim("w1", NOW, 6, ["sms"])
    async with database.session() as session:  # a report came first for e; f was taken over by another worker
        repo = MessageRepository(session)
        assert await repo.report(e.id, "delivered", {"updated_at": NOW})
        await session.execute(update(Message).where(Message.id == f.id).values(worker="w2"))
    later = datetime(2026, 12, 7, 7, 0, 2, tzinfo=UTC)
    sent = {"status": "sent", "sent_at": later, "provider": "africastalking", "cost": "KES 0.8000",
            "reason": None, "updated_at": later, "worker": None}
    outcomes = [
        (a.id, {**sent, "provider_message_id": "AT-1"}),
        (b.id, {**sent, "provider_message_id": "AT-2", "reason": "after: infobip could not be reached"}),
        (c.id, {"status": "unknown", "provider": "infobip", "provider_message_id": "sb-3-1", "reason": "no answer",
                "updated_at": later, "worker": None}),
        (d.id, {"status": "queued", "not_before": later, "reason": "not sent yet", "updated_at": later,
                "worker": None}),
        (e.id, {**sent, "provider_message_id": "AT-5"}),
        (f.id, {**sent, "provider_message_id": "AT-6"}),
    ]
    async with database.session() as session:
        written = await MessageRepository(session).finish_many("w1", outcomes)
    assert written == {a.id, b.id, c.id, d.id}
    async with database.session() as session:
        rows = {m.id: m for m in (await session.scalars(select(Message))).all()}
    assert (rows[a.id].status, rows[a.id].provider_message_id, rows[a.id].sent_at, rows[a.id].reason,
            rows[a.id].worker, rows[a.id].cost) == ("sent", "AT-1", later, None, None, "KES 0.8000")
    assert rows[b.id].reason == "after: infobip could not be reached"
    assert (rows[c.id].status, rows[c.id].provider, rows[c.id].provider_message_id, rows[c.id].sent_at) == (
        "unknown", "infobip", "sb-3-1", None)
    assert (rows[d.id].status, rows[d.id].not_before, rows[d.id].provider) == ("queued", later, None)
    assert rows[e.id].status == "delivered" and rows[e.id].provider_message_id is None  # the report's, kept
    assert rows[f.id].status == "sending" and rows[f.id].worker == "w2"
    async with database.session() as session:  # written once: a second write finds nothing of ours
        assert await MessageRepository(session).finish_many("w1", outcomes) == set()
