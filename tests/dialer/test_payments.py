"""A payment reaches the queue through the bus: the running dialer cancels a paid-up customer's
collection task (taking a preview back) or re-ranks it on what is still owed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from domain.events import PaymentReceived
from store.models import CallTask, StatementTransaction, TaskStatus, TxnDirection
from tests.dialer.conftest import World


async def _pay(world: World, customer_id: int, amount: str, ref: str) -> None:
    async with world.database.session() as s:
        s.add(StatementTransaction(customer_id=customer_id, external_ref=ref, direction=TxnDirection.CREDIT,
                                   kind="mpesa_deposit", amount=Decimal(amount), posted_at=world.clock(),
                                   created_at=datetime.now(UTC)))
    await world.bus.publish(PaymentReceived(customer_id=customer_id, amount=amount, reference=ref))


async def _task(world: World) -> CallTask:
    async with world.database.session() as s:
        [task] = (await s.scalars(select(CallTask))).all()
        return task


async def test_full_payment_cancels_the_task_and_takes_the_preview_back(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001", state="paused")
    customer = await world.customer(overdue="5000")
    await world.dialer.generator.past_due()
    await world.dialer.start()  # the running dialer: its loops react to the bus
    await world.set_state(amina, "ready")
    world.dialer.ctx.poke()
    await world.until(lambda: _has_preview(world))
    await _pay(world, customer.id, "5000", "MPESA-1")
    await world.until(lambda: _status_is(world, TaskStatus.CANCELLED))
    task = await _task(world)
    assert task.last_outcome == "paid" and task.reserved_by_id is None
    [cancelled] = await world.messages("agent:amina", "dialer.preview_cancelled")
    assert cancelled.data == {"task_id": task.id, "why": "the customer paid"}
    assert world.carrier.requests == []


async def test_part_payment_lowers_the_priority(world: World) -> None:
    await world.agent("amina", "PJSIP/1001", state="paused")
    customer = await world.customer(overdue="20000", dpd=40)
    await world.dialer.generator.past_due()
    before = (await _task(world)).priority
    await _pay(world, customer.id, "15000", "MPESA-2")

    async def lowered() -> bool:
        return (await _task(world)).priority < before

    await world.until(lowered)
    task = await _task(world)
    assert task.status == TaskStatus.QUEUED and task.priority < before


async def _has_preview(world: World) -> bool:
    return bool(await world.messages("agent:amina", "dialer.preview"))


async def _status_is(world: World, status: TaskStatus) -> bool:
    return (await _task(world)).status == status


async def test_only_a_queued_or_reserved_collection_task_waits_for_a_payment(world: World) -> None:
    """The statement that lets most payments skip the unit of work (``Payments.waiting_customers``)."""
    payer = await world.customer(overdue="5000")
    other = await world.customer("Otieno Odhiambo", "+254712000111", overdue="0", dpd=0)
    await world.dialer.generator.past_due()
    await world.dialer.enqueue(other.id, "callback")  # queued, but not a collection task
    payments = world.dialer.payments
    assert await payments.waiting_customers([payer.id, other.id]) == {payer.id}
    for status, waiting in ((TaskStatus.RESERVED, True), (TaskStatus.DIALING, False),
                            (TaskStatus.CANCELLED, False)):
        async with world.database.session() as s:
            [task] = (await s.scalars(select(CallTask).where(CallTask.customer_id == payer.id))).all()
            task.status = status
        assert (await payments.waiting_customers([payer.id, other.id]) == {payer.id}) is waiting


async def test_payments_that_arrive_together_are_handled_as_one_batch(world: World) -> None:
    """Each payer's task as if alone: the paid-up one cancelled, the part-paid one re-ranked, one
    with no task untouched, in one batch."""
    full = await world.customer(overdue="5000")
    part = await world.customer("Otieno Odhiambo", "+254712000111", overdue="20000", dpd=40)
    none = await world.customer("Achieng Atieno", "+254712000222", overdue="0", dpd=0)
    await world.dialer.generator.past_due()
    payments = world.dialer.payments
    before = {t.customer_id: t for t in await _tasks(world)}
    batches = payments.batches.batches
    for customer_id, amount, ref in ((full.id, "5000", "MPESA-6"), (part.id, "15000", "MPESA-7"),
                                     (none.id, "100", "MPESA-8")):
        async with world.database.session() as s:
            s.add(StatementTransaction(customer_id=customer_id, external_ref=ref, direction=TxnDirection.CREDIT,
                                       kind="mpesa_deposit", amount=Decimal(amount), posted_at=world.clock(),
                                       created_at=datetime.now(UTC)))
    events = [PaymentReceived(customer_id=c, amount=a, reference=r) for c, a, r in
              ((full.id, "5000.00", "MPESA-6"), (part.id, "15000.00", "MPESA-7"), (none.id, "100.00", "MPESA-8"))]
    await asyncio.gather(*(payments.on_payment(ev) for ev in events))
    assert payments.batches.batches == batches + 1  # handed in together: one batch
    after = {t.customer_id: t for t in await _tasks(world)}
    assert set(after) == {full.id, part.id}
    assert after[full.id].status == TaskStatus.CANCELLED and after[full.id].last_outcome == "paid"
    assert after[part.id].status == TaskStatus.QUEUED
    assert after[part.id].priority < before[part.id].priority


async def _tasks(world: World) -> list[CallTask]:
    async with world.database.session() as s:
        return list((await s.scalars(select(CallTask).order_by(CallTask.id))).all())


async def test_a_payment_wakes_the_engine_only_when_it_takes_a_preview_back(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001", state="paused")
    payer = await world.customer(overdue="5000")
    other = await world.customer("Otieno Odhiambo", "+254712000111", overdue="0", dpd=0)
    await world.dialer.generator.past_due()
    wake, payments = world.dialer.ctx.wake, world.dialer.payments
    before = (await _task(world)).priority
    wake.clear()
    await payments.on_payment(PaymentReceived(customer_id=other.id, amount="100.00", reference="MPESA-3"))
    assert not wake.is_set()  # no task of theirs
    await payments.on_payment(PaymentReceived(customer_id=payer.id, amount="100.00", reference="MPESA-4"))
    task = await _task(world)
    assert task.status == TaskStatus.QUEUED and task.priority < before  # re-ranked at once,
    assert not wake.is_set()  # but nothing for the engine to offer now: its next tick sees it
    async with world.database.session() as s:
        row = await s.get(CallTask, task.id)
        assert row is not None
        row.status, row.reserved_by_id, row.reserved_at = TaskStatus.RESERVED, amina.id, world.clock()
    await payments.on_payment(PaymentReceived(customer_id=payer.id, amount="5000.00", reference="MPESA-5"))
    task = await _task(world)
    assert task.status == TaskStatus.CANCELLED and task.reserved_by_id is None
    assert wake.is_set()  # the preview taken back: amina is free for another offer
