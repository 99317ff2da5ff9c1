"""Bulk builder for the benchmark: rows land on both backends and the screen-pop finds them."""

from __future__ import annotations

from sqlalchemy import func, select

from domain.phone import to_e164
from store.db import Database
from store.models import Contact, Customer, CustomerPhone, Relation
from store.repositories.caller_lookup import find_matches
from store.repositories.customers import CustomerRepository
from store.seed.bulk import build_bulk, guarantor_phone, main_phone, second_phone


async def test_bulk_rows_are_valid_and_found_by_phone(database: Database) -> None:
    seen: list[int] = []
    first = await build_bulk(database, 250, batch=100, progress=lambda done, _n: seen.append(done))
    assert first == 1 and seen == [100, 200, 250]
    async with database.session() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == 250
        assert await s.scalar(select(func.count()).select_from(CustomerPhone)) == 250 + 50
        assert await s.scalar(select(func.count()).select_from(Contact)) == 25
        numbers = (await s.scalars(select(CustomerPhone.e164))).all()
        assert len(set(numbers)) == len(numbers)
        assert all(to_e164(n, "KE") == n for n in numbers)
    async with database.hot() as connection:  # the pop's own statement finds them
        for cid in (1, 77, 250):
            [hit] = await find_matches(connection, main_phone(cid))
            assert hit.customer_id == cid and hit.relation == Relation.CUSTOMER.value
        [second] = await find_matches(connection, second_phone(100))
        assert second.customer_id == 100
        [guarantor] = await find_matches(connection, guarantor_phone(40))
        assert guarantor.customer_id == 40 and guarantor.relation == Relation.GUARANTOR.value
    # A second build appends after the existing ids (and the sequences still work afterwards).
    assert await build_bulk(database, 10) == 251
    async with database.session() as s:
        repo = CustomerRepository(s, "KE", "Africa/Nairobi")
        created = await repo.create(name="After Bulk", phone="0799000001")
        assert created.id == 261
