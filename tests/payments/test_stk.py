"""Payment requests (STK push) through the API, the real Daraja client and the fake Daraja, which
answers with the callback (or not): paid, failed in words, settled by the query API, Daraja's
500, a lost answer, the gate, one pending request per customer, and the report."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from payments.client import PUSH_PATH, QUERY_PATH
from payments.stk_protocol import stk_callback_body
from store.models import Interaction, MpesaPayment, PaymentRequest, PromiseStatus, PromiseToPay, Relation
from store.models import StatementTransaction as Txn
from tests.api.conftest import assert_error_shape
from tests.payments.conftest import TOKEN, PayWorld

NOW = datetime(2026, 3, 4, 7, 1, tzinfo=UTC)


async def _count(pay: PayWorld, model: type, *where: object) -> int:
    async with pay.services.database.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


async def test_paid_during_the_call(pay: PayWorld) -> None:
    customer = await pay.customer(client_id="AB 123", overdue="9000", promise="2000")
    call_id = await pay.on_call("amina", customer)
    overview = (await pay.http.get(f"/api/customers/{customer}/payment-requests", headers=pay.as_("amina"))).json()
    assert overview["enabled"] is True and overview["suggested_amount"] == "2000"  # the promise, not the overdue

    response = await pay.request(customer)
    assert response.status_code == 202, response.text
    created = response.json()
    assert created["state"] == "waiting_pin" and created["amount"] == "2000.00" and created["call_id"] == call_id
    [push] = pay.fake.calls(PUSH_PATH)
    assert push.body["Amount"] == 2000 and push.body["PhoneNumber"] == "254712345678"
    assert push.body["AccountReference"] == "AB123"
    assert push.body["CallBackURL"] == f"{pay.settings.public_url}/webhooks/mpesa/stk/{TOKEN}"

    done = await pay.settled(created["id"])
    assert done["state"] == "paid" and done["receipt"].startswith("QK7")
    assert done["state_text"] == f"Paid KES 2,000.00, receipt {done['receipt']}."
    frames = [m.data["state"] for m in await pay.messages("agent:amina", "payment.request")]
    assert frames == ["sent", "waiting_pin", "paid"]
    async with pay.services.database.session() as s:
        promise = await s.scalar(select(PromiseToPay).where(PromiseToPay.customer_id == customer))
        payment = await s.scalar(select(MpesaPayment).where(MpesaPayment.receipt == done["receipt"]))
        note = await s.scalar(select(Interaction).where(Interaction.channel == "mpesa"))
    assert promise is not None and promise.status == PromiseStatus.KEPT
    assert payment is not None and (payment.source, payment.match_how, payment.request_id) == (
        "stk", "payment_request", created["id"])
    assert (payment.call_id, payment.agent_id) == (call_id, pay.users["amina"].id)
    assert note is not None and (note.call_id, note.operator_id) == (call_id, pay.users["amina"].id)
    await pay.until(lambda: _seen(pay, customer))
    [paid_frame] = await pay.messages("agent:amina", "payment")
    assert paid_frame.data["receipt"] == done["receipt"] and paid_frame.data["request_id"] == created["id"]

    report = await pay.http.get("/api/reports/payments?from=2026-03-01&to=2026-03-31", headers=pay.as_("sup"))
    amina = next(r for r in report.json()["items"] if r["agent"] == "amina")
    assert amina == {"agent": "amina", "requests": 1, "requests_paid": 1, "paid_during_call": 1,
                     "paid_during_call_amount": "2000.00"}
    csv = await pay.http.get("/api/reports/payments?from=2026-03-01&to=2026-03-31&format=csv", headers=pay.as_("sup"))
    assert csv.text.splitlines()[0] == "agent,requests,requests_paid,paid_during_call,paid_during_call_amount"


async def _seen(pay: PayWorld, customer: int) -> bool:
    return any(e.customer_id == customer for e in pay.payments)


@pytest.mark.parametrize(("code", "words"), [
    (1032, "The customer cancelled the request on the phone."),
    (1037, "The customer's phone did not answer"),
    (2001, "The customer entered a wrong M-Pesa PIN."),
    (1, "The customer's M-Pesa balance is not enough for this payment."),
])
async def test_a_failed_request_is_shown_in_words(pay: PayWorld, code: int, words: str) -> None:
    customer = await pay.customer(overdue="1500")
    pay.fake.next_outcome(code)
    created = (await pay.request(customer)).json()
    done = await pay.settled(created["id"])
    assert done["state"] == "failed" and done["state_text"].startswith(words) and done["reason"].startswith(words)
    assert not any(ch.isdigit() for ch in done["state_text"])
    [last] = (await pay.messages("agent:amina", "payment.request"))[-1:]
    assert last.data["state"] == "failed" and last.data["state_text"] == done["state_text"]
    assert await _count(pay, Txn) == 0 and await _count(pay, MpesaPayment) == 0 and pay.payments == []
    assert await _count(pay, Interaction, Interaction.activity_type == "M-Pesa request") == 1
    again = await pay.request(customer)  # the failed request no longer holds the customer's slot
    assert again.status_code == 202, again.text


async def test_no_callback_so_the_query_api_settles_it_after_60_seconds(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="800")
    pay.fake.next_outcome(0, callback=False, delay=0.1)
    created = (await pay.request(customer)).json()
    await pay.until(lambda: _sleep_then_true(0.5))
    assert pay.fake.calls(QUERY_PATH) == []  # 60 s have not passed on the clock: no query yet
    assert (await pay.request_state(created["id"]))["state"] == "waiting_pin"
    pay.clock.advance(seconds=61)
    done = await pay.settled(created["id"])
    assert done["state"] == "paid" and len(pay.fake.calls(QUERY_PATH)) == 1
    async with pay.services.database.session() as s:
        row = await s.get(PaymentRequest, created["id"])
        payment = await s.scalar(select(MpesaPayment).where(MpesaPayment.request_id == created["id"]))
    assert row is not None and payment is not None and payment.receipt == row.checkout_request_id  # no receipt yet
    assert await _count(pay, Txn) == 1
    await pay.until(lambda: _seen(pay, customer))


async def test_the_query_settles_a_cancelled_request(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="800")
    pay.fake.next_outcome(1032, callback=False, delay=0.1)
    created = (await pay.request(customer)).json()
    await asyncio.sleep(0.3)  # the customer has answered on the phone by now
    pay.clock.advance(seconds=61)
    assert (await pay.settled(created["id"]))["reason"] == "The customer cancelled the request on the phone."


async def test_a_receipt_that_comes_after_the_query_replaces_the_stand_in(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="800")
    pay.fake.next_outcome(0, callback=False, delay=0.1)
    created = (await pay.request(customer)).json()
    await asyncio.sleep(0.3)
    pay.clock.advance(seconds=61)
    assert (await pay.settled(created["id"]))["receipt"] is None
    push = next(iter(pay.fake.pushes.values()))
    late = await pay.http.post(pay.webhook("stk"), json=stk_callback_body(pay.fake.result_of(push), NOW))
    assert late.status_code == 200
    state = await pay.request_state(created["id"])
    assert state["receipt"] == push.receipt and state["state"] == "paid"
    async with pay.services.database.session() as s:
        [txn] = (await s.scalars(select(Txn))).all()
        [payment] = (await s.scalars(select(MpesaPayment))).all()
    assert (txn.receipt_code, payment.receipt) == (push.receipt, push.receipt)
    assert len(pay.payments) == 1  # posted once


async def _sleep_then_true(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return True


async def test_daraja_answers_500_on_the_push_and_nothing_is_posted(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="3000")
    pay.fake.fail_next_push(500, "500.001.1001", "Unable to lock subscriber, a transaction is already in process")
    response = await pay.request(customer)
    assert response.status_code == 202
    body = response.json()
    assert body["state"] == "failed"
    assert body["reason"] == ("M-Pesa refused the request: Unable to lock subscriber, a transaction is already in "
                              "process.")
    assert len(pay.fake.calls(PUSH_PATH)) == 1  # never sent again
    assert await _count(pay, Txn) == 0 and await _count(pay, MpesaPayment) == 0 and pay.payments == []


async def test_a_lost_answer_is_unknown_and_never_sent_again(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="3000")
    assert pay.hub.client is not None
    pay.hub.client._http.timeout = httpx.Timeout(0.5, connect=10.0)
    pay.fake.next_outcome(0, callback=False)
    pay.fake.delay_next_push(2.0)
    body = (await pay.request(customer)).json()
    assert body["state"] == "unknown" and "Check the statement" in body["state_text"]
    pay.clock.advance(seconds=400)
    await pay.until(lambda: _sleep_then_true(0.5))
    assert len(pay.fake.calls(PUSH_PATH)) == 1 and pay.fake.calls(QUERY_PATH) == []
    assert (await pay.request(customer)).status_code == 202  # an unknown request does not hold the slot


async def test_the_gate_refuses_a_guarantors_phone(pay: PayWorld) -> None:
    customer = await pay.customer(contacts=((Relation.GUARANTOR, "Peter Guarantor", "+254722000111"),))
    response = await pay.request(customer, phone="0722000111")
    body = assert_error_shape(response, 409, "compliance-blocked")
    assert body["details"]["rule"] == "own_number_only" and "never to a guarantor" in body["message"]
    assert pay.fake.calls(PUSH_PATH) == [] and await _count(pay, PaymentRequest) == 0
    own = await pay.request(customer, phone="0712 345 678")
    assert own.status_code == 202


async def test_outside_the_packs_hours_and_over_the_daily_limit(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="1000")
    for _ in range(3):
        pay.fake.next_outcome(1032, delay=0.05)
        created = (await pay.request(customer)).json()
        await pay.settled(created["id"])
    fourth = assert_error_shape(await pay.request(customer), 409, "compliance-blocked")
    assert fourth["details"]["rule"] == "max_payment_requests_per_day"
    assert fourth["details"]["next_allowed_at"] == "2026-03-05T05:00:00+00:00"
    pay.clock.advance(days=4)  # Sunday 8 March: the Kenya pack is closed
    sunday = assert_error_shape(await pay.request(customer), 409, "compliance-blocked")
    assert sunday["details"]["rule"] == "calling_window"
    assert len(pay.fake.calls(PUSH_PATH)) == 3


async def test_one_pending_request_per_customer(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="1000")
    pay.fake.next_outcome(0, delay=1.0)
    first = (await pay.request(customer)).json()
    second = assert_error_shape(await pay.request(customer, amount="500"), 409, "conflict")
    assert "already waiting for the PIN" in second["message"] and second["details"]["request_id"] == first["id"]
    assert len(pay.fake.calls(PUSH_PATH)) == 1
    assert (await pay.settled(first["id"]))["state"] == "paid"


async def test_amounts_the_caller_gives_and_who_may_ask(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="0", agent="amina")
    nothing = assert_error_shape(await pay.request(customer), 422, "validation-failed")
    assert nothing["message"] == "Nothing is owed: enter the amount to request."
    cents = assert_error_shape(await pay.request(customer, amount="10.50"), 422, "validation-failed")
    assert "whole shillings" in cents["message"]
    assert_error_shape(await pay.request(customer, amount="250001"), 422, "validation-failed")
    assert_error_shape(await pay.request(customer, amount="-5"), 422, "validation-failed")
    assert_error_shape(await pay.request(customer, agent="brian", amount="100"), 404, "not-found")
    assert pay.fake.calls(PUSH_PATH) == []
    ok = await pay.request(customer, amount="100")
    assert ok.status_code == 202 and ok.json()["amount"] == "100.00"
    assert_error_shape(await pay.http.get(f"/api/payment-requests/{ok.json()['id']}", headers=pay.as_("brian")),
                       404, "not-found")


async def test_a_repeated_stk_callback_changes_nothing(pay: PayWorld) -> None:
    customer = await pay.customer(overdue="600")
    created = (await pay.request(customer)).json()
    done = await pay.settled(created["id"])
    push = next(iter(pay.fake.pushes.values()))
    again = await pay.http.post(pay.webhook("stk"), json=stk_callback_body(pay.fake.result_of(push), NOW))
    assert again.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    assert await _count(pay, Txn) == 1 and await _count(pay, MpesaPayment) == 1
    assert (await pay.request_state(created["id"]))["receipt"] == done["receipt"]


async def test_a_callback_before_the_push_answer_is_applied_when_the_id_is_known(pay: PayWorld) -> None:
    """Daraja may call back before our own record of the push's answer: the callback waits, stored."""
    customer = await pay.customer(overdue="600")
    pay.fake.next_outcome(0, delay=0.0)
    pay.fake.delay_next_push(0.6)  # the answer to the push comes after the callback
    created = (await pay.request(customer)).json()
    done = await pay.settled(created["id"])
    assert done["state"] == "paid"
    assert await _count(pay, Txn) == 1
