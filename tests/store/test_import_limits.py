"""CSV import on both databases (issue 13, items 7 and 8): a cell too long for its column, or that the
API's rules refuse, is a bad row reported by its line, and the good rows around it are imported, on
SQLite and on PostgreSQL alike (PostgreSQL used to end in a DBAPIError traceback, exit code 1, no row)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent_ui.cli import main
from store.db import Database, make_engine
from store.importer import import_customers_csv
from store.models import Customer
from tests.store.migration_support import empty_database_url

__all__ = ["empty_database_url"]
LONG = "A" * 301


def _names(url: str) -> list[str]:
    async def go() -> list[str]:
        db = Database(make_engine(url))
        try:
            async with db.session() as s:
                return list((await s.scalars(select(Customer.name).order_by(Customer.id))).all())
        finally:
            await db.dispose()
    return asyncio.run(go())


def test_a_301_character_name_between_two_good_rows(empty_database_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's file, through the CLI on a migrated database: the bad line is reported, the two
    good rows imported."""
    database_url = empty_database_url
    path = tmp_path / "long.csv"
    path.write_text(f"name,phone\nAmina Wanjiru,0712345678\n{LONG},0712345679\nBrian Otieno,0712345680\n",
                    encoding="utf-8")
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", database_url)
    assert main(["db", "upgrade"]) == 0
    assert main(["import", "customers", str(path)]) == 1  # 1: some rows were bad (2 would be a broken file)
    captured = capsys.readouterr()
    assert "line 3: name: at most 200 characters (this one has 301)" in captured.out
    assert "Imported 2 of 3 rows; 1 bad" in captured.out
    assert "Traceback" not in captured.out + captured.err
    assert _names(database_url) == ["Amina Wanjiru", "Brian Otieno"]


async def test_every_column_is_checked_before_the_database(database: Database, tmp_path: Path) -> None:
    rows = [
        "Good One,0712345678,,,,",                                     # 2
        f"Long Client,0712345679,{'C' * 65},,,",                        # 3: client_id over 64
        "\u202eEvil Name,0712345680,,,,",                               # 4: bidi override
        "Zero\u200bWidth,0712345681,,,,",                               # 5: zero-width space
        "Bad Mail,0712345682,,amina@,,",                                # 6: email
        "Extension,+254712345683 ext 5,,,,",                            # 7: phone with an extension
        f"Long Serial,0712345684,,,{'S' * 65},",                        # 8: serial over 64
        f"Long Region,0712345685,,,,{'R' * 65}",                        # 9: region over 64
        "Good Two,0712345686,C-2,good@example.com,SHS-1,Nairobi",       # 10
    ]
    path = tmp_path / "rules.csv"
    path.write_text("name,phone,client_id,email,serial_numbers,region\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = await import_customers_csv(database, path, batch_size=3)
    assert {b.line: sorted(b.errors) for b in report.bad_rows} == {
        3: ["client_id"], 4: ["name"], 5: ["name"], 6: ["email"], 7: ["phone"], 8: ["serial_numbers"],
        9: ["region"]}
    errors = {b.line: b.errors for b in report.bad_rows}
    assert "extension" in errors[7]["phone"] and "invisible" in errors[4]["name"]
    assert report.imported == 2
    async with database.session() as s:
        names = (await s.scalars(select(Customer.name).order_by(Customer.id))).all()
        assert names == ["Good One", "Good Two"]
        assert await s.scalar(select(func.count()).select_from(Customer)) == 2
