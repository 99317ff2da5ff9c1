"""Claims are atomic: concurrent claimers never get the same task (PostgreSQL SKIP LOCKED, SQLite's
single writer), and callbacks go to their owner until the grace time ends."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from sqlalchemy import func, insert, select

from dialer.claim import claim_next
from store.db import Database
from store.models import CallTask, TaskStatus
from tests.dialer.conftest import WEDNESDAY_10_NAIROBI, World

NOW = WEDNESDAY_10_NAIROBI


async def _bulk_tasks(database: Database, campaign_id: int, customer_id: int, n: int) -> None:
    rng = random.Random(7)
    rows = [{"customer_id": customer_id, "campaign_id": campaign_id, "reason": "late", "source": "rule",
             "priority": rng.random(), "status": TaskStatus.QUEUED, "attempts": 0,
             "next_eligible_at": NOW - timedelta(minutes=rng.randint(0, 600)),
             "created_at": NOW, "updated_at": NOW} for _ in range(n)]
    async with database.session() as s:
        await s.execute(insert(CallTask), rows)


async def _claimer(database: Database, campaign_id: int, agent_id: int, out: list[tuple[int, int]]) -> None:
    for _ in range(10_000):  # bounded
        async with database.session() as s:
            task_id = await claim_next(s, campaign_id=campaign_id, agent_id=agent_id, now=NOW)
        if task_id is None:
            return
        out.append((task_id, agent_id))


async def test_four_concurrent_claimers_never_claim_one_task_twice(world: World, database_url: str) -> None:
    n = 2000 if database_url.startswith("postgresql") else 400
    agents = [await world.agent(f"agent{i}", f"PJSIP/20{i:02d}") for i in range(4)]
    customer = await world.customer()
    campaign = await world.campaign()
    await _bulk_tasks(world.database, campaign.id, customer.id, n)
    claims: list[tuple[int, int]] = []
    await asyncio.gather(*(_claimer(world.database, campaign.id, a.id, claims) for a in agents))
    ids = [task_id for task_id, _ in claims]
    assert len(ids) == n and len(set(ids)) == n  # every task once, none twice
    async with world.database.session() as s:
        rows = dict((await s.execute(select(CallTask.id, CallTask.reserved_by_id))).all())
        statuses = set((await s.scalars(select(CallTask.status))).all())
    assert statuses == {TaskStatus.RESERVED}
    assert all(rows[task_id] == agent_id for task_id, agent_id in claims)  # the row says who won
    assert len({agent for _, agent in claims}) > 1  # the claimers really ran side by side


async def test_claims_follow_priority_and_skip_tasks_not_yet_eligible(world: World) -> None:
    agent = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    campaign = await world.campaign()
    async with world.database.session() as s:
        low = CallTask(customer_id=customer.id, campaign_id=campaign.id, reason="late", priority=0.1,
                       next_eligible_at=NOW - timedelta(hours=1))
        high = CallTask(customer_id=customer.id, campaign_id=campaign.id, reason="late", priority=0.9,
                        next_eligible_at=NOW - timedelta(hours=1))
        later = CallTask(customer_id=customer.id, campaign_id=campaign.id, reason="late", priority=5.0,
                         next_eligible_at=NOW + timedelta(minutes=1))
        s.add_all([low, high, later])
    order = []
    for _ in range(3):
        async with world.database.session() as s:
            order.append(await claim_next(s, campaign_id=campaign.id, agent_id=agent.id, now=NOW))
    assert order == [high.id, low.id, None]


async def test_a_callback_goes_to_its_owner_until_the_grace_time_ends(world: World) -> None:
    owner = await world.agent("amina", "PJSIP/1001")
    other = await world.agent("brian", "PJSIP/1002")
    customer = await world.customer()
    campaign = await world.campaign()
    async with world.database.session() as s:
        task = CallTask(customer_id=customer.id, campaign_id=campaign.id, reason="callback", priority=1.5,
                        next_eligible_at=NOW - timedelta(minutes=5), owner_id=owner.id,
                        owner_until=NOW + timedelta(minutes=10))
        s.add(task)
    async with world.database.session() as s:
        assert await claim_next(s, campaign_id=campaign.id, agent_id=other.id, now=NOW) is None
    later = NOW + timedelta(minutes=10)
    async with world.database.session() as s:
        assert await claim_next(s, campaign_id=campaign.id, agent_id=other.id, now=later) == task.id
    async with world.database.session() as s:
        assert await s.scalar(select(func.count()).select_from(CallTask)
                              .where(CallTask.status == TaskStatus.QUEUED)) == 0
