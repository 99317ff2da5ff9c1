"""Bulk reminders: count and cost first, a confirmed run through the gate message by message,
progress, resumable after a crash without double sends; the CLI; several workers send each once."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from messaging.bulk import BulkFilter, BulkReminders
from messaging.sender import Sender
from store.models import Message
from store.repositories.accounts import AccountsRepository
from tests.api.conftest import assert_error_shape
from tests.messaging.conftest import World

TOMORROW = date(2026, 12, 8)  # the world's clock is Monday 7 December


async def _promises(world: World, count: int, *, due: date = TOMORROW, first: int = 0) -> list[int]:
    ids = []
    for n in range(first, first + count):  # a phone each: a number already on record needs a reason
        customer = await world.customer(f"Customer {n:03d}", f"07{10000000 + n:08d}")
        ids.append(customer["id"])
        async with world.database.session() as session:
            await AccountsRepository(session).add_promise(customer["id"], Decimal("500") + n, due,
                                                          assignee_id=None, created_by_id=None)
    return ids


FILTER: dict[str, Any] = {"kind": "promises_due", "day": "tomorrow"}


async def test_preview_states_the_count_and_the_cost_then_the_run_sends_each_once(world: World) -> None:
    await _promises(world, 7)
    await _promises(world, 1, due=TOMORROW + timedelta(days=3), first=7)  # not tomorrow: not in the set
    body = {"filter": FILTER, "template": "promise_confirmation"}
    preview = (await world.api("POST", "/api/messages/bulk/preview", "sup", json=body)).json()
    assert preview["count"] == 7 and preview["label"] == "promises due tomorrow"
    assert preview["average_segments"] == 1.0 and preview["estimated_cost"] == "5.60"  # 7 x 1 x KES 0.80
    assert preview["examples"][0]["text"].startswith("Dear Customer, thank you for your promise to pay KES 500 by")
    assert_error_shape(await world.api("POST", "/api/messages/bulk/preview", "amina", json=body), 403)
    changed = await world.api("POST", "/api/messages/bulk", "sup", json={**body, "expected_count": 6})
    assert assert_error_shape(changed, 409, "conflict")["details"]["count"] == 7
    started = await world.api("POST", "/api/messages/bulk", "sup", json={**body, "expected_count": 7})
    assert started.status_code == 202, started.text
    run_id = started.json()["id"]
    async with asyncio.timeout(15):
        while (progress := (await world.api("GET", f"/api/messages/bulk/{run_id}", "sup")).json())["status"] != "done":
            await asyncio.sleep(0.1)
    assert progress["counts"] == {"sent": 7} and progress["percent"] == 100.0
    assert len(world.at.taken) == 7 and len({t.to for t in world.at.taken.values()}) == 7


async def test_the_gate_applies_message_by_message(world: World) -> None:
    ids = await _promises(world, 3)
    await world.api("PATCH", f"/api/customers/{ids[1]}", "sup", json={"do_not_call": True})
    service = world.messaging
    bulk = BulkReminders(service, world.clock)
    run = await bulk.start(BulkFilter.from_json(FILTER), "promise_confirmation", world.users["sup"], 3)
    await bulk.queue_all(run.id)
    async with asyncio.timeout(10):
        while (report := await bulk.progress(run.id))["status"] != "done":
            await asyncio.sleep(0.1)
    assert report["counts"] == {"sent": 2, "blocked": 1}


async def test_a_crashed_run_resumes_without_double_sends(world: World) -> None:
    await _promises(world, 250)
    service = world.messaging
    bulk = BulkReminders(service, world.clock)
    run = await bulk.start(BulkFilter.from_json(FILTER), "promise_confirmation", world.users["sup"], 250)

    def crash(done: int, total: int) -> None:
        raise RuntimeError("the process died")  # right after its first chunk committed

    with pytest.raises(RuntimeError):
        await bulk.queue_all(run.id, progress=crash)
    async with world.database.session() as session:
        written = await session.scalar(select(func.count()).where(Message.bulk_id == run.id))
    assert written is not None and 0 < written < 250
    # Resumed twice at once (two workers after a restart). On SQLite one of them may find the
    # database locked and stop (the supervisor would restart it); a last resume finishes the run.
    await asyncio.gather(bulk.queue_all(run.id), bulk.queue_all(run.id), return_exceptions=True)
    await bulk.queue_all(run.id)
    async with asyncio.timeout(30):
        while (report := await bulk.progress(run.id))["status"] != "done":
            await asyncio.sleep(0.2)
    assert report["written"] == 250 and report["counts"] == {"sent": 250}
    assert len(world.at.taken) == 250 and len({t.to for t in world.at.taken.values()}) == 250


async def test_several_workers_send_each_message_once(world: World) -> None:
    customer = await world.customer()
    base = world.messaging.sender
    others = [Sender(world.database, base.settings, providers=base.providers, breakers=base.breakers,
                     rates=base.rates, email=base.email, worker_id=f"other-{n}", publish=base.publish,
                     clock=world.clock) for n in range(3)]
    workers = [asyncio.create_task(worker.run()) for worker in others]
    try:
        for n in range(120):
            response = await world.api("POST", f"/api/customers/{customer['id']}/messages",
                                       json={"channel": "sms", "body": f"message {n}"})
            assert response.status_code == 202
        async with asyncio.timeout(20):
            while len(world.at.taken) < 120:
                await asyncio.sleep(0.1)
        await asyncio.sleep(0.5)
    finally:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    texts = sorted(t.text for t in world.at.taken.values())
    assert texts == sorted(f"message {n}" for n in range(120))  # each once
    async with world.database.session() as session:
        senders = set((await session.scalars(select(Message.worker).where(Message.status == "sent"))).all())
        claimed_by = (await session.execute(select(Message.status, func.count()).group_by(Message.status))).all()
    assert dict(claimed_by) == {"sent": 120} and senders == {None}
