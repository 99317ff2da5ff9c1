"""CustomerRepository on SQLite and PostgreSQL: create, search in every phone format, screen-pop."""

from __future__ import annotations

import pytest

from domain.errors import Conflict, InvalidInput
from store.db import Database
from store.models import Relation
from store.repositories.caller_lookup import find_matches
from store.repositories.customers import ContactInput, CustomerRepository
from store.repositories.users import UserRepository

KE = ("KE", "Africa/Nairobi")


async def test_create_normalises_phones_and_children(database: Database) -> None:
    async with database.session() as s:
        users = UserRepository(s)
        await users.create("amina", "pw-amina-1", role="agent", extension="PJSIP/1001")
        repo = CustomerRepository(s, *KE)
        c = await repo.create(
            "Wanjiku Kamau", "0712-345-678", phones=["254 733 000 111", "+254712345678"],
            government_id="12345678", client_id="BX-1", serial_numbers=["SN-9", "SN-9", "SN-10"],
            campaign_code="collections", assigned_agent="amina",
            contacts=[{"name": "Otieno", "phone": "0722000111", "relation": "guarantor",
                       "relationship": "brother"}],
        )
        cid = c.id
    async with database.session() as s:
        record = await CustomerRepository(s, *KE).get_record(cid)
    assert [p.e164 for p in record.customer.phones] == ["+254712345678", "+254733000111"]
    assert sorted(x.serial for x in record.customer.serials) == ["SN-10", "SN-9"]
    assert record.customer.timezone == "Africa/Nairobi"
    assert record.customer.contacts[0].relation == Relation.GUARANTOR
    assert record.customer.contacts[0].phone_e164 == "+254722000111"
    assert record.customer.assigned_agent_id is not None


async def test_bad_inputs_name_the_field(database: Database) -> None:
    async with database.session() as s:
        repo = CustomerRepository(s, *KE)
        with pytest.raises(InvalidInput) as bad_phone:
            await repo.create("X", "12345")
        assert "phone" in bad_phone.value.details
        with pytest.raises(InvalidInput) as bad_other:
            await repo.create("X", "0712345678", phones=["0712345678", "nope"])
        assert "phones.1" in bad_other.value.details
        with pytest.raises(InvalidInput) as bad_tz:
            await repo.create("X", "0712345678", timezone="Mars/Olympus")
        assert "timezone" in bad_tz.value.details
        with pytest.raises(InvalidInput) as bad_contact:
            await repo.create("X", "0712345678", contacts=[ContactInput(name="Y", phone="1")])
        assert "contacts.0.phone" in bad_contact.value.details
        await repo.create("A", "0712345678", client_id="C-1")
        with pytest.raises(Conflict):
            await repo.create("B", "0712345679", client_id="C-1")


@pytest.mark.parametrize("query", ["0712345678", "+254712345678", "254 712 345 678", "0712-345-678"])
async def test_search_finds_one_number_in_every_format(database: Database, query: str) -> None:
    async with database.session() as s:
        repo = CustomerRepository(s, *KE)
        await repo.create("Achieng Odhiambo", "+254 712 345 678")
        await repo.create("Other Person", "0799000111")
    async with database.session() as s:
        found = await CustomerRepository(s, *KE).search(query, limit=10, agent_id_filter=None)
    assert [c.name for c in found] == ["Achieng Odhiambo"]


async def test_search_by_name_ids_serial_and_agent_filter(database: Database) -> None:
    async with database.session() as s:
        users = UserRepository(s)
        amina = await users.create("amina", "pw-amina-1", role="agent")
        repo = CustomerRepository(s, *KE)
        await repo.create("Grace Wambui", "0712000001", government_id="2233", assigned_agent="amina")
        await repo.create("GRACE Njeri", "0712000002", client_id="BX-77")
        await repo.create("Peter 100%_x", "0712000003", serial_numbers=["SOL-555"])
        amina_id = amina.id
    async with database.session() as s:
        repo = CustomerRepository(s, *KE)
        assert [c.name for c in await repo.search("grace", 10, None)] == ["GRACE Njeri", "Grace Wambui"]
        assert [c.name for c in await repo.search("RACE W", 10, None)] == ["Grace Wambui"]
        assert [c.name for c in await repo.search("2233", 10, None)] == ["Grace Wambui"]
        assert [c.name for c in await repo.search("BX-77", 10, None)] == ["GRACE Njeri"]
        assert [c.name for c in await repo.search("SOL-555", 10, None)] == ["Peter 100%_x"]
        assert [c.name for c in await repo.search("0%_", 10, None)] == ["Peter 100%_x"]
        assert await repo.search("zz%", 10, None) == []
        assert [c.name for c in await repo.search("grace", 10, amina_id)] == ["Grace Wambui"]
        browse = await repo.search(None, 2, None, offset=1)
        assert [c.name for c in browse] == ["Grace Wambui", "Peter 100%_x"]


async def test_the_pop_lookup_covers_customers_and_guarantors(database: Database) -> None:
    async with database.session() as s:
        repo = CustomerRepository(s, *KE)
        borrower = await repo.create("Borrower One", "0712111222", contacts=[
            ContactInput(name="Guarantor G", phone="0733444555", relation=Relation.GUARANTOR)])
        other = await repo.create("Borrower Two", "0712999888", contacts=[
            ContactInput(name="Guarantor G", phone="+254733444555", relation=Relation.GUARANTOR)])
        guarantor_self = await repo.create("Guarantor G", "0733444555")
        ids = (borrower.id, other.id, guarantor_self.id)
    async with database.hot() as connection:  # the pop's own statement (store.repositories.caller_lookup)
        matches = await find_matches(connection, "+254733444555")
        assert await find_matches(connection, "+254700000000") == []
    found = [(m.customer_id, m.relation) for m in matches]  # owners first
    assert found == [(ids[2], "customer"), *sorted([(ids[0], "guarantor"), (ids[1], "guarantor")])]
