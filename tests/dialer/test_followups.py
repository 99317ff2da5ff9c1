"""Due follow-ups reach the assignee's socket once (``task.due``), also after a restart in between
(a new pusher on the same database), and never twice with two workers."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from dialer.followups import FollowUpPusher
from store.models import FollowUpTask
from tests.dialer.conftest import World


async def _follow_up(world: World, assignee_id: int, customer_id: int, due_in: timedelta) -> int:
    async with world.database.session() as s:
        task = FollowUpTask(customer_id=customer_id, assignee_id=assignee_id, kind="follow_up",
                            due_at=world.clock() + due_in, instructions="check the payment")
        s.add(task)
        await s.flush()
        return task.id


async def test_due_follow_up_is_pushed_once_and_survives_a_restart(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    first = await _follow_up(world, amina.id, customer.id, timedelta(minutes=10))
    pusher = FollowUpPusher(world.dialer.ctx)
    assert await pusher.push_due() == 0  # not due yet
    world.clock.advance(minutes=10)
    assert await pusher.push_due() == 1
    assert await pusher.push_due() == 0
    [due] = await world.messages("agent:amina", "task.due")
    assert due.data["id"] == first and due.data["customer_name"] == "Wanjiku Kamau"
    assert due.data["instructions"] == "check the payment"

    # The server is down while a second follow-up falls due; a new process picks it up.
    second = await _follow_up(world, amina.id, customer.id, timedelta(minutes=5))
    del pusher
    world.clock.advance(hours=2)
    restarted = FollowUpPusher(world.dialer.ctx)
    assert await restarted.push_due() == 1
    assert [m.data["id"] for m in await world.messages("agent:amina", "task.due")] == [first, second]
    async with world.database.session() as s:
        notified = (await s.scalars(select(FollowUpTask.notified_at))).all()
    assert all(n is not None for n in notified)


async def test_two_workers_push_each_follow_up_once(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    for _ in range(20):
        await _follow_up(world, amina.id, customer.id, timedelta(0))
    a, b = FollowUpPusher(world.dialer.ctx), FollowUpPusher(world.dialer.ctx)
    counts = await asyncio.gather(a.push_due(), b.push_due(), a.push_due(), b.push_due())
    assert sum(counts) == 20
    pushed = [m.data["id"] for m in await world.messages("agent:amina", "task.due")]
    assert len(pushed) == 20 and len(set(pushed)) == 20


async def test_the_apscheduler_job_pushes_without_being_asked(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    await _follow_up(world, amina.id, customer.id, timedelta(0))
    pusher = FollowUpPusher(world.dialer.ctx, interval=0.2)
    pusher.start()
    try:
        await world.until(lambda: _pushed(world), timeout=5.0)
    finally:
        pusher.stop()
    assert pusher.scheduler is None


async def _pushed(world: World) -> bool:
    return bool(await world.messages("agent:amina", "task.due"))
