"""Callbacks through the engine: offered to the owner first; after the grace time with the owner
not ready, to any ready agent of the campaign. Two dialer workers never double-book an agent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from config.compliance_loader import load_pack
from dialer.service import Dialer
from runtime.supervisor import TaskSupervisor
from store.models import CallTask, FollowUpTask, TaskStatus
from tests.dialer.conftest import World


async def test_callback_offered_to_owner_first_then_to_anyone_after_grace(world: World) -> None:
    owner = await world.agent("amina", "PJSIP/1001", state="paused")
    await world.agent("brian", "PJSIP/1002")
    customer = await world.customer(overdue="0", dpd=0)
    at = world.clock() + timedelta(minutes=30)
    result = await world.dialer.schedule_callback("amina", at, "call me after lunch", customer_id=customer.id)
    assert result["owner"] == "amina"

    world.clock.advance(minutes=30)  # the callback is due; its owner is paused
    assert (await world.dialer.tick()).previews == 0
    assert await world.messages("agent:brian", "dialer.preview") == []

    await world.set_state(owner, "ready")  # the owner comes back within the grace time
    assert (await world.dialer.tick()).previews == 1
    [preview] = await world.messages("agent:amina", "dialer.preview")
    assert preview.data["reason"]["code"] == "callback" and preview.data["comment"] == "call me after lunch"
    assert await world.messages("agent:brian", "dialer.preview") == []


async def test_callback_goes_to_another_agent_when_the_owner_stays_away(world: World) -> None:
    await world.agent("amina", "PJSIP/1001", state="paused")
    await world.agent("brian", "PJSIP/1002")
    customer = await world.customer(overdue="0", dpd=0)
    at = world.clock() + timedelta(minutes=30)
    await world.dialer.schedule_callback("amina", at, "x", customer_id=customer.id)
    world.clock.advance(minutes=39)
    assert (await world.dialer.tick()).previews == 0
    world.clock.advance(minutes=1)  # at + callback_grace_minutes (10)
    assert (await world.dialer.tick()).previews == 1
    [preview] = await world.messages("agent:brian", "dialer.preview")
    assert preview.data["customer"]["id"] == customer.id


async def test_a_due_callback_follow_up_becomes_an_owned_callback_task(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer(overdue="0", dpd=0)
    due = world.clock() + timedelta(minutes=3)
    async with world.database.session() as s:
        s.add(FollowUpTask(customer_id=customer.id, assignee_id=amina.id, kind="callback", due_at=due,
                           instructions="promised to call back", created_at=world.clock()))
    assert await world.dialer.generator.due_callbacks() == 1
    assert await world.dialer.generator.due_callbacks() == 0  # once
    async with world.database.session() as s:
        [task] = (await s.scalars(select(CallTask))).all()
    assert task.reason == "callback" and task.owner_id == amina.id
    assert task.next_eligible_at == due - timedelta(minutes=5)
    assert task.owner_until == due + timedelta(minutes=10)


async def test_two_dialer_workers_offer_each_ready_agent_one_task(world: World) -> None:
    for i in range(3):
        await world.agent(f"agent{i}", f"PJSIP/30{i}")
    for i in range(8):
        await world.customer(name=f"Customer {i}", phone=f"+2547120000{i:02d}")
    await world.dialer.generator.past_due()
    second = Dialer(world.settings, world.database, world.bus, world.outbox, world.lists, load_pack("kenya"),
                    TaskSupervisor(), clock=world.clock)
    reports = await asyncio.gather(world.dialer.engine.tick(), second.engine.tick(),
                                   world.dialer.engine.tick(), second.engine.tick())
    assert sum(r.previews for r in reports) == 3
    async with world.database.session() as s:
        reserved = (await s.scalars(select(CallTask).where(CallTask.status == TaskStatus.RESERVED))).all()
    assert sorted(t.reserved_by_id or 0 for t in reserved) == sorted({t.reserved_by_id or 0 for t in reserved})
    assert len(reserved) == 3


async def test_postpone_from_the_preview_frees_the_agent_and_keeps_the_task_theirs(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    await world.dialer.tick()
    [preview] = await world.messages("agent:amina", "dialer.preview")
    result = await world.dialer.postpone("amina", preview.data["task_id"], 4, "customer at a funeral")
    assert result["next_eligible_at"] == (world.clock() + timedelta(hours=4)).isoformat()
    async with world.database.session() as s:
        task = await s.get(CallTask, preview.data["task_id"])
        assert task is not None
    assert task.status == TaskStatus.QUEUED and task.owner_id == amina.id and task.reserved_by_id is None
    assert task.comment == "customer at a funeral" and task.last_outcome == "postponed"
    assert (await world.dialer.tick()).previews == 0
    world.clock.advance(seconds=5)
    await world.dialer.tick()
    await world.settle()
    assert world.carrier.requests == []  # the preview timer does not dial a postponed task
    world.clock.advance(hours=4)
    assert (await world.dialer.tick()).previews == 1
