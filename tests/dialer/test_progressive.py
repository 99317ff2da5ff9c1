"""Progressive mode end to end over the bus and a fake carrier: preview -> dial -> outcome."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from domain.events import EndCause, InteractionSaved
from store.models import AttemptState, CallTask, DialAttempt, Interaction, Relation, TaskStatus
from tests.dialer.conftest import World


async def _task(world: World, task_id: int) -> CallTask:
    async with world.database.session() as s:
        task = await s.get(CallTask, task_id)
        assert task is not None
        return task


async def _attempts(world: World) -> list[DialAttempt]:
    async with world.database.session() as s:
        return list((await s.scalars(select(DialAttempt).order_by(DialAttempt.requested_at))).all())


async def test_ready_agent_gets_preview_then_dial_then_disposition_closes(world: World) -> None:
    agent = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer(contacts=(
        (Relation.GUARANTOR, "Otieno Guarantor", "+254722000001"),
        (Relation.ALTERNATIVE_CONTACT, "Brother", "+254733000002"),
    ))
    assert await world.dialer.generator.past_due() == 1
    assert await world.dialer.generator.past_due() == 0  # one open task per customer and family

    report = await world.dialer.tick()
    assert report.previews == 1
    [preview] = await world.messages("agent:amina", "dialer.preview")
    data = preview.data
    assert data["customer"]["id"] == customer.id and data["customer"]["name"] == "Wanjiku Kamau"
    assert data["customer"]["summary"]["overdue_amount"] == "5000.00"
    assert data["reason"]["code"] == "late" and any("Wanjiku Kamau" in line for line in data["reason"]["script"])
    assert data["attempts"] == 0
    numbers = {n["number"]: n for n in data["numbers"]}
    assert numbers["+254712345678"]["relation"] == "customer" and numbers["+254712345678"]["allowed"]
    assert numbers["+254722000001"]["relation"] == "guarantor" and numbers["+254722000001"]["allowed"]
    # Kenya: an alternative contact only with the customer's consent (CBK DCP 2022).
    assert numbers["+254733000002"]["allowed"] is False
    assert numbers["+254733000002"]["rule"] == "relation_not_allowed"
    await world.settle()
    pauses = [s for s in world.carrier.states if s.state == "paused" and s.reason == "dialer"]
    assert [p.device for p in pauses] == ["PJSIP/1001"]

    # A second tick does not offer the reserved agent a second task, and does not dial yet.
    assert (await world.dialer.tick()).previews == 0
    assert world.carrier.requests == []

    world.clock.advance(seconds=5)
    assert (await world.dialer.tick()).dials == 1
    await world.settle()
    [request] = world.carrier.requests
    assert request.call_id.startswith("sb-") and request.agent_device == "PJSIP/1001"
    assert request.customer_number == "+254712345678" and request.campaign == "collections"
    [attempt] = await _attempts(world)
    assert attempt.id == request.call_id and attempt.state == AttemptState.SENT
    assert attempt.task_id == data["task_id"] and attempt.agent_id == agent.id
    task = await _task(world, data["task_id"])
    assert task.status == TaskStatus.DIALING and task.attempts == 1

    await world.carrier.end(request.call_id, EndCause.NORMAL)
    await world.bus.publish(InteractionSaved(
        interaction_id=0, customer_id=customer.id, operator="amina", call_id=request.call_id,
        status="contacted", reason="promise_to_pay", resolution="payment_scheduled"))
    await world.settle()
    task = await _task(world, data["task_id"])
    assert task.status == TaskStatus.DONE
    assert task.last_outcome == "promise_to_pay"
    [attempt] = await _attempts(world)
    assert attempt.state == AttemptState.ANSWERED
    assert attempt.details["disposition"] == "contacted/promise_to_pay/payment_scheduled"
    assert attempt.conversation is True  # a right-party conversation counts for Reg F's 7-day pause


async def test_agent_click_dials_at_once_with_the_ticked_number(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.customer(contacts=((Relation.GUARANTOR, "G", "+254722000001"),))
    await world.dialer.generator.past_due()
    await world.dialer.tick()
    [preview] = await world.messages("agent:amina", "dialer.preview")
    call_id = await world.dialer.preview_dial_now("amina", preview.data["task_id"], "+254722000001")
    await world.settle()
    [request] = world.carrier.requests
    assert request.call_id == call_id and request.customer_number == "+254722000001"
    [attempt] = await _attempts(world)
    assert attempt.relation == "guarantor"
    world.clock.advance(seconds=10)  # the preview timer runs out: nothing is dialled twice
    await world.dialer.tick()
    await world.settle()
    assert len(world.carrier.requests) == 1


async def test_callback_disposition_requeues_for_the_owner_at_the_chosen_time(world: World) -> None:
    agent = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    await world.dialer.generator.past_due()
    await world.dialer.tick()
    world.clock.advance(seconds=5)
    await world.dialer.tick()
    await world.settle()
    [request] = world.carrier.requests
    await world.carrier.end(request.call_id, EndCause.NORMAL)
    callback_at = world.clock() + timedelta(hours=3)
    async with world.database.session() as s:
        interaction = Interaction(customer_id=customer.id, channel="call", operator_id=agent.id,
                                  call_id=request.call_id, callback_at=callback_at,
                                  disposition_status="contacted", disposition_reason="call_back")
        s.add(interaction)
        await s.flush()
        interaction_id = interaction.id
    await world.bus.publish(InteractionSaved(interaction_id=interaction_id, customer_id=customer.id,
                                             operator="amina", call_id=request.call_id, status="contacted",
                                             reason="call_back", resolution=None))
    await world.settle()
    [attempt] = await _attempts(world)
    assert attempt.task_id is not None
    task = await _task(world, attempt.task_id)
    assert task.status == TaskStatus.QUEUED and task.owner_id == agent.id
    assert task.next_eligible_at == callback_at - timedelta(minutes=5)  # callback_lead_minutes
    assert task.owner_until == callback_at + timedelta(minutes=10)  # callback_grace_minutes
    assert task.priority >= 1.0  # a due callback outranks everything


async def test_dialling_stops_when_no_agent_is_ready(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001", state="paused")
    await world.customer()
    await world.dialer.generator.past_due()
    assert (await world.dialer.tick()).previews == 0
    await world.set_state(amina, "ready")
    assert (await world.dialer.tick()).previews == 1
    # The agent pauses during the preview: the task is taken back, nothing is dialled.
    await world.set_state(amina, "paused")
    world.clock.advance(seconds=5)
    report = await world.dialer.tick()
    assert report.released == 1 and report.dials == 0
    assert [m.data["why"] for m in await world.messages("agent:amina", "dialer.preview_cancelled")] == [
        "agent not ready"]
    async with world.database.session() as s:
        [task] = (await s.scalars(select(CallTask))).all()
    assert task.status == TaskStatus.QUEUED and task.reserved_by_id is None
    assert world.carrier.requests == []
