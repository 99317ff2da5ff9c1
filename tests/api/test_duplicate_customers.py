"""Issue 15, item 3: a new customer with an existing customer's phone or government ID is refused
with who has it ("This number belongs to Amina Wanjiru (client C-000001).") and created only with a
reason, which is stored (a note on the new record and the audit log)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import AuditEntry, Customer
from tests.api.conftest import ApiWorld, assert_error_shape


async def _create(api: ApiWorld, body: dict[str, Any], user: str = "amina") -> Any:
    return await api.client.post("/api/customers", json=body, headers=api.as_(user))


async def _count(api: ApiWorld) -> int:
    async with api.services.database.session() as session:
        return len((await session.scalars(select(Customer.id))).all())


async def test_an_existing_phone_is_refused_naming_its_owner(api: ApiWorld) -> None:
    first = await api.customer("Amina Wanjiru", "0712345678", agent="brian", client_id="C-000001")
    before = await _count(api)
    for phone in ("0712345678", "+254 712 345 678", "254712345678"):
        refused = assert_error_shape(await _create(api, {"name": "A. Wanjiru", "phone": phone}), 409,
                                     "duplicate-customer")
        assert refused["message"].startswith("This number belongs to Amina Wanjiru (client C-000001).")
        assert refused["details"]["phone"] == "belongs to Amina Wanjiru (client C-000001)"
        assert refused["details"]["duplicates"] == [
            {"customer_id": first["id"], "name": "Amina Wanjiru", "client_id": "C-000001", "matched": "phone"}]
    # an extra number counts too
    extra = await _create(api, {"name": "A. Wanjiru", "phone": "0799000111", "phones": ["0712345678"]})
    assert_error_shape(extra, 409, "duplicate-customer")
    assert await _count(api) == before
    async with api.services.database.session() as session:
        refusals = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "duplicate_refused"))).all()
    assert len(refusals) == 4 and refusals[0].actor_id == api.users["amina"].id


async def test_an_existing_government_id_is_refused(api: ApiWorld) -> None:
    await api.customer("Otieno Odhiambo", "0722000111", government_id="23456789")
    refused = assert_error_shape(await _create(api, {"name": "Otieno O.", "phone": "0733000222",
                                                     "government_id": "23456789"}), 409, "duplicate-customer")
    assert refused["message"].startswith("This government ID belongs to Otieno Odhiambo (customer ")
    assert refused["details"]["duplicates"][0]["matched"] == "government_id"


async def test_created_anyway_with_a_reason_which_is_stored(api: ApiWorld) -> None:
    first = await api.customer("Amina Wanjiru", "0712345678", client_id="C-000001")
    short = await _create(api, {"name": "Baraka Wanjiru", "phone": "0712345678", "duplicate_reason": "x"})
    assert_error_shape(short, 422, "validation-failed")
    made = await _create(api, {"name": "Baraka Wanjiru", "phone": "0712345678",
                               "duplicate_reason": "Her son, shares her phone"})
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    notes = (await api.client.get(f"/api/customers/{cid}/interactions", headers=api.as_("amina"))).json()["items"]
    [note] = notes
    assert note["channel"] == "note" and note["operator"] == "amina"
    assert note["comments"] == "Her son, shares her phone (same number as Amina Wanjiru (client C-000001))"
    async with api.services.database.session() as session:
        entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "create",
                                                              AuditEntry.customer_id == cid))
    assert entry is not None and entry.details["duplicate_reason"] == "Her son, shares her phone"
    assert entry.details["duplicate_of"][0]["customer_id"] == first["id"]
    # both are found by the number now (the pop offers both)
    found = await api.client.get("/api/customers", params={"q": "0712345678"}, headers=api.as_("sup"))
    assert sorted(c["id"] for c in found.json()["items"]) == sorted([first["id"], cid])


async def test_a_new_phone_and_id_need_no_reason(api: ApiWorld) -> None:
    await api.customer("Amina Wanjiru", "0712345678", government_id="11111111")
    made = await _create(api, {"name": "Njeri Mwangi", "phone": "0700111222", "government_id": "22222222"})
    assert made.status_code == 201, made.text
    assert (await api.client.get(f"/api/customers/{made.json()['id']}/interactions",
                                 headers=api.as_("amina"))).json()["items"] == []
