"""Issue 15, item 1: a follow-up handed to another operator opens its customer to that operator while
the task is open (audited as ``task_scoped_read``), and the task card says whose customer it is, why
and who set it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from store.models import AuditEntry
from tests.api.conftest import ApiWorld, assert_error_shape

SOON = (datetime.now(UTC) + timedelta(hours=2)).isoformat()


async def _hand_over(api: ApiWorld, cid: int, to: str = "brian", by: str = "amina") -> dict[str, Any]:
    note = {"channel": "call", "subject": "Broken promise, wants to talk to a senior",
            "disposition": {"status": "contacted", "reason": "dispute"}, "comments": "disputes the fee",
            "follow_up": {"assignee": to, "due_at": SOON, "instructions": "call back about the fee"}}
    saved = await api.client.post(f"/api/customers/{cid}/interactions", json=note, headers=api.as_(by))
    assert saved.status_code == 201, saved.text
    [task] = [t for t in saved.json()["tasks"] if t["kind"] == "follow_up"]
    return dict(task)


async def _audit(api: ApiWorld, cid: int, user: str, action: str) -> list[AuditEntry]:
    async with api.services.database.session() as session:
        return list((await session.scalars(select(AuditEntry).where(
            AuditEntry.customer_id == cid, AuditEntry.actor_id == api.users[user].id,
            AuditEntry.action == action).order_by(AuditEntry.id))).all())


async def test_open_task_opens_the_customer_to_its_assignee_and_is_audited(api: ApiWorld) -> None:
    cid = (await api.customer("Amina Wanjiru", "0712000001", client_id="C-000001"))["id"]
    path = f"/api/customers/{cid}"
    assert_error_shape(await api.client.get(path, headers=api.as_("brian")), 404)
    task = await _hand_over(api, cid)
    opened = await api.client.get(path, headers=api.as_("brian"))
    assert opened.status_code == 200, opened.text
    assert opened.json()["access"] == "task" and opened.json()["name"] == "Amina Wanjiru"
    # the assignee works the follow-up: reads the history, writes a note
    assert (await api.client.get(f"{path}/interactions", headers=api.as_("brian"))).status_code == 200
    note = {"channel": "call", "disposition": {"status": "not_contacted", "reason": "no_answer"}}
    assert (await api.client.post(f"{path}/interactions", json=note, headers=api.as_("brian"))).status_code == 201
    reads = await _audit(api, cid, "brian", "task_scoped_read")
    assert [(a.details["task_id"], a.details["what"]) for a in reads] == [
        (task["id"], "record"), (task["id"], "interactions")]
    # done: the customer is hidden again, exactly as one that does not exist
    done = await api.client.patch(f"/api/tasks/{task['id']}", json={"done": True}, headers=api.as_("brian"))
    assert done.status_code == 200 and done.json()["done"] is True
    hidden = assert_error_shape(await api.client.get(path, headers=api.as_("brian")), 404)
    missing = assert_error_shape(await api.client.get("/api/customers/999999", headers=api.as_("brian")), 404)
    assert hidden["message"].replace(str(cid), "N") == missing["message"].replace("999999", "N")
    assert len(await _audit(api, cid, "brian", "task_scoped_read")) == 2
    # reopened: open again
    await api.client.patch(f"/api/tasks/{task['id']}", json={"done": False}, headers=api.as_("brian"))
    assert (await api.client.get(path, headers=api.as_("brian"))).json()["access"] == "task"


async def test_task_grant_is_only_for_its_assignee_and_its_customer(api: ApiWorld) -> None:
    nobodys = (await api.customer("Otieno Odhiambo", "0712000002", agent=None))["id"]
    other = (await api.customer("Njeri Mwangi", "0712000003", agent=None))["id"]
    made = await api.client.post("/api/tasks", json={"due_at": SOON, "customer_id": nobodys, "assignee": "brian",
                                                     "instructions": "ask about the swap"}, headers=api.as_("sup"))
    assert made.status_code == 201, made.text
    assert (await api.client.get(f"/api/customers/{nobodys}", headers=api.as_("brian"))).status_code == 200
    assert_error_shape(await api.client.get(f"/api/customers/{other}", headers=api.as_("brian")), 404)
    assert_error_shape(await api.client.get(f"/api/customers/{nobodys}", headers=api.as_("amina")), 404)
    # the grant does not widen the agent's search
    found = await api.client.get("/api/customers", params={"q": "Otieno"}, headers=api.as_("brian"))
    assert found.json()["items"] == []


async def test_the_task_card_names_the_customer_the_reason_and_who_set_it(api: ApiWorld) -> None:
    cid = (await api.customer("Amina Wanjiru", "0712000001", client_id="C-000001"))["id"]
    await _hand_over(api, cid)
    listed = await api.client.get("/api/tasks", params={"due": "all"}, headers=api.as_("brian"))
    assert listed.status_code == 200, listed.text
    [card] = listed.json()["items"]
    assert card["customer_id"] == cid
    assert (card["customer_name"], card["customer_client_id"]) == ("Amina Wanjiru", "C-000001")
    assert card["reason"] == "Broken promise, wants to talk to a senior"
    assert card["reason_disposition"] == {"status": "contacted", "reason": "dispute", "resolution": None}
    assert card["instructions"] == "call back about the fee"
    assert (card["created_by"], card["created_by_name"]) == ("amina", "Amina")
    # a task set directly, without a note or a customer, says so with nulls
    bare = await api.client.post("/api/tasks", json={"due_at": SOON, "instructions": "team meeting"},
                                 headers=api.as_("brian"))
    assert bare.status_code == 201, bare.text
    assert {k: bare.json()[k] for k in ("customer_name", "customer_client_id", "reason", "reason_disposition")} \
        == dict.fromkeys(("customer_name", "customer_client_id", "reason", "reason_disposition"))
    assert bare.json()["created_by_name"] == "Brian"
