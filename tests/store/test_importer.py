"""CSV import: exact line numbers for bad rows, good rows imported, clear errors for non-CSV files."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from domain.errors import InvalidInput
from store.db import Database
from store.importer import check_phone, import_customers_csv
from store.models import Campaign, Customer
from store.repositories.customers import CustomerRepository
from store.repositories.users import UserRepository

HEADER = "Name,Phone,Alt Phones,National ID,client_id,serial_numbers,email,region,timezone,assigned_agent,campaign,notes"
ROWS = [
    # line 2: good, every column
    "Amina Wanjiru,0712345678,0722000111;+254733123456,12345678,C-1,SHS1;SHS2,amina@example.com,Nairobi,"
    "Africa/Nairobi,agent1,collections,first",
    "Brian Otieno,0712-345-999,,,C-2,,,Kisumu,,,,",  # 3: good, dashed local number
    "Bad Phone,12345,,,C-3,,,,,,,",  # 4: bad phone
    ",0711000001,,,C-4,,,,,,,",  # 5: missing name
    "Dup Client,0711000002,,,C-1,,,,,,,",  # 6: client id already used on line 2
    "Bad Zone,0711000003,,,C-6,,,,Mars/Olympus,,,",  # 7: bad time zone
    "Nine Digits,712345678,,,C-7,,,,,,,",  # 8: a 9-digit number
    '"Otieno, Grace",254 712 000 004,,,C-8,,,,,,,"two\nline note"',  # 9-10: good, quoted comma + newline
    "",  # 11: an empty line
    "Existing Client,0711000005,,,EXIST-1,,,,,,,",  # 12: client id already in the database
    "Unknown Agent,0711000006,,,C-10,,,,,nobody,,",  # 13: unknown agent
    ",,,,,,,,,,,",  # 14: blank row
    "Short Row,0711000009",  # 15: wrong number of cells
    "Bad Alt,0711000010,0711,,C-13,,,,,,,",  # 16: bad alternative phone
    "Bad Email,+254711000008,,,C-12,,bad-email,,,,,",  # 17: bad email
    "Really Last,+254711000011,,,,,,,Africa/Kampala,,sales,",  # 18: good, other zone, campaign
]


async def _seed(database: Database) -> None:
    async with database.session() as s:
        await UserRepository(s).create("agent1", "agent1-pass", "agent")
        s.add_all([Campaign(code="collections", name="Collections"), Campaign(code="sales", name="Sales")])
        await CustomerRepository(s, "KE", "Africa/Nairobi").create(
            name="Already Here", phone="0700000001", client_id="EXIST-1")


def _write(tmp_path: Path, text: str, name: str = "customers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def test_bad_rows_are_reported_by_line_and_good_rows_imported(database: Database, tmp_path: Path) -> None:
    await _seed(database)
    path = _write(tmp_path, "\n".join([HEADER, *ROWS]) + "\n")
    seen: list[tuple[int, int]] = []
    report = await import_customers_csv(database, path, "KE", "Africa/Nairobi",
                                        progress=lambda d, n: seen.append((d, n)), batch_size=2)
    bad = {b.line: set(b.errors) for b in report.bad_rows}
    assert bad == {4: {"phone"}, 5: {"name"}, 6: {"client_id"}, 7: {"timezone"}, 8: {"phone"},
                   12: {"client_id"}, 13: {"assigned_agent"}, 15: {"row"}, 16: {"alt_phones"}, 17: {"email"}}
    assert "line 2" in next(b for b in report.bad_rows if b.line == 6).errors["client_id"]
    assert report.imported == 4 and report.blank == 1 and report.rows == 15
    assert report.imported + len(report.bad_rows) + report.blank == report.rows  # nothing lost
    assert report.ignored_columns == ["notes"]
    assert seen[-1] == (15, 15)
    async with database.session() as s:
        rows = (await s.scalars(select(Customer).where(Customer.id.in_(report.customer_ids))
                                .options(selectinload(Customer.phones), selectinload(Customer.serials))
                                .order_by(Customer.id))).all()
        assert [c.name for c in rows] == ["Amina Wanjiru", "Brian Otieno", "Otieno, Grace", "Really Last"]
        amina = rows[0]
        assert [p.e164 for p in amina.phones] == ["+254712345678", "+254722000111", "+254733123456"]
        assert sorted(x.serial for x in amina.serials) == ["SHS1", "SHS2"]
        assert (amina.government_id, amina.client_id, amina.email, amina.region, amina.timezone) == (
            "12345678", "C-1", "amina@example.com", "Nairobi", "Africa/Nairobi")
        assert amina.assigned_agent_id is not None and amina.campaign_id is not None
        assert rows[1].phones[0].e164 == "+254712345999"
        assert rows[2].phones[0].e164 == "+254712000004"
        assert (rows[3].timezone, rows[3].client_id) == ("Africa/Kampala", None)
        assert await s.scalar(select(func.count()).select_from(Customer)) == 5  # 4 + the existing one


async def test_an_all_good_file_imports_every_row(database: Database, tmp_path: Path) -> None:
    lines = ["name,phone"] + [f"Customer {i},07110{i:05d}" for i in range(1, 26)]
    path = tmp_path / "bom.csv"
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8-sig"))  # Excel: BOM and CRLF
    report = await import_customers_csv(database, path, batch_size=10)
    assert report.ok and report.imported == 25 and report.rows == 25
    async with database.session() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == 25


@pytest.mark.parametrize(("content", "message"), [
    (b"name,phone\nZo\xeb Achieng,0712345678\n", "not UTF-8 text (line 2"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    (b"", "empty file"),
    (b"customer;mobile\nAmina;0712345678\n", "needs 'name' and 'phone'"),
    (b'name,phone\n"Amina,0712345678\n', "not valid CSV"),
])
async def test_files_that_are_not_customer_csv_give_a_clear_error(
        database: Database, tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "input.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(")):
        await import_customers_csv(database, path)
    async with database.session() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == 0


async def test_a_missing_file_is_a_clear_error(database: Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="cannot read"):
        await import_customers_csv(database, tmp_path / "nope.csv")


@pytest.mark.parametrize(("raw", "e164"), [
    ("0712345678", "+254712345678"), ("0712-345-678", "+254712345678"), ("+254712345678", "+254712345678"),
    ("254 712 345 678", "+254712345678"), ("00254712345678", "+254712345678"), ("0110123456", "+254110123456"),
])
def test_check_phone_accepts_local_and_international_forms(raw: str, e164: str) -> None:
    assert check_phone(raw, "KE") == e164


@pytest.mark.parametrize("raw", ["712345678", "07123456789", "071234567", "0012", "hello", "+254 12"])
def test_check_phone_rejects_other_lengths_and_junk(raw: str) -> None:
    with pytest.raises(InvalidInput):
        check_phone(raw, "KE")
