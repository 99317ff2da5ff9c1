"""Alternative contacts edited and removed (issue 15 item 11): kept in history, audited, no longer offered."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import AuditEntry, Contact
from store.repositories.caller_lookup import find_matches
from store.repositories.dialer import DialerRepository
from tests.api.conftest import ApiWorld, assert_error_shape


async def _with_contact(api: ApiWorld) -> tuple[int, dict[str, Any]]:
    cid = (await api.customer())["id"]
    made = await api.client.post(f"/api/customers/{cid}/contacts", headers=api.as_("amina"),
                                 json={"name": "Otieno Kamau", "phone": "0722111222", "relationship": "brother"})
    assert made.status_code == 201, made.text
    return cid, made.json()


async def _audit(api: ApiWorld, action: str, contact_id: int) -> list[AuditEntry]:
    async with api.services.database.session() as s:
        return list(await s.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.entity == "contact", AuditEntry.entity_id == str(contact_id))))


async def test_edit_changes_the_contact_and_keeps_the_old_values_in_the_audit_log(api: ApiWorld) -> None:
    cid, contact = await _with_contact(api)
    url = f"/api/customers/{cid}/contacts/{contact['id']}"
    edited = await api.client.patch(url, headers=api.as_("amina"),
                                    json={"phone": "0733 444 555", "relationship": None, "name": "Otieno K."})
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert (body["name"], body["phone"], body["relationship"], body["removed_at"]) == (
        "Otieno K.", "+254733444555", None, None)
    [entry] = await _audit(api, "update", contact["id"])
    assert entry.actor_id == api.users["amina"].id
    assert entry.details["before"] == {"name": "Otieno Kamau", "phone": "+254722111222", "relationship": "brother"}
    assert entry.details["after"] == {"name": "Otieno K.", "phone": "+254733444555", "relationship": None}
    record = (await api.client.get(f"/api/customers/{cid}", headers=api.as_("amina"))).json()
    assert [(c["name"], c["phone"]) for c in record["contacts"]] == [("Otieno K.", "+254733444555")]


async def test_remove_keeps_the_contact_marked_removed_and_stops_offering_it(api: ApiWorld) -> None:
    cid, contact = await _with_contact(api)
    url = f"/api/customers/{cid}/contacts/{contact['id']}"
    removed = await api.client.delete(url, headers=api.as_("amina"))
    assert removed.status_code == 200, removed.text
    assert removed.json()["removed_at"] is not None and removed.json()["name"] == "Otieno Kamau"
    async with api.services.database.session() as s:  # kept, marked removed, by whom
        row = await s.get(Contact, contact["id"])
        assert row is not None and row.removed_at is not None and row.removed_by_id == api.users["amina"].id
        customer = await DialerRepository(s).customer(cid)
        assert customer is not None
        assert [o.number for o in DialerRepository.numbers(customer)] == ["+254712345678"]
    async with api.services.database.hot() as connection:  # a ring from the removed contact pops nobody
        assert await find_matches(connection, "+254722111222") == []
    [entry] = await _audit(api, "remove", contact["id"])
    assert entry.details["contact"]["phone"] == "+254722111222"
    record = (await api.client.get(f"/api/customers/{cid}", headers=api.as_("amina"))).json()
    assert record["contacts"] == [] and [c["id"] for c in record["removed_contacts"]] == [contact["id"]]
    listed = await api.client.get(f"/api/customers/{cid}/contacts", headers=api.as_("amina"))
    assert listed.json()["items"] == []
    everyone = await api.client.get(f"/api/customers/{cid}/contacts", params={"include_removed": "true"},
                                    headers=api.as_("amina"))
    assert [c["removed_at"] is not None for c in everyone.json()["items"]] == [True]
    note = await api.client.post(f"/api/customers/{cid}/interactions", headers=api.as_("amina"),
                                 json={"contact_id": contact["id"], "comments": "rang the brother"})
    assert "contact_id" in assert_error_shape(note, 422, "validation-failed")["details"]
    again = await api.client.delete(url, headers=api.as_("amina"))
    assert assert_error_shape(again, 409, "conflict")["details"] == {"contact_id": "removed"}
    edit = await api.client.patch(url, headers=api.as_("amina"), json={"name": "Back"})
    assert_error_shape(edit, 409, "conflict")


async def test_bad_edits_and_other_customers_contacts_are_refused(api: ApiWorld) -> None:
    cid, contact = await _with_contact(api)
    other = (await api.customer("Other Person", "0712000009"))["id"]
    url = f"/api/customers/{cid}/contacts/{contact['id']}"
    for body, field in (({"phone": "123"}, "phone"), ({"name": None}, "name"), ({"relation": "cousin"}, "relation"),
                        ({"colour": "red"}, "colour")):
        response = await api.client.patch(url, headers=api.as_("amina"), json=body)
        assert field in assert_error_shape(response, 422, "validation-failed")["details"], (body, response.text)
    wrong = await api.client.delete(f"/api/customers/{other}/contacts/{contact['id']}", headers=api.as_("amina"))
    assert_error_shape(wrong, 404, "not-found")
    hidden = await api.client.patch(url, headers=api.as_("brian"), json={"name": "Nope"})
    assert_error_shape(hidden, 404, "not-found")
    assert await _audit(api, "update", contact["id"]) == []
    async with api.services.database.session() as s:
        row = await s.get(Contact, contact["id"])
        assert row is not None and (row.name, row.phone_e164, row.removed_at) == ("Otieno Kamau", "+254722111222", None)
