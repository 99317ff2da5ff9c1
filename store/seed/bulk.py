"""Bulk customers for benchmarks: millions of customers, phones and contacts, fast.

``build_bulk(database, n)`` appends ``n`` customers (ids after the current maximum), each with a
main phone (+25471...), a second phone for one in five (+25472...) and a guarantor for one in ten
(+25473...). Numbers are a permutation of the customer id, so they are unique and predictable:
:func:`main_phone` gives the number of a customer id. SQLite gets batched ``executemany`` inserts;
PostgreSQL gets ``COPY`` through asyncpg. Both are ANALYZEd at the end.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import Table, func, insert, select, text

from store.db import Database
from store.models import Contact, Customer, CustomerPhone, Relation
from store.seed.demo_data import FEMALE_NAMES, MALE_NAMES, REGIONS

Progress = Callable[[int, int], None]
_PERMUTE = 7_654_321  # coprime with 10**7: id -> number is one-to-one below 10 million ids
_SPACE = 10**7

CUSTOMER_COLS = ("id", "name", "name_lower", "government_id", "client_id", "region", "timezone", "status",
                 "risk_score", "do_not_call", "alt_contacts_consent", "created_at", "updated_at")
PHONE_COLS = ("id", "customer_id", "e164", "label", "position")
CONTACT_COLS = ("id", "customer_id", "relation", "name", "relationship_label", "phone_e164",
                "created_at", "updated_at")


def _number(prefix: str, customer_id: int) -> str:
    if customer_id >= _SPACE:
        raise ValueError("bulk numbers are unique for customer ids below 10,000,000")
    return f"+254{prefix}{(customer_id * _PERMUTE) % _SPACE:07d}"


def main_phone(customer_id: int) -> str:
    return _number("71", customer_id)


def second_phone(customer_id: int) -> str:
    return _number("72", customer_id)


def guarantor_phone(customer_id: int) -> str:
    return _number("73", customer_id)


class _Rows:
    def __init__(self) -> None:
        self.customers: list[tuple[Any, ...]] = []
        self.phones: list[tuple[Any, ...]] = []
        self.contacts: list[tuple[Any, ...]] = []


def _generate(rng: random.Random, first_id: int, count: int, ids: dict[str, int], now: datetime) -> _Rows:
    rows = _Rows()
    guarantor = Relation.GUARANTOR.name  # Enum columns store the member name
    for cid in range(first_id, first_id + count):
        region = REGIONS[cid % len(REGIONS)]
        first = rng.choice(FEMALE_NAMES if cid % 2 else MALE_NAMES)
        name = f"{first} {rng.choice(region.surnames)}"
        overdue = cid % 3 == 0
        rows.customers.append((cid, name, name.casefold(), str(20_000_000 + cid), f"BK-{cid:08d}",
                               region.name, "Africa/Nairobi", "overdue" if overdue else "current",
                               round(rng.random(), 3), False, False, now, now))
        ids["phone"] += 1
        rows.phones.append((ids["phone"], cid, main_phone(cid), None, 0))
        if cid % 5 == 0:
            ids["phone"] += 1
            rows.phones.append((ids["phone"], cid, second_phone(cid), None, 1))
        if cid % 10 == 0:
            ids["contact"] += 1
            contact_name = f"{rng.choice(MALE_NAMES)} {region.surnames[0]}"
            rows.contacts.append((ids["contact"], cid, guarantor, contact_name, "brother",
                                  guarantor_phone(cid), now, now))
    return rows


async def _max_ids(database: Database) -> dict[str, int]:
    async with database.session() as s:
        return {
            "customer": await s.scalar(select(func.coalesce(func.max(Customer.id), 0))) or 0,
            "phone": await s.scalar(select(func.coalesce(func.max(CustomerPhone.id), 0))) or 0,
            "contact": await s.scalar(select(func.coalesce(func.max(Contact.id), 0))) or 0,
        }


async def build_bulk(database: Database, n: int = 1_000_000, *, batch: int = 20_000, seed: int = 1,
                     progress: Progress | None = None) -> int:
    """Append ``n`` customers (with phones and some guarantors); returns the first new customer id."""
    ids = await _max_ids(database)
    first = ids["customer"] + 1
    rng = random.Random(seed)
    now = datetime.now(UTC)
    url = database.engine.url
    pg = url.get_backend_name() == "postgresql"
    conn: Any = None
    if pg:
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = await asyncpg.connect(dsn)
    try:
        for start in range(0, n, batch):
            count = min(batch, n - start)
            rows = _generate(rng, first + start, count, ids, now)
            if conn is not None:
                async with conn.transaction():
                    await conn.copy_records_to_table("customers", records=rows.customers,
                                                     columns=CUSTOMER_COLS)
                    await conn.copy_records_to_table("customer_phones", records=rows.phones,
                                                     columns=PHONE_COLS)
                    if rows.contacts:
                        await conn.copy_records_to_table("contacts", records=rows.contacts,
                                                         columns=CONTACT_COLS)
            else:
                await _sqlite_batch(database, rows)
            if progress is not None:
                progress(start + count, n)
        if conn is not None:
            for table in ("customers", "customer_phones", "contacts"):
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
            await conn.execute("ANALYZE customers; ANALYZE customer_phones; ANALYZE contacts")
    finally:
        if conn is not None:
            await conn.close()
    if not pg:
        async with database.engine.begin() as sconn:
            await sconn.execute(text("ANALYZE"))
    return first


def _dicts(cols: Sequence[str], rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [dict(zip(cols, row, strict=True)) for row in rows]


async def _sqlite_batch(database: Database, rows: _Rows) -> None:
    customers: Table = Customer.__table__  # type: ignore[assignment]
    phones: Table = CustomerPhone.__table__  # type: ignore[assignment]
    contacts: Table = Contact.__table__  # type: ignore[assignment]
    contact_rows = [dict(zip(CONTACT_COLS, r, strict=True)) | {"relation": Relation.GUARANTOR}
                    for r in rows.contacts]
    async with database.engine.begin() as conn:
        await conn.execute(insert(customers), _dicts(CUSTOMER_COLS, rows.customers))
        await conn.execute(insert(phones), _dicts(PHONE_COLS, rows.phones))
        if contact_rows:
            await conn.execute(insert(contacts), contact_rows)

