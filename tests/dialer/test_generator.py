"""Tasks from the config rules: past due (late / PAYG default / overdue loan), broken promises
(marked broken; escalated over the amount), new leads, upgrade offers; one open task per family."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from dialer import generator
from store.models import CallTask, Customer, Loan, PromiseToPay, TaskStatus
from tests.dialer.conftest import World


async def _tasks(world: World) -> list[CallTask]:
    async with world.database.session() as s:
        return list((await s.scalars(select(CallTask).order_by(CallTask.id))).all())


async def test_past_due_accounts_get_seed_001_reasons_ranked_by_the_weights(world: World) -> None:
    late = await world.customer(name="Late", phone="+254712000001", overdue="800", dpd=5, risk=0.1)
    payg = await world.customer(name="Payg", phone="+254712000002", overdue="9000", dpd=60, product="PAYG Solar")
    loan = await world.customer(name="Loan", phone="+254712000003", overdue="40000", dpd=45, risk=0.9)
    await world.customer(name="Small", phone="+254712000004", overdue="100", dpd=5)  # under the amount
    await world.customer(name="Current", phone="+254712000005", overdue="0", dpd=0)
    assert await world.dialer.generator.past_due() == 3
    assert await world.dialer.generator.past_due() == 0
    by_customer = {t.customer_id: t for t in await _tasks(world)}
    assert by_customer[late.id].reason == "late"
    assert by_customer[payg.id].reason == "payg_default"
    assert by_customer[loan.id].reason == "overdue_loan"
    assert by_customer[loan.id].priority > by_customer[payg.id].priority > by_customer[late.id].priority
    # Closed today: not re-created until the cool-down has passed.
    async with world.database.session() as s:
        task = await s.get(CallTask, by_customer[late.id].id)
        assert task is not None
        task.status, task.updated_at = TaskStatus.DONE, world.clock() + timedelta(seconds=1)
    world.clock.advance(hours=1)
    assert await world.dialer.generator.past_due() == 0
    world.clock.advance(hours=20)
    assert await world.dialer.generator.past_due() == 1


async def test_a_pass_larger_than_a_chunk_inserts_every_task_whole(world: World,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The pass writes its tasks in chunks (the loop runs in between): none lost, none doubled."""
    monkeypatch.setattr(generator, "INSERT_CHUNK", 2)
    made = [await world.customer(name=f"C{i}", phone=f"+25471200010{i}", overdue="5000", dpd=30) for i in range(5)]
    assert await world.dialer.generator.past_due() == 5
    tasks = await _tasks(world)
    assert sorted(t.customer_id for t in tasks) == sorted(c.id for c in made)
    assert {(t.reason, t.status, t.source, t.attempts) for t in tasks} == {("overdue_loan", TaskStatus.QUEUED,
                                                                            "rule", 0)}
    assert all(t.priority > 0 and t.created_at == t.updated_at == t.next_eligible_at for t in tasks)
    assert await world.dialer.generator.past_due() == 0


async def test_an_unpaid_promise_breaks_after_its_grace_day_and_big_ones_escalate(world: World) -> None:
    small = await world.customer(name="Small", phone="+254712000001", overdue="0", dpd=0)
    big = await world.customer(name="Big", phone="+254712000002", overdue="0", dpd=0)
    today = date(2026, 3, 4)
    async with world.database.session() as s:
        s.add(PromiseToPay(customer_id=small.id, amount=Decimal(2000), due_date=today - timedelta(days=1)))
        s.add(PromiseToPay(customer_id=big.id, amount=Decimal(50000), due_date=today - timedelta(days=2)))
        s.add(PromiseToPay(customer_id=small.id, amount=Decimal(2000), due_date=today))  # not yet
    assert await world.dialer.generator.broken_promises() == 2
    async with world.database.session() as s:
        statuses = sorted(p.status.value for p in (await s.scalars(select(PromiseToPay))).all())
    assert statuses == ["broken", "broken", "pending"]
    tasks = {t.customer_id: t for t in await _tasks(world)}
    assert tasks[small.id].reason == "broken_promise" and tasks[small.id].status == TaskStatus.QUEUED
    assert tasks[big.id].status == TaskStatus.ESCALATED  # over escalation.broken_promise_amount
    [escalated] = await world.messages("supervisors", "dialer.escalated")
    assert escalated.data["customer_id"] == big.id and escalated.data["amount"] == "50000.00"


async def test_new_leads_and_upgrade_offers(world: World) -> None:
    lead = await world.customer(name="Lead", phone="+254712000001", overdue="0", dpd=0, status="lead")
    good = await world.customer(name="Good", phone="+254712000002", overdue="0", dpd=0, risk=0.1)
    risky = await world.customer(name="Risky", phone="+254712000003", overdue="0", dpd=0, risk=0.8)
    async with world.database.session() as s:
        assert (await s.scalar(select(Loan).where(Loan.customer_id == good.id))) is None
        for cid in (good.id, risky.id):
            s.add(Loan(customer_id=cid, external_ref=f"OLD-{cid}", product="solar", applied_amount=Decimal(1),
                       principal=Decimal(1), interest_amount=Decimal(0), balance=Decimal(0),
                       start_date=date(2025, 1, 1), end_date=date(2025, 12, 1), status="closed", currency="KES"))
    assert await world.dialer.generator.new_leads() == 1
    assert await world.dialer.generator.upgrades() == 1
    assert await world.dialer.generator.new_leads() == 0 and await world.dialer.generator.upgrades() == 0
    reasons = {t.customer_id: t.reason for t in await _tasks(world)}
    assert reasons == {lead.id: "new_lead", good.id: "upgrade_offer"}
    async with world.database.session() as s:
        assert (await s.get(Customer, risky.id)) is not None
