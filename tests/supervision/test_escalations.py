"""The escalation queue through the API, on SQLite and PostgreSQL, fed by the real sources: the
dialer's generator breaking promises, saved dispositions marked ``escalate``, the dialer's failed
attempts, and the account scan. One open escalation per rule and account; each action is in the
customer's history; pushed live to the supervisors' stream with the open count."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from config.compliance_loader import load_pack
from dialer.context import DialerContext
from dialer.generator import Generator
from domain.events import EscalationRequested, utcnow
from store.models import Customer, Escalation, FollowUpTask, PromiseStatus, PromiseToPay
from supervision.escalations import EscalationService
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.supervision.conftest import get_json, supervisor_messages


async def until(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "not within the time"
        await asyncio.sleep(0.02)


async def account(api: ApiWorld, name: str, phone: str, *, dpd: int, overdue: str, agent: str = "amina") -> int:
    cid: int = (await api.customer(name, phone, agent=agent))["id"]
    loan = {"external_ref": f"L-{phone}", "product": "Solar PAYG", "applied_amount": "30000", "principal": "30000",
            "balance": "20000", "start_date": "2026-01-01", "end_date": "2027-01-01", "days_past_due": dpd,
            "overdue_amount": overdue}
    response = await api.client.post(f"/api/customers/{cid}/loans", json=loan, headers=api.as_("sup"))
    assert response.status_code == 201, response.text
    return cid


async def open_items(api: ApiWorld) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = (await get_json(api, "/api/escalations", state="open"))["items"]
    return items


def generator(api: ApiWorld) -> Generator:
    s = api.services
    assert s.bus is not None and s.outbox is not None
    return Generator(DialerContext(settings=s.settings, database=s.database, bus=s.bus, outbox=s.outbox,
                                   lists_source=s.lists_source.current, pack=load_pack("kenya"), clock=utcnow))


async def promise_due(api: ApiWorld, cid: int, amount: str, days_ago: int) -> int:
    """A promise taken through the API (due tomorrow: the API refuses a past date), then moved back
    in the database to ``days_ago`` days ago, as if it had been taken long ago and not kept."""
    today = datetime.now(UTC).date()
    response = await api.client.post(f"/api/customers/{cid}/promises", headers=api.as_("sup"),
                                     json={"amount": amount, "due_date": (today + timedelta(days=1)).isoformat()})
    assert response.status_code == 201, response.text
    promise_id: int = response.json()["id"]
    async with api.services.database.session() as session:
        await session.execute(update(PromiseToPay).where(PromiseToPay.id == promise_id)
                              .values(due_date=today - timedelta(days=days_ago)))
    return promise_id


async def test_broken_promises_raise_once_while_open_and_actions_are_history(sup_world: ApiWorld) -> None:
    api = sup_world
    cid = await account(api, "Wanjiku Kamau", "0712000301", dpd=61, overdue="12400")
    gen = generator(api)
    await promise_due(api, cid, "500", 10)
    assert await gen.broken_promises() == 1
    await asyncio.sleep(0.2)
    assert await open_items(api) == []  # the 1st broken promise of 500 fires no rule (2nd, or over 10,000)
    await promise_due(api, cid, "800", 5)
    assert await gen.broken_promises() == 1
    await until(lambda: _count(api, 1))
    [item] = await open_items(api)
    assert item["summary"] == "2nd broken promise, KES 12,400 overdue, 61 days past due"
    assert (item["rule"], item["state"], item["agent"], item["raised_for"]) == ("broken_promise", "open", "amina",
                                                                                "amina")
    assert item["figures"]["broken_promises"] == 2 and item["figures"]["promise_amount"] == "800.00"
    [raised] = await supervisor_messages(api, "escalation.raised")
    assert raised.data["open_count"] == 1 and raised.data["escalation"]["id"] == item["id"]
    await promise_due(api, cid, "900", 4)
    assert await gen.broken_promises() == 1
    await asyncio.sleep(0.3)
    assert len(await open_items(api)) == 1  # not raised twice while one is open

    path = f"/api/escalations/{item['id']}/actions"
    ack = await api.client.post(path, json={"action": "acknowledge"}, headers=api.as_("sup"))
    assert ack.json()["state"] == "acknowledged"
    moved = await api.client.post(path, json={"action": "reassign", "agent": "brian", "note": "fresh eyes"},
                                  headers=api.as_("sup"))
    assert moved.status_code == 200, moved.text
    assert moved.json()["agent"] == "brian" and moved.json()["raised_for"] == "amina"
    due = datetime(2030, 1, 7, 6, 0, tzinfo=UTC)
    follow = await api.client.post(path, json={"action": "follow_up", "due_at": due.isoformat(),
                                               "note": "call about the plan"}, headers=api.as_("sup"))
    assert follow.status_code == 200, follow.text
    assert_error_shape(await api.client.post(path, json={"action": "close"}, headers=api.as_("sup")), 422)
    closed = await api.client.post(path, json={"action": "close", "note": "plan agreed"}, headers=api.as_("sup"))
    assert (closed.json()["state"], closed.json()["outcome"]) == ("closed", "reassigned")
    assert [a["action"] for a in closed.json()["actions"]] == ["acknowledge", "reassign", "follow_up", "close"]
    assert_error_shape(await api.client.post(path, json={"action": "acknowledge"}, headers=api.as_("sup")), 409)
    assert (await get_json(api, "/api/escalations"))["open_count"] == 0
    updates = await supervisor_messages(api, "escalation.updated")
    assert [m.data["escalation"]["state"] for m in updates] == ["acknowledged"] * 3 + ["closed"]
    assert updates[-1].data["open_count"] == 0

    async with api.services.database.session() as session:
        customer = await session.get(Customer, cid)
        assert customer is not None
        tasks = (await session.scalars(select(FollowUpTask).where(FollowUpTask.customer_id == cid))).all()
    brian = api.users["brian"].id
    assert customer.assigned_agent_id == brian
    assert [(t.assignee_id, t.due_at, t.instructions) for t in tasks] == [(brian, due, "call about the plan")]
    history = (await api.client.get(f"/api/customers/{cid}/interactions", params={"type": "escalation"},
                                    headers=api.as_("sup"))).json()["items"]
    assert [(n["operator"], n["subject"]) for n in reversed(history)] == [
        (None, "Escalated: 2nd broken promise, KES 12,400 overdue, 61 days past due"),
        ("sup", "Escalation acknowledged: 2nd broken promise, KES 12,400 overdue, 61 days past due"),
        ("sup", "Escalation: account reassigned from amina to brian"),
        ("sup", "Escalation: follow-up by Brian on 7 Jan 2030, 09:00 EAT"),  # as the desk writes a time
        ("sup", "Escalation closed: 2nd broken promise, KES 12,400 overdue, 61 days past due")]
    assert history[0]["detail"] == "plan agreed"
    assert history[-1]["detail"] == "Rule: Broken promise."  # the rule's label, not its code (broken_promise)
    await promise_due(api, cid, "1000", 3)  # a new broken promise after the close raises again
    assert await gen.broken_promises() == 1
    await until(lambda: _count(api, 1))
    assert (await open_items(api))[0]["summary"].startswith("4th broken promise")


async def _count(api: ApiWorld, n: int) -> bool:
    return len(await open_items(api)) == n


async def test_dispositions_marked_escalate_and_failed_attempts(sup_world: ApiWorld) -> None:
    api = sup_world
    cid = await account(api, "Otieno Baraka", "0712000302", dpd=5, overdue="1500")
    note = {"disposition": {"status": "contacted", "reason": "dispute", "resolution": "escalated"},
            "comments": "Says the M-Pesa payment of 1,500 is missing."}
    plain = {"disposition": {"status": "contacted", "reason": "dispute", "resolution": "documents_requested"},
             "comments": "Will send the receipt."}
    assert (await api.client.post(f"/api/customers/{cid}/interactions", json=plain,
                                  headers=api.as_("amina"))).status_code == 201
    saved = await api.client.post(f"/api/customers/{cid}/interactions", json=note, headers=api.as_("amina"))
    assert saved.status_code == 201, saved.text
    await until(lambda: _count(api, 1))
    [item] = await open_items(api)
    assert item["rule"] == "disposition"
    assert item["summary"] == "disposition Contacted → Dispute → Escalated, KES 1,500 overdue, 5 days past due"
    assert item["figures"]["interaction_id"] == saved.json()["id"] and item["figures"]["operator"] == "amina"
    assert api.services.bus is not None
    await api.services.bus.publish(EscalationRequested(customer_id=cid, rule="failed_attempts", trigger="task:77",
                                                       why="6 failed attempts in a row"))
    await until(lambda: _count(api, 2))
    assert {i["rule"] for i in await open_items(api)} == {"disposition", "failed_attempts"}
    again = await api.client.post(f"/api/customers/{cid}/interactions", json=note, headers=api.as_("amina"))
    assert again.status_code == 201
    await asyncio.sleep(0.3)
    assert len(await open_items(api)) == 2  # the disposition rule is open for this account already


async def test_the_account_scan(sup_world: ApiWorld) -> None:
    api = sup_world
    late = await account(api, "Akinyi Late", "0712000311", dpd=70, overdue="3000")
    big = await account(api, "Kamau Big", "0712000312", dpd=10, overdue="60000")
    silent = await account(api, "Njeri Silent", "0712000313", dpd=20, overdue="1000")
    talked = await account(api, "Mwangi Talked", "0712000314", dpd=20, overdue="1000")
    fine = await account(api, "Chebet Fine", "0712000315", dpd=3, overdue="700")
    spoke = {"disposition": {"status": "contacted", "reason": "account_discussed", "resolution": "closed"}}
    assert (await api.client.post(f"/api/customers/{talked}/interactions", json=spoke,
                                  headers=api.as_("amina"))).status_code == 201
    scanned = await api.client.post("/api/escalations/scan", headers=api.as_("sup"))
    assert scanned.json() == {"raised": 4}
    found = {(i["customer_id"], i["rule"]): i["summary"] for i in await open_items(api)}
    assert found == {
        (late, "days_past_due"): "70 days past due, KES 3,000 overdue",
        (late, "no_contact"): "never contacted, KES 3,000 overdue, 70 days past due",
        (big, "overdue_amount"): "KES 60,000 overdue (limit KES 50,000), 10 days past due",
        (silent, "no_contact"): "never contacted, KES 1,000 overdue, 20 days past due",
    }
    assert fine not in {cid for cid, _ in found}
    assert (await api.client.post("/api/escalations/scan", headers=api.as_("sup"))).json() == {"raised": 0}
    late_item = next(i for i in await open_items(api) if i["rule"] == "days_past_due")
    closed = await api.client.post(f"/api/escalations/{late_item['id']}/actions", headers=api.as_("sup"),
                                   json={"action": "close", "note": "restructured"})
    assert closed.status_code == 200
    assert (await api.client.post("/api/escalations/scan", headers=api.as_("sup"))).json() == {"raised": 0}


async def test_report_by_rule_age_and_outcome(sup_world: ApiWorld) -> None:
    api = sup_world
    a = await account(api, "Report A", "0712000321", dpd=70, overdue="3000")
    b = await account(api, "Report B", "0712000322", dpd=80, overdue="3000")
    await account(api, "Report C", "0712000323", dpd=65, overdue="3000")
    spoke = {"disposition": {"status": "contacted", "reason": "account_discussed", "resolution": "closed"}}
    for cid in (a, b):
        await api.client.post(f"/api/customers/{cid}/interactions", json=spoke, headers=api.as_("amina"))
    await api.client.post(f"/api/customers/{a}/interactions", json=spoke, headers=api.as_("amina"))
    assert (await api.client.post("/api/escalations/scan", headers=api.as_("sup"))).json() == {"raised": 4}
    items = {i["customer_id"]: i for i in await open_items(api) if i["rule"] == "days_past_due"}
    await api.client.post(f"/api/escalations/{items[a]['id']}/actions", headers=api.as_("sup"),
                          json={"action": "reassign", "agent": "brian"})
    await api.client.post(f"/api/escalations/{items[a]['id']}/actions", headers=api.as_("sup"),
                          json={"action": "close", "note": "done"})
    await api.client.post(f"/api/escalations/{items[b]['id']}/actions", headers=api.as_("sup"),
                          json={"action": "acknowledge"})
    async with api.services.database.session() as session:  # C's escalations were raised 4 days ago
        await session.execute(update(Escalation).where(Escalation.id.not_in([items[a]["id"], items[b]["id"]]))
                              .values(raised_at=utcnow() - timedelta(days=4)))
    today = datetime.now(UTC).date()
    window = {"from": (today - timedelta(days=7)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    report = await get_json(api, "/api/reports/escalations", **window)
    assert report["total"] == 4
    assert {(i["rule"], i["age"], i["outcome"], i["count"]) for i in report["items"]} == {
        ("days_past_due", "under 1 day", "reassigned", 1), ("days_past_due", "under 1 day", "in hand", 1),
        ("days_past_due", "3-7 days", "open", 1), ("no_contact", "3-7 days", "open", 1)}
    assert report["by_rule"] == [{"rule": "days_past_due", "count": 3}, {"rule": "no_contact", "count": 1}]
    assert report["by_outcome"] == [{"outcome": "in hand", "count": 1}, {"outcome": "open", "count": 2},
                                    {"outcome": "reassigned", "count": 1}]
    exported = await api.client.get("/api/reports/escalations", params={**window, "format": "csv"},
                                    headers=api.as_("sup"))
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert sum(int(r["count"]) for r in rows) == 4 and rows[0].keys() == {"rule", "rule_label", "age", "outcome",
                                                                          "count"}
    old = await get_json(api, "/api/reports/escalations", **{"from": "2001-01-01", "to": "2001-01-31"})
    assert old["items"] == [] and old["total"] == 0


async def test_agents_cannot_see_or_act(sup_world: ApiWorld) -> None:
    api = sup_world
    assert_error_shape(await api.client.get("/api/escalations", headers=api.as_("amina")), 403)
    assert_error_shape(await api.client.post("/api/escalations/1/actions", json={"action": "acknowledge"},
                                             headers=api.as_("amina")), 403)
    assert_error_shape(await api.client.post("/api/escalations/999/actions", json={"action": "acknowledge"},
                                             headers=api.as_("sup")), 404)
    bad = await api.client.post("/api/escalations/1/actions", json={"action": "shout"}, headers=api.as_("sup"))
    assert "action" in assert_error_shape(bad, 422)["details"]


async def test_a_broken_promise_row_is_what_is_counted(sup_world: ApiWorld) -> None:
    """The count comes from the store: promises the dialer marked broken, whatever the events said."""
    api = sup_world
    cid = await account(api, "Count Me", "0712000331", dpd=30, overdue="2000")
    first = await promise_due(api, cid, "300", 9)
    async with api.services.database.session() as session:
        await session.execute(update(PromiseToPay).where(PromiseToPay.id == first).values(status=PromiseStatus.BROKEN))
    await promise_due(api, cid, "400", 8)
    assert await generator(api).broken_promises() == 1
    await until(lambda: _count(api, 1))
    assert (await open_items(api))[0]["summary"].startswith("2nd broken promise")


async def test_the_scan_walks_every_account_in_batches(sup_world: ApiWorld) -> None:
    api = sup_world
    for n in range(5):
        await account(api, f"Batch {n}", f"07120004{n:02d}", dpd=70, overdue="3000")
    small = EscalationService(api.services.database, api.services.outbox, api.services.lists_source.current,
                              currency="KES", timezone="Africa/Nairobi", batch=2)
    assert await small.scan() == 10  # days past due and no contact, for each of the five
    assert await small.scan() == 0
    assert len(await open_items(api)) == 10
