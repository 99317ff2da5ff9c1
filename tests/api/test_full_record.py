"""The whole seed 000/002/003/004 record written through the API and read back in one record."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from store.models import AuditEntry
from tests.api.conftest import ApiWorld

LOAN = {
    "external_ref": "LN-2024-0001", "product": "Solar Home 40W", "applied_amount": "30000.00",
    "principal": "30000", "interest_amount": "4500.50", "balance": "18000.50",
    "start_date": "2024-01-15", "end_date": "2024-12-15", "days_past_due": 21, "overdue_amount": "4312.55",
    "schedule": [
        {"number": 1, "due_date": "2024-02-15", "principal": "2500", "interest": "375.04",
         "paid_amount": "2875.04", "paid_at": "2024-02-14T09:00:00+03:00"},
        {"number": 2, "due_date": "2024-03-15", "principal": "2500", "interest": "375.04"},
    ],
}


async def _post(api: ApiWorld, path: str, body: dict[str, Any], user: str = "amina") -> dict[str, Any]:
    response = await api.client.post(path, json=body, headers=api.as_(user))
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_whole_record_round_trips(api: ApiWorld) -> None:
    created = await api.customer(
        "Achieng Odhiambo", "0712-345-678", phones=["+254 733 000 111"], government_id="23456789",
        client_id="BX-100200", serial_numbers=["SHS-40-77812"], email="achieng@example.com",
        region="Kisumu", status="overdue", campaign="collections", risk_score=0.7,
        contacts=[{"name": "Otieno Guarantor", "phone": "0722 111 222", "relation": "guarantor",
                   "relationship": "brother"},
                  {"name": "RO Mary", "phone": "0700111333", "relation": "relationship_officer"}])
    assert created["phone"] == "+254712345678"
    assert created["phones"] == ["+254712345678", "+254733000111"]
    assert created["timezone"] == "Africa/Nairobi" and created["campaign"] == "collections"
    cid = created["id"]
    base = f"/api/customers/{cid}"

    loan = await _post(api, f"{base}/loans", LOAN, user="sup")
    await _post(api, f"{base}/transactions", {
        "external_ref": "TX-1", "posted_at": "2024-01-15T10:00:00+03:00", "direction": "debit",
        "kind": "disbursement", "amount": "30000", "loan_ref": "LN-2024-0001"}, user="sup")
    await _post(api, f"{base}/transactions", {
        "external_ref": "TX-2", "posted_at": "2024-01-15T10:05:00+03:00", "direction": "debit",
        "kind": "loan_fee", "amount": "450"}, user="sup")
    await _post(api, f"{base}/transactions", {
        "external_ref": "TX-3", "posted_at": "2024-02-14T09:00:00+03:00", "direction": "credit",
        "kind": "mpesa_deposit", "amount": "2875.04", "receipt_code": "SBK7XQ2M1P"}, user="sup")

    alt = await _post(api, f"{base}/contacts", {"name": "Jane Sister", "phone": "0711222333",
                                                "relationship": "sister"})
    assert alt["relation"] == "alternative_contact" and alt["phone"] == "+254711222333"

    due = (date.today() + timedelta(days=7)).isoformat()
    callback_at = (datetime.now().astimezone() + timedelta(hours=4)).isoformat()
    follow_at = (datetime.now().astimezone() + timedelta(days=1)).isoformat()
    note = await _post(api, f"{base}/interactions", {
        "channel": "call", "direction": "outbound", "reason_code": "overdue_loan",
        "disposition": {"status": "contacted", "reason": "promise_to_pay", "resolution": "payment_scheduled"},
        "action": "customer", "call_result": "answered", "call_status": "connected",
        "status_action": "spoke_to_customer", "party_response": "promised_to_pay",
        "promised_amount": "4312.55", "promised_date": due, "visit_date": due, "comments": "Will pay Friday",
        "client_status": "promise_pending", "send_message": True, "message_template": "payment_reminder",
        "purpose": "credit_control", "subject": "Overdue instalment", "detail": "Customer lost job in March",
        "call_outcome": "successful", "customer_mood": "cooperative", "callback_at": callback_at,
        "follow_up": {"assignee": "sup", "due_at": follow_at, "instructions": "Check payment arrived"},
    })
    assert note["promise"]["amount"] == "4312.55" and note["promise"]["status"] == "pending"
    assert sorted(t["kind"] for t in note["tasks"]) == ["callback", "follow_up"]
    assert note["complete"] is False
    activity = await _post(api, f"{base}/interactions", {
        "channel": "call", "activity_type": "Left Message", "comments": "voicemail"})
    assert activity["disposition"] == {"status": "not_contacted", "reason": "left_message",
                                       "resolution": "retry_later"}
    guarantor_id = next(c["id"] for c in (await api.client.get(
        f"{base}/contacts", headers=api.as_("amina"))).json()["items"] if c["relation"] == "guarantor")
    await _post(api, f"{base}/interactions", {
        "channel": "call", "contact_id": guarantor_id, "call_status": "connected",
        "status_action": "spoke_to_guarantor", "party_response": "will_inform_customer",
        "disposition": {"status": "contacted", "reason": "wrong_party",
                        "resolution": "message_with_third_party"}})
    promise = await _post(api, f"{base}/promises", {"amount": "1000", "due_date": due, "notes": "second"})
    task = await _post(api, "/api/tasks", {"due_at": follow_at, "instructions": "Send statement",
                                           "customer_id": cid})
    pdf = b"%PDF-1.4 M-Pesa confirmation SBK7XQ2M1P"
    upload = await api.client.post(f"{base}/attachments", headers=api.as_("amina"),
                                   files={"file": ("mpesa.pdf", pdf, "application/pdf")},
                                   data={"kind": "payment_confirmation", "interaction_id": str(note["id"])})
    assert upload.status_code == 201, upload.text
    attachment = upload.json()
    assert attachment["sha256"] == hashlib.sha256(pdf).hexdigest()
    stored = list((api.settings.attachments_dir).rglob(attachment["sha256"]))
    assert len(stored) == 1 and stored[0].read_bytes() == pdf

    response = await api.client.get(base, headers=api.as_("amina"))
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["access"] == "assigned"
    assert record["government_id"] == "23456789" and record["client_id"] == "BX-100200"
    assert record["serial_numbers"] == ["SHS-40-77812"] and record["status"] == "overdue"
    summary = record["summary"]
    assert summary["overdue_amount"] == "4312.55" and summary["days_past_due"] == 21
    assert summary["total_balance"] == "18000.50"
    assert summary["open_promise"]["due_date"] == due
    assert summary["last_interaction"]["disposition"]["reason"] == "wrong_party"
    [got_loan] = record["loans"]
    assert got_loan == loan
    assert [i["total"] for i in got_loan["schedule"]] == ["2875.04", "2875.04"]
    assert got_loan["schedule"][0]["paid_at"] == "2024-02-14T06:00:00+00:00"
    assert [(t["kind"], t["running_balance"]) for t in record["statement"]] == [
        ("disbursement", "-30000.00"), ("loan_fee", "-30450.00"), ("mpesa_deposit", "-27574.96")]
    assert record["statement"][2]["receipt_code"] == "SBK7XQ2M1P"
    contacts = {c["relation"]: c for c in record["contacts"]}
    assert contacts["guarantor"]["relationship"] == "brother"
    assert contacts["guarantor"]["phone"] == "+254722111222"
    assert contacts["relationship_officer"]["name"] == "RO Mary"
    assert contacts["alternative_contact"]["name"] == "Jane Sister"
    saved = next(i for i in record["interactions"] if i["id"] == note["id"])
    for field in ("action", "call_result", "call_status", "status_action", "party_response",
                  "promised_amount", "promised_date", "visit_date", "comments", "client_status",
                  "send_message", "message_template", "purpose", "subject", "detail", "call_outcome",
                  "customer_mood", "reason_code", "disposition", "operator", "channel", "direction"):
        assert saved[field] == note[field], field
    assert saved["operator"] == "amina" and saved["promised_amount"] == "4312.55"
    assert len(record["interactions"]) == 3
    assert {p["id"] for p in record["promises"]} == {note["promise"]["id"], promise["id"]}
    task_ids = {t["id"] for t in record["tasks"]}
    assert task_ids == {t["id"] for t in note["tasks"]} | {task["id"]}
    assert [a["sha256"] for a in record["attachments"]] == [attachment["sha256"]]
    download = await api.client.get(attachment["url"], headers=api.as_("amina"))
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-type"] == "application/octet-stream"  # always a download (issue 13)

    # the follow-up appears in the supervisor's list for its date; reading was audited
    sup_tasks = await api.client.get("/api/tasks", params={"due": "all"}, headers=api.as_("sup"))
    assert [t["instructions"] for t in sup_tasks.json()["items"]] == ["Check payment arrived"]
    async with api.services.database.session() as session:
        reads = (await session.scalars(select(AuditEntry.actor_id).where(
            AuditEntry.customer_id == cid, AuditEntry.action == "read", AuditEntry.entity == "customer"))).all()
    assert list(reads) == [api.users["amina"].id]
