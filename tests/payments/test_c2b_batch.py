"""C2B confirmations together (PostgreSQL): raw callbacks stored by group commit, answered only once
committed; confirmations stored and posted in one transaction, or stored alone when the posting
fails; postings done in batches with the promises applied in arrival order; a callback stored but
never posted recovered later (both backends); and two workers never posting one twice."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest
from sqlalchemy import ColumnElement, func, select

from payments.batch_c2b import TAKEN, BatchC2B
from payments.c2b_protocol import C2BPayment, c2b_body, parse_c2b
from payments.fast_c2b import FastC2B
from payments.posting import Outcome
from store.models import MpesaCallback, MpesaPayment, PromiseStatus, PromiseToPay, StatementTransaction
from tests.payments.conftest import PayWorld

PAID_AT = datetime(2026, 3, 4, 6, 55, tzinfo=UTC)


def _body(receipt: str, bill_ref: str, amount: int = 1000) -> bytes:
    return json.dumps(c2b_body(trans_id=receipt, amount=amount, paid_at=PAID_AT, shortcode="600000",
                               bill_ref=bill_ref, msisdn="254700000000", first_name="JANE")).encode()


def _batch(pay: PayWorld) -> BatchC2B:
    if not pay.settings.database_url.startswith("postgresql"):
        pytest.skip("batches are PostgreSQL's (SQLite takes the one-by-one path)")
    batch = pay.hub.c2b.batch
    assert batch is not None
    return batch


async def _count(pay: PayWorld, model: type[Any], *where: ColumnElement[bool]) -> int:
    async with pay.services.database.session() as s:
        found: int | None = await s.scalar(select(func.count()).select_from(model).where(*where))
        return int(found or 0)


async def _stored(pay: PayWorld, receipts_refs: list[tuple[str, str, int]]) -> list[tuple[int, C2BPayment]]:
    stored = []
    for receipt, ref, amount in receipts_refs:
        body = _body(receipt, ref, amount)
        stored.append((await pay.hub.c2b.store("c2b_confirmation", body, None), parse_c2b(body)))
    return stored


class CallbacksLocked:
    """``mpesa_callbacks`` locked by another connection until :meth:`release`: every INSERT into
    it waits. Watched from a third connection outside any transaction (inside one,
    ``pg_stat_activity`` is a snapshot taken at its first read and never changes)."""

    def __init__(self, pay: PayWorld) -> None:
        self.dsn = pay.settings.database_url.replace("postgresql+asyncpg://", "postgresql://")

    async def __aenter__(self) -> CallbacksLocked:
        self.admin, self.watcher = await asyncpg.connect(self.dsn), await asyncpg.connect(self.dsn)
        self.blocker = self.admin.transaction()
        await self.blocker.start()
        await self.admin.execute("LOCK TABLE mpesa_callbacks IN ACCESS EXCLUSIVE MODE")
        return self

    async def until_waiting(self, query_like: str) -> None:
        """Until a statement of this database whose text is LIKE ``query_like`` waits on the lock."""
        async with asyncio.timeout(20):
            while not await self.watcher.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND query LIKE $1", query_like):
                await asyncio.sleep(0.01)

    async def release(self) -> None:
        await self.blocker.rollback()

    async def __aexit__(self, *_exc: object) -> None:
        await self.watcher.close()
        await self.admin.close()


async def test_a_group_commit_answers_each_request_only_once_its_row_is_committed(pay: PayWorld) -> None:
    batch = _batch(pay)
    async with CallbacksLocked(pay) as lock:
        stores = [asyncio.create_task(batch.store("c2b_confirmation", _body(f"GC{i:03d}", "AB123"), "10.0.0.1"))
                  for i in range(20)]
        await lock.until_waiting("INSERT INTO mpesa_callbacks%")  # the group's INSERT
        assert not any(task.done() for task in stores)  # nobody answered before the commit
        await lock.release()
        ids = await asyncio.gather(*stores)
    assert len(set(ids)) == 20
    assert batch.storing.batches == 2  # the first alone, then the 19 that came while it was written
    async with pay.services.database.session() as s:
        rows = (await s.scalars(select(MpesaCallback).where(MpesaCallback.id.in_(ids)))).all()
    by_id = {row.id: row for row in rows}
    for i, callback_id in enumerate(ids):  # each request got its own row's id
        assert json.loads(by_id[callback_id].body)["TransID"] == f"GC{i:03d}"
        assert by_id[callback_id].status == "received" and by_id[callback_id].remote_addr == "10.0.0.1"


async def test_confirmations_are_stored_and_posted_in_one_transaction_answered_once_committed(
        pay: PayWorld) -> None:
    batch = _batch(pay)
    customer = await pay.customer(client_id="AB123", promise="5000")
    async with CallbacksLocked(pay) as lock:
        confirms = [asyncio.create_task(pay.hub.c2b.confirm(_body(f"ST{i:03d}", "AB123", 100), "10.0.0.1"))
                    for i in range(10)]
        await lock.until_waiting("WITH stored AS%INSERT INTO mpesa_callbacks%")  # it stores and matches
        assert not any(task.done() for task in confirms)  # nobody answered before the commit
        before = batch.confirming.batches
        await lock.release()
        answers = await asyncio.gather(*confirms)
    assert all(a["ResultCode"] == 0 for a in answers)
    assert batch.confirming.batches - before == 2  # the first alone, then the nine that came meanwhile
    assert batch.storing.batches == 0 and batch.posting.batches == 0  # no separate store, no claim
    async with pay.services.database.session() as s:
        callbacks = (await s.scalars(select(MpesaCallback).order_by(MpesaCallback.id))).all()
        [promise] = (await s.scalars(select(PromiseToPay).where(PromiseToPay.customer_id == customer))).all()
    assert [json.loads(c.body)["TransID"] for c in callbacks] == [f"ST{i:03d}" for i in range(10)]
    assert {(c.status, c.outcome, c.remote_addr) for c in callbacks} == {("processed", "posted", "10.0.0.1")}
    assert await _count(pay, StatementTransaction) == 10 and promise.paid_amount == Decimal("1000.00")


async def test_a_batch_whose_posting_fails_is_stored_and_posted_one_by_one(
        pay: PayWorld, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    _batch(pay)  # PostgreSQL only
    customer = await pay.customer(client_id="AB123")

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in the batch")

    monkeypatch.setattr(BatchC2B, "_post", broken)
    answers = await asyncio.gather(*(pay.hub.c2b.confirm(_body(f"SF{i:03d}", "AB123", 100), None) for i in range(4)))
    assert all(a["ResultCode"] == 0 for a in answers)
    assert "could not be posted together" in caplog.text
    async with pay.services.database.session() as s:
        payments = (await s.scalars(select(MpesaPayment))).all()
        callbacks = (await s.scalars(select(MpesaCallback))).all()
    assert sorted(p.receipt for p in payments) == [f"SF{i:03d}" for i in range(4)]
    assert {(p.status, p.customer_id) for p in payments} == {("posted", customer)}
    assert len(callbacks) == 4 and {c.outcome for c in callbacks} == {"posted"}


async def test_concurrent_confirmations_are_posted_in_one_batch_in_arrival_order(pay: PayWorld) -> None:
    batch = _batch(pay)
    one = await pay.customer(client_id="AB123", promise="1500")
    two = await pay.customer("Otieno Odhiambo", "+254712000111", client_id="CD456", agent="brian")
    stored = await _stored(pay, [("BT001", "ab123", 1000), ("BT002", "CD456", 400), ("BT003", "AB 123", 1000),
                                 ("BT001", "AB123", 1000), ("BT004", "ZZ999", 50)])
    before = batch.posting.batches
    results = await asyncio.gather(*(pay.hub.c2b.process(cid, p) for cid, p in stored))
    assert batch.posting.batches - before == 2  # the first alone, then the other four together
    assert [r is not None and r.posted for r in results] == [True, True, True, False, False]
    assert results[4] is not None and results[4].payment.status == "suspense"  # no match: the one-by-one path
    async with pay.services.database.session() as s:
        [promise] = (await s.scalars(select(PromiseToPay).where(PromiseToPay.customer_id == one))).all()
        txns = {t.external_ref: t for t in (await s.scalars(select(StatementTransaction))).all()}
        callbacks = {c.id: c for c in (await s.scalars(select(MpesaCallback))).all()}
    # 1000 then 1000 on a promise of 1500: the second payment keeps it, as one by one
    assert promise.status == PromiseStatus.KEPT and promise.paid_amount == Decimal("1500.00")
    assert promise.matched_transaction_id == txns["BT003"].id and promise.settled_at is not None
    assert sorted(txns) == ["BT001", "BT002", "BT003"] and txns["BT002"].customer_id == two
    assert [callbacks[cid].outcome for cid, _ in stored] == ["posted", "posted", "posted", "duplicate", "suspense"]

    async def announced() -> bool:
        return len(pay.payments) >= 3

    await pay.until(announced)
    assert sorted((e.customer_id, e.reference) for e in pay.payments) == sorted([(one, "BT001"), (one, "BT003"),
                                                                                 (two, "BT002")])
    frames = {m.data["receipt"]: m.data for m in await pay.messages("agent:amina", "payment")}
    assert sorted(frames) == ["BT001", "BT003"] and frames["BT003"]["kept"] == 1
    assert [m.data["receipt"] for m in await pay.messages("agent:brian", "payment")] == ["BT002"]


async def test_a_confirmation_stored_but_never_posted_is_recovered(pay: PayWorld) -> None:
    """The process died between the store and the posting: the callback stays ``received`` and
    the recovery (at start, then every minute) posts it; a malformed one is marked rejected."""
    customer = await pay.customer(client_id="AB123", promise="1000")
    [(callback_id, _)] = await _stored(pay, [("RC001", "AB123", 1000)])
    bad = await pay.hub.c2b.store("c2b_confirmation", b"{not json", None)
    assert await _count(pay, MpesaPayment) == 0
    pay.clock.advance(seconds=5)
    assert (await pay.hub.c2b.recover(older_than=3600)).seen == 0  # still young: maybe in its request
    report = await pay.hub.c2b.recover(older_than=0)
    assert (report.seen, report.posted, report.rejected, report.failed) == (2, 1, 1, 0)
    async with pay.services.database.session() as s:
        payment = await s.scalar(select(MpesaPayment).where(MpesaPayment.receipt == "RC001"))
        callback, malformed = await s.get(MpesaCallback, callback_id), await s.get(MpesaCallback, bad)
    assert payment is not None and payment.customer_id == customer and payment.status == "posted"
    assert callback is not None and (callback.status, callback.outcome) == ("processed", "posted")
    assert malformed is not None and malformed.status == "rejected"

    async def announced() -> bool:
        return bool(pay.payments)

    await pay.until(announced)
    assert [(e.customer_id, e.reference) for e in pay.payments] == [(customer, "RC001")]
    assert (await pay.hub.c2b.recover(older_than=0)).seen == 0  # nothing left


async def test_two_workers_never_post_a_confirmation_twice(pay: PayWorld) -> None:
    batch = _batch(pay)
    customers = [await pay.customer(f"Customer {i}", f"+25471200{i:04d}", client_id=f"TW{i:03d}", promise="1000")
                 for i in range(8)]
    stored = await _stored(pay, [(f"TW{i:03d}R", f"TW{i:03d}", 1000) for i in range(8)])
    announced: list[Outcome] = []

    async def collect(outcomes: list[Outcome]) -> None:
        announced.extend(outcomes)

    other = BatchC2B(FastC2B(pay.services.database.engine, region="KE", currency="KES", clock=pay.clock),
                     currency="KES", clock=pay.clock, announce=collect)  # another process's worker
    try:
        mine, theirs = await asyncio.gather(
            asyncio.gather(*(batch.post(cid, p) for cid, p in stored)),
            asyncio.gather(*(other.post(cid, p) for cid, p in reversed(stored))))
    finally:
        await other.pool.close()
    theirs = theirs[::-1]
    for ours, their in zip(mine, theirs, strict=True):  # each callback: posted by exactly one of them
        assert {type(ours), type(their)} == {Outcome, type(TAKEN)}, (ours, their)
    assert await _count(pay, MpesaPayment) == 8 and await _count(pay, StatementTransaction) == 8
    assert await _count(pay, PromiseToPay, PromiseToPay.status == PromiseStatus.KEPT) == 8
    assert await _count(pay, MpesaCallback, MpesaCallback.status == "processed") == 8
    assert len(announced) == sum(isinstance(r, Outcome) for r in theirs)
    assert {r.payment.customer_id for r in (*mine, *theirs) if isinstance(r, Outcome)} == set(customers)
