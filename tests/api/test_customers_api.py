"""Customers over HTTP: create, E.164, search in every phone format, edits, assignment, durability."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bus.outbox import MemoryOutbox
from store.db import Database, make_engine
from store.models import AuditEntry, Customer
from tests.api.conftest import ApiWorld, assert_error_shape


async def test_create_returns_201_with_id_and_e164(api: ApiWorld) -> None:
    created = await api.customer("Mwangi", "0712 345 678", agent=None)
    assert isinstance(created["id"], int) and created["phone"] == "+254712345678"
    assert created["assigned_agent"] is None and created["timezone"] == "Africa/Nairobi"
    zoned = await api.customer("Kampala", "+256 772 123456", agent=None, timezone="Africa/Kampala")
    assert zoned["phone"] == "+256772123456" and zoned["timezone"] == "Africa/Kampala"


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "X", "phone": "12345"}, "phone"),
    ({"name": "X", "phone": "0712345678", "phones": ["0712345679", "abc"]}, "phones.1"),
    ({"name": "X"}, "phone"),
    ({"name": "", "phone": "0712345678"}, "name"),
    ({"name": "X", "phone": "0712345678", "timezone": "Mars/Base"}, "timezone"),
    ({"name": "X", "phone": "0712345678", "status": "vip"}, "status"),
    ({"name": "X", "phone": "0712345678", "campaign": "nope"}, "campaign"),
    ({"name": "X", "phone": "0712345678", "assigned_agent": "ghost"}, "assigned_agent"),
    ({"name": "X", "phone": "0712345678", "risk_score": 7}, "risk_score"),
    ({"name": "X", "phone": "0712345678", "contacts": [{"name": "G", "phone": "1"}]}, "contacts.0.phone"),
    ({"name": "X", "phone": "0712345678", "contacts": [{"name": "G", "phone": "0712000000",
                                                          "relation": "cousin"}]}, "contacts.0.relation"),
])
async def test_bad_customer_is_422_naming_the_field(api: ApiWorld, body: dict[str, object], field: str) -> None:
    response = await api.client.post("/api/customers", json=body, headers=api.as_("sup"))
    assert field in assert_error_shape(response, 422, "validation-failed")["details"]


@pytest.mark.parametrize("query", ["0712345678", "+254712345678", "254 712 345 678", "0712-345-678"])
async def test_phone_search_finds_one_number_in_any_format(api: ApiWorld, query: str) -> None:
    wanted = await api.customer("Achieng", "254712345678")
    await api.customer("Someone Else", "0712345679")
    response = await api.client.get("/api/customers", params={"q": query}, headers=api.as_("amina"))
    assert [c["id"] for c in response.json()["items"]] == [wanted["id"]]


async def test_search_by_name_ids_serial_and_browse(api: ApiWorld) -> None:
    a = await api.customer("Grace Wanjiru", "0712000001", government_id="11112222")
    b = await api.customer("grace Akinyi", "0712000002", client_id="BX-9", serial_numbers=["SN-55"])
    c = await api.customer("Peter", "0712000003")

    async def ids(q: str | None = None, **params: int) -> list[int]:
        query: dict[str, str | int] = {"q": q, **params} if q is not None else {**params}
        response = await api.client.get("/api/customers", params=query, headers=api.as_("amina"))
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert await ids("GRACE") == [b["id"], a["id"]]
    assert await ids("11112222") == [a["id"]]
    assert await ids("BX-9") == [b["id"]]
    assert await ids("SN-55") == [b["id"]]
    assert await ids() == [b["id"], a["id"], c["id"]]
    assert await ids(limit=1, offset=1) == [a["id"]]


async def test_patch_changes_fields_and_compliance_flags_at_once(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    path = f"/api/customers/{cid}"
    response = await api.client.patch(path, headers=api.as_("amina"), json={
        "do_not_call": True, "alt_contacts_consent": True, "email": "w@example.com",
        "phones": ["0799000111"], "serial_numbers": ["A1", "B2"], "status": "in_dispute"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["do_not_call"] is True and body["alt_contacts_consent"] is True
    assert body["phones"] == ["+254712345678", "+254799000111"] and body["serial_numbers"] == ["A1", "B2"]
    async with api.services.database.session() as session:
        row = await session.get(Customer, cid)
        assert row is not None and row.do_not_call and row.do_not_call_at is not None
        audit = (await session.scalars(select(AuditEntry).where(AuditEntry.customer_id == cid,
                                                                AuditEntry.action == "update"))).one()
    assert audit.details["changes"]["do_not_call"] is True
    found = await api.client.get("/api/customers", params={"q": "0799000111"}, headers=api.as_("amina"))
    assert [c["id"] for c in found.json()["items"]] == [cid]
    for bad, field in [({"name": None}, "name"), ({"phone": "nope"}, "phone"), ({"timezone": "X/Y"}, "timezone")]:
        assert field in assert_error_shape(await api.client.patch(path, json=bad, headers=api.as_("amina")),
                                           422)["details"]
    assert_error_shape(await api.client.patch(path, json={"assigned_agent": "brian"}, headers=api.as_("amina")),
                       403)


async def test_assignment_single_bulk_and_campaign(api: ApiWorld) -> None:
    one = (await api.customer("One", "0712000011", agent=None))["id"]
    two = (await api.customer("Two", "0712000012", agent=None))["id"]
    assert (await api.client.get(f"/api/customers/{one}", headers=api.as_("brian"))).status_code == 404
    put = await api.client.put(f"/api/customers/{one}/assignee", json={"agent": "brian"}, headers=api.as_("sup"))
    assert put.status_code == 200, put.text
    assert (await api.client.get(f"/api/customers/{one}", headers=api.as_("brian"))).status_code == 200
    unassign = await api.client.put(f"/api/customers/{one}/assignee", json={"agent": None}, headers=api.as_("sup"))
    assert unassign.status_code == 200
    assert (await api.client.get(f"/api/customers/{one}", headers=api.as_("brian"))).status_code == 404
    assert_error_shape(await api.client.put("/api/customers/999999/assignee", json={"agent": "brian"},
                                            headers=api.as_("sup")), 404)
    bulk = await api.client.post("/api/assignments", json={"customer_ids": [one, two, 999999], "agent": "amina"},
                                 headers=api.as_("admin"))
    assert bulk.json() == {"assigned": sorted([one, two]), "not_found": [999999], "agent": "amina"}
    listed = await api.client.get("/api/customers", headers=api.as_("amina"))
    assert {c["id"] for c in listed.json()["items"]} == {one, two}
    campaign = await api.client.put("/api/campaigns/collections/agents", json={"agents": ["amina", "brian"]},
                                    headers=api.as_("sup"))
    assert campaign.status_code == 200, campaign.text
    assert campaign.json()["agents"] == ["amina", "brian"]
    campaigns = (await api.client.get("/api/campaigns", headers=api.as_("sup"))).json()["items"]
    assert [(c["code"], c["agents"]) for c in campaigns] == [("collections", ["amina", "brian"])]
    assert "agents.0" in assert_error_shape(await api.client.put(
        "/api/campaigns/collections/agents", json={"agents": ["ghost"]}, headers=api.as_("sup")), 422)["details"]


async def test_a_created_customer_is_durable_for_a_new_engine(api: ApiWorld, database_url: str) -> None:
    created = await api.customer("Durable Dan", "0712999000")
    note = await api.client.post(f"/api/customers/{created['id']}/interactions", headers=api.as_("amina"),
                                 json={"channel": "note", "subject": "durable"})
    assert note.status_code == 201
    fresh = Database(make_engine(database_url))
    try:
        async with fresh.session() as session:
            row = await session.get(Customer, created["id"])
            assert row is not None and row.name == "Durable Dan"
            from store.models import Interaction
            saved = await session.get(Interaction, note.json()["id"])
            assert saved is not None and saved.subject == "durable"
    finally:
        await fresh.dispose()


async def test_assigning_accounts_tells_both_agents_at_once(api: ApiWorld) -> None:
    """Push, not poll: the agent who gains accounts and the one who loses them each get a
    ``work.assigned`` frame (their work lists reload), only after the change is committed."""
    one = (await api.customer("Amina One", "0712000001", agent="amina"))["id"]
    two = (await api.customer("Amina Two", "0712000002", agent="amina"))["id"]
    free = (await api.customer("Nobody's", "0712000003", agent=None))["id"]
    outbox = api.services.outbox
    assert isinstance(outbox, MemoryOutbox)
    bulk = await api.client.post("/api/assignments", json={"customer_ids": [one, two, free], "agent": "brian"},
                                 headers=api.as_("sup"))
    assert bulk.status_code == 200, bulk.text
    brian = [f.data for f in await outbox.read("agent:brian", 0, timeout=0.1) if f.type == "work.assigned"]
    amina = [f.data for f in await outbox.read("agent:amina", 0, timeout=0.1) if f.type == "work.assigned"]
    assert brian == [{"added": sorted([one, two, free]), "by": "sup"}]
    assert amina == [{"removed": sorted([one, two]), "by": "sup"}]
    back = await api.client.put(f"/api/customers/{one}/assignee", json={"agent": "amina"}, headers=api.as_("sup"))
    assert back.status_code == 200, back.text
    brian = [f.data for f in await outbox.read("agent:brian", 0, timeout=0.1) if f.type == "work.assigned"]
    amina = [f.data for f in await outbox.read("agent:amina", 0, timeout=0.1) if f.type == "work.assigned"]
    assert brian[-1] == {"removed": [one], "by": "sup"} and amina[-1] == {"added": [one], "by": "sup"}
