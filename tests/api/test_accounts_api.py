"""Loans and statement entries are idempotent on external_ref; payments keep promises."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from domain.events import PaymentReceived
from store.models import Loan, StatementTransaction
from tests.api.conftest import ApiWorld, assert_error_shape, drain

LOAN: dict[str, Any] = {
    "external_ref": "LN-7", "product": "PAYG TV", "applied_amount": "12000", "principal": "12000",
    "interest_amount": "1800", "balance": "9000", "start_date": "2025-01-01", "end_date": "2025-12-31",
    "schedule": [{"number": n, "due_date": f"2025-{n:02d}-01", "principal": "1000", "interest": "150"}
                 for n in range(1, 13)],
}


def deposit(ref: str, amount: str, at: str = "2025-03-01T08:00:00Z") -> dict[str, Any]:
    return {"external_ref": ref, "posted_at": at, "direction": "credit", "kind": "mpesa_deposit",
            "amount": amount, "receipt_code": f"R{ref}"}


async def _count(api: ApiWorld, model: type[Loan] | type[StatementTransaction]) -> int:
    async with api.services.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_loan_resend_is_idempotent(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    first = await api.client.post(f"/api/customers/{cid}/loans", json=LOAN, headers=api.as_("sup"))
    assert first.status_code == 201, first.text
    again = await api.client.post(f"/api/customers/{cid}/loans", json=LOAN, headers=api.as_("sup"))
    assert again.status_code == 200 and again.json() == first.json()
    assert len(first.json()["schedule"]) == 12 and first.json()["currency"] == "KES"
    assert await _count(api, Loan) == 1
    other = (await api.customer("Other", "0799111222"))["id"]
    clash = await api.client.post(f"/api/customers/{other}/loans", json=LOAN, headers=api.as_("sup"))
    assert_error_shape(clash, 409, "conflict")
    bad = await api.client.post(f"/api/customers/{cid}/loans", headers=api.as_("sup"),
                                json={**LOAN, "external_ref": "LN-8", "end_date": "2024-01-01"})
    assert "end_date" in assert_error_shape(bad, 422)["details"]


async def test_transaction_resend_is_idempotent(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    body = deposit("MP-1", "500")
    first = await api.client.post(f"/api/customers/{cid}/transactions", json=body, headers=api.as_("sup"))
    again = await api.client.post(f"/api/customers/{cid}/transactions", json=body, headers=api.as_("sup"))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert await _count(api, StatementTransaction) == 1
    unknown_loan = await api.client.post(f"/api/customers/{cid}/transactions", headers=api.as_("sup"),
                                         json={**deposit("MP-2", "1"), "loan_ref": "nope"})
    assert "loan_ref" in assert_error_shape(unknown_loan, 422)["details"]


def _due(days: int) -> str:
    """A promise's due date ``days`` from today (promises fall due from today to a year ahead)."""
    return (date.today() + timedelta(days=days)).isoformat()


async def test_payment_is_applied_to_promises_oldest_first(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    base = f"/api/customers/{cid}"
    older = (await api.client.post(f"{base}/promises", json={"amount": "1000", "due_date": _due(1)},
                                   headers=api.as_("amina"))).json()
    newer = (await api.client.post(f"{base}/promises", json={"amount": "2000", "due_date": _due(10)},
                                   headers=api.as_("amina"))).json()
    part = await api.client.post(f"{base}/transactions", json=deposit("MP-10", "600"), headers=api.as_("sup"))
    assert [p["id"] for p in part.json()["applied_to_promises"]] == [older["id"]]
    full = await api.client.post(f"{base}/transactions", json=deposit("MP-11", "1400"), headers=api.as_("sup"))
    txn_id = full.json()["id"]
    fee = {"external_ref": "FEE-1", "posted_at": "2025-03-02T08:00:00Z", "direction": "debit",
           "kind": "loan_fee", "amount": "50"}
    assert (await api.client.post(f"{base}/transactions", json=fee, headers=api.as_("sup"))).status_code == 201
    # a re-sent payment is not applied twice
    await api.client.post(f"{base}/transactions", json=deposit("MP-11", "1400"), headers=api.as_("sup"))
    promises = {p["id"]: p for p in (await api.client.get(f"{base}/promises",
                                                          headers=api.as_("amina"))).json()["items"]}
    assert promises[older["id"]]["status"] == "kept"
    assert promises[older["id"]]["paid_amount"] == "1000.00"
    assert promises[older["id"]]["matched_transaction_id"] == txn_id
    assert promises[newer["id"]]["status"] == "pending"
    assert promises[newer["id"]]["paid_amount"] == "1000.00"
    assert promises[newer["id"]]["matched_transaction_id"] == txn_id
    events = await drain(api, 2)
    payments = [e for e in events if isinstance(e, PaymentReceived)]
    assert [(e.customer_id, e.amount, e.reference) for e in payments] == [
        (cid, "600.00", "RMP-10"), (cid, "1400.00", "RMP-11")]
    kept = await api.client.get("/api/promises", params={"status": "kept"}, headers=api.as_("amina"))
    assert [p["id"] for p in kept.json()["items"]] == [older["id"]]
    due = await api.client.get("/api/promises", params={"due": _due(10)}, headers=api.as_("sup"))
    assert [p["id"] for p in due.json()["items"]] == [newer["id"]]
    # brian (another agent) sees none of amina's promises
    assert (await api.client.get("/api/promises", headers=api.as_("brian"))).json()["items"] == []


async def test_concurrent_resends_store_one_row(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    path = f"/api/customers/{cid}/transactions"
    body = deposit("MP-RACE", "250")
    responses = await asyncio.gather(*(api.client.post(path, json=body, headers=api.as_("sup")) for _ in range(4)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 201], [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert await _count(api, StatementTransaction) == 1
