"""The compliance gate on every dial: a blocked task is rescheduled with its rule and never dialled;
click-to-call answers 409 with the rule and the next allowed time; status explains it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from domain.errors import ComplianceBlocked, InvalidInput
from domain.events import EndCause
from store.models import CallTask, Customer, DialAttempt, Relation, TaskStatus
from tests.dialer.conftest import World


async def _only_task(world: World) -> CallTask:
    async with world.database.session() as s:
        [task] = (await s.scalars(select(CallTask))).all()
        return task


async def test_outside_the_calling_window_the_task_waits_for_the_window(world: World) -> None:
    world.clock.at = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # 21:00 in Nairobi
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    report = await world.dialer.tick()
    assert report.previews == 0 and report.blocked == 1
    task = await _only_task(world)
    assert task.status == TaskStatus.QUEUED and task.blocked_rule == "calling_window"
    assert task.next_eligible_at == datetime(2026, 3, 5, 5, 0, tzinfo=UTC)  # 08:00 Nairobi next day
    assert world.carrier.requests == [] and await world.messages("agent:amina", "dialer.preview") == []


async def test_do_not_call_set_after_the_preview_blocks_the_dial(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    await world.dialer.generator.past_due()
    assert (await world.dialer.tick()).previews == 1
    async with world.database.session() as s:  # DNC takes effect at once, even mid-preview
        row = await s.get(Customer, customer.id)
        assert row is not None
        row.do_not_call, row.do_not_call_at = True, world.clock()
    world.clock.advance(seconds=5)
    await world.dialer.tick()
    await world.settle()
    assert world.carrier.requests == []
    task = await _only_task(world)
    assert task.blocked_rule == "do_not_call" and task.status == TaskStatus.QUEUED
    [blocked] = await world.messages("agent:amina", "dialer.blocked")
    assert blocked.data["rule"] == "do_not_call" and blocked.data["next_allowed_at"] is None
    async with world.database.session() as s:
        assert (await s.scalars(select(DialAttempt))).all() == []


async def test_click_to_call_passes_the_same_gate(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer(contacts=((Relation.ALTERNATIVE_CONTACT, "Brother", "+254733000002"),),
                                    assigned_agent_id=amina.id)
    call_id = await world.dialer.click_to_call("amina", customer.id)
    await world.settle()
    assert [r.call_id for r in world.carrier.requests] == [call_id]
    assert world.carrier.requests[0].customer_number == "+254712345678"
    await world.carrier.end(call_id, EndCause.NORMAL)
    await world.settle()
    with pytest.raises(ComplianceBlocked) as blocked:  # alternative contact without consent (Kenya)
        await world.dialer.click_to_call("amina", customer.id, "+254733000002")
    assert blocked.value.status == 409
    assert blocked.value.details == {"rule": "relation_not_allowed", "next_allowed_at": None}
    with pytest.raises(InvalidInput):
        await world.dialer.click_to_call("amina", customer.id, "not a number")


async def test_click_to_call_over_the_daily_limit_names_the_rule_and_the_next_time(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer(assigned_agent_id=amina.id)
    for _ in range(3):  # the Kenya pack allows 3 calls per customer per local day
        await world.dialer.click_to_call("amina", customer.id)
        await world.settle()
        async with world.database.session() as s:  # the call ended; the agent is free again
            for attempt in (await s.scalars(select(DialAttempt))).all():
                attempt.ended_at = attempt.ended_at or world.clock()
        world.clock.advance(minutes=10)
    with pytest.raises(ComplianceBlocked) as blocked:
        await world.dialer.click_to_call("amina", customer.id)
    assert blocked.value.details["rule"] == "max_attempts_per_day"
    assert blocked.value.details["next_allowed_at"] == "2026-03-05T05:00:00+00:00"
    assert len(world.carrier.requests) == 3


async def test_status_explains_why_nothing_is_dialled(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001", state="paused")
    await world.customer(do_not_call=True, do_not_call_at=datetime(2026, 1, 1, tzinfo=UTC))
    good = await world.customer(name="Good Customer", phone="+254712999999")
    await world.dialer.enqueue(good.id, "late")
    async with world.database.session() as s:
        dnc = await s.scalar(select(Customer).where(Customer.do_not_call.is_(True)))
        assert dnc is not None
    await world.dialer.enqueue(dnc.id, "overdue_loan")
    [status] = [c for c in await world.dialer.status() if c["campaign"] == "collections"]
    assert status["state"] == "stopped"  # this process's dialer is not started
    world.dialer.running = True
    [status] = [c for c in await world.dialer.status() if c["campaign"] == "collections"]
    assert status["state"] == "idle: no ready agents" and status["ready_agents"] == []
    assert status["eligible_tasks"] == 2 and status["blocked_now"]["do_not_call"] == 1
    await world.set_state(amina, "ready")
    [status] = [c for c in await world.dialer.status() if c["campaign"] == "collections"]
    assert status["state"] == "running" and status["ready_agents"] == ["amina"] and status["dialable_now"] == 1
    world.clock.at += timedelta(hours=12)  # 22:00 in Nairobi
    [status] = [c for c in await world.dialer.status() if c["campaign"] == "collections"]
    assert status["state"] == "idle: no eligible tasks" and status["blocked_now"]["calling_window"] == 2
