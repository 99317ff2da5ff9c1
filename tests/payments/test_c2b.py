"""C2B through the real webhooks, with the fake Daraja paying the paybill: a payment to a client ID
is posted in seconds and the promise, dialer and wallboard react; unknown accounts go to suspense
and a supervisor assigns them; repeats, wrong tokens and malformed bodies change nothing."""

from __future__ import annotations

import json
import logging
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from domain.events import PaymentReceived
from payments.c2b_protocol import parse_c2b
from payments.posting import Outcome
from store.models import (
    CallTask,
    Campaign,
    Interaction,
    MpesaCallback,
    MpesaPayment,
    PromiseStatus,
    PromiseToPay,
    StatementTransaction,
    TaskStatus,
)
from tests.api.conftest import assert_error_shape
from tests.payments.conftest import PayWorld


async def _queued_call(pay: PayWorld, customer_id: int) -> int:
    async with pay.services.database.session() as s:
        campaign = await s.scalar(select(Campaign).where(Campaign.code == "collections"))
        assert campaign is not None
        task = CallTask(customer_id=customer_id, campaign_id=campaign.id, reason="overdue_loan", priority=5.0)
        s.add(task)
        await s.flush()
        return task.id


async def _count(pay: PayWorld, model: type, *where: object) -> int:
    async with pay.services.database.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_a_payment_to_a_client_id_keeps_the_promise_cancels_the_call_and_moves_the_wallboard(
        pay: PayWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_results: list[object] = []
    if pay.settings.database_url.startswith("postgresql"):  # PostgreSQL posts batches on asyncpg directly
        batch = pay.hub.c2b.batch
        assert batch is not None and pay.hub.c2b.fast is not None
        confirm = batch.confirm

        async def spy(*args: Any) -> Any:
            callback_id, result = await confirm(*args)  # stored and posted in one transaction
            fast_results.append(result)
            return callback_id, result

        monkeypatch.setattr(batch, "confirm", spy)
    else:
        assert pay.hub.c2b.fast is None and pay.hub.c2b.batch is None
    customer = await pay.customer(client_id="AB123", overdue="2000", promise="2000")
    task_id = await _queued_call(pay, customer)
    await pay.register()
    assert pay.fake.registered["ConfirmationURL"].endswith(pay.webhook("c2b/confirmation"))

    body, status = await pay.fake.pay_bill(amount=2000, bill_ref=" ab 123 ", msisdn="2547*****999")
    assert status == 200
    receipt = body["TransID"]

    async with pay.services.database.session() as s:
        [txn] = (await s.scalars(select(StatementTransaction).where(StatementTransaction.customer_id == customer))).all()
        [promise] = (await s.scalars(select(PromiseToPay).where(PromiseToPay.customer_id == customer))).all()
        payment = await s.scalar(select(MpesaPayment).where(MpesaPayment.receipt == receipt))
        note = await s.scalar(select(Interaction).where(Interaction.customer_id == customer))
    assert (txn.external_ref, txn.receipt_code, txn.kind, txn.amount) == (receipt, receipt, "mpesa_deposit",
                                                                         Decimal("2000.00"))
    assert promise.status == PromiseStatus.KEPT and promise.matched_transaction_id == txn.id
    assert payment is not None and payment.status == "posted" and payment.match_how == "client_id"
    assert "client ID" in (payment.match_detail or "")
    assert note is not None and note.channel == "mpesa" and receipt in (note.comments or "")

    async def call_cancelled() -> bool:
        async with pay.services.database.session() as s:
            task = await s.get(CallTask, task_id)
            return task is not None and task.status == TaskStatus.CANCELLED

    await pay.until(call_cancelled)

    async def wallboard_kept() -> bool:
        frames = await pay.messages("supervisors", "wallboard.promises")
        return bool(frames) and frames[-1].data["kept"] == 1 and frames[-1].data["kept_amount"] == "2000.00"

    await pay.until(wallboard_kept)
    [frame] = await pay.messages("agent:amina", "payment")
    assert frame.data["receipt"] == receipt and frame.data["kept"] == 1 and frame.data["how"] == "client_id"
    assert [(e.customer_id, e.reference) for e in pay.payments] == [(customer, receipt)]
    assert await _count(pay, MpesaCallback) == 2  # the validation and the confirmation, both stored
    on_postgres = pay.settings.database_url.startswith("postgresql")
    assert len(fast_results) == int(on_postgres) and all(isinstance(r, Outcome) for r in fast_results)


async def test_an_unknown_account_lands_in_suspense_and_a_supervisor_assigns_it(pay: PayWorld) -> None:
    customer = await pay.customer(client_id="AB123", promise="1500", phone="+254712000111")
    await pay.register()
    body, status = await pay.fake.pay_bill(amount=1500, bill_ref="ZZ999", msisdn="254799888777")
    assert status == 200
    suspense = await pay.http.get("/api/payments/suspense", headers=pay.as_("sup"))
    assert suspense.status_code == 200
    [item] = suspense.json()["items"]
    assert (item["receipt"], item["amount"], item["bill_ref"], item["how"]) == (body["TransID"], "1500.00", "ZZ999",
                                                                               "no_match")
    assert "matches no customer" in item["detail"]
    [frame] = await pay.messages("supervisors", "payment.suspense")
    assert frame.data["id"] == item["id"] and frame.data["status"] == "suspense"
    assert await _count(pay, StatementTransaction) == 0 and pay.payments == []
    assert_error_shape(await pay.http.get("/api/payments/suspense", headers=pay.as_("amina")), 403,
                       "permission-denied")

    assigned = await pay.http.post(f"/api/payments/suspense/{item['id']}/assign", json={"customer_id": customer},
                                   headers=pay.as_("sup"))
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "posted" and assigned.json()["how"] == "supervisor"
    async with pay.services.database.session() as s:
        row = await s.scalar(select(MpesaPayment).where(MpesaPayment.id == item["id"]))
        promise = await s.scalar(select(PromiseToPay).where(PromiseToPay.customer_id == customer))
    assert row is not None and row.customer_id == customer and row.assigned_by_id == pay.users["sup"].id
    assert promise is not None and promise.status == PromiseStatus.KEPT
    await pay.until(lambda: _has(pay.payments, customer))
    assert (await pay.http.get("/api/payments/suspense", headers=pay.as_("sup"))).json()["items"] == []
    again = await pay.http.post(f"/api/payments/suspense/{item['id']}/assign", json={"customer_id": customer},
                                headers=pay.as_("sup"))
    assert_error_shape(again, 409, "conflict")
    frames = await pay.messages("supervisors", "payment.suspense")
    assert frames[-1].data["status"] == "posted"


async def _has(events: list[PaymentReceived], customer_id: int) -> bool:
    return any(e.customer_id == customer_id for e in events)


async def test_a_repeated_confirmation_changes_nothing_and_is_still_accepted(pay: PayWorld) -> None:
    customer = await pay.customer(client_id="CD-77")
    await pay.register()
    body, status = await pay.fake.pay_bill(amount=700, bill_ref="cd-77", validate=False)
    assert status == 200
    again = await pay.http.post(pay.webhook("c2b/confirmation"), json=body)
    assert again.status_code == 200 and again.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert await _count(pay, StatementTransaction, StatementTransaction.customer_id == customer) == 1
    assert await _count(pay, MpesaPayment) == 1
    assert await _count(pay, MpesaCallback, MpesaCallback.outcome == "duplicate") == 1
    await pay.until(lambda: _has(pay.payments, customer))
    assert len(pay.payments) == 1
    assert len(await pay.messages("agent:amina", "payment")) == 1


async def test_a_callback_reached_again_after_its_posting_still_reads_posted(pay: PayWorld) -> None:
    """The recovery task (or a replay) may reach a callback a live request has just posted: the
    callback's outcome stays what became of its payment, not "duplicate", and nothing is posted twice."""
    customer = await pay.customer(client_id="CD-78")
    await pay.register()
    _body, status = await pay.fake.pay_bill(amount=700, bill_ref="cd-78", validate=False)
    assert status == 200
    async with pay.services.database.session() as s:
        [stored] = (await s.scalars(select(MpesaCallback))).all()
    assert stored.outcome == "posted"
    assert await pay.hub.c2b.process(stored.id, parse_c2b(bytes(stored.body))) is None
    async with pay.services.database.session() as s:
        again = await s.get(MpesaCallback, stored.id)
        assert again is not None and again.outcome == "posted" and again.status == "processed"
    assert await _count(pay, StatementTransaction, StatementTransaction.customer_id == customer) == 1


async def test_a_wrong_token_is_403_logged_and_not_stored(pay: PayWorld, caplog: pytest.LogCaptureFixture) -> None:
    await pay.customer()
    body = {"TransID": "RKX1", "TransAmount": "10", "TransTime": "20260304100000", "BusinessShortCode": "174379",
            "BillRefNumber": "AB123", "MSISDN": "254712345678"}
    caplog.set_level(logging.WARNING, logger="agent_ui.routes.mpesa_webhooks")
    for kind in ("c2b/confirmation", "c2b/validation", "stk"):
        response = await pay.http.post(pay.webhook(kind, token="wrong-token"), json=body)
        assert_error_shape(response, 403, "signature-invalid")
    assert sum("wrong token" in r.getMessage() for r in caplog.records) == 3
    assert await _count(pay, MpesaCallback) == 0
    assert await _count(pay, StatementTransaction) == 0


@pytest.mark.parametrize(("raw", "field"), [
    (b"not json at all", "body"),
    (b"[1, 2, 3]", "body"),
    (json.dumps({"TransAmount": "10", "TransTime": "20260304100000", "BusinessShortCode": "1"}).encode(), "TransID"),
    (json.dumps({"TransID": "RK1", "TransAmount": "-5", "TransTime": "20260304100000",
                 "BusinessShortCode": "1"}).encode(), "TransAmount"),
    (json.dumps({"TransID": "RK1", "TransAmount": "10", "TransTime": "2026-03-04",
                 "BusinessShortCode": "1"}).encode(), "TransTime"),
    (json.dumps({"TransID": "RK1", "TransAmount": "10", "TransTime": "20261340100000",
                 "BusinessShortCode": "1"}).encode(), "TransTime"),
    (json.dumps({"TransID": "RK1", "TransAmount": "10", "TransTime": "00010101000000",  # before UTC's first
                 "BusinessShortCode": "1"}).encode(), "TransTime"),
])
async def test_a_malformed_body_is_400_and_its_raw_bytes_are_stored(pay: PayWorld, raw: bytes, field: str) -> None:
    response = await pay.http.post(pay.webhook("c2b/confirmation"), content=raw,
                                   headers={"Content-Type": "application/json"})
    body = assert_error_shape(response, 400, "protocol-violation")
    assert field in body["details"], body
    async with pay.services.database.session() as s:
        [stored] = (await s.scalars(select(MpesaCallback))).all()
    assert bytes(stored.body) == raw and stored.status == "rejected" and stored.kind == "c2b_confirmation"
    assert stored.error and stored.remote_addr == "127.0.0.1"
    assert await _count(pay, MpesaPayment) == 0
