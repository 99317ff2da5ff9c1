"""Customer CSV import: every row is validated; bad rows are reported by line number, good rows imported.

The file must be UTF-8 CSV (a BOM is fine) with a header row. Columns (any case, spaces allowed):

    name (required), phone (required), alt_phones, government_id, client_id, serial_numbers,
    email, region, timezone, assigned_agent, campaign

``alt_phones`` and ``serial_numbers`` hold several values separated by ``;``. Phone numbers are
10-digit local numbers (``0712345678``, dashes and spaces allowed) or international ones
(``+254712345678``, ``254 712 345 678``); they are stored in E.164. ``timezone`` is an IANA name
(default: the setting). ``assigned_agent`` must be an existing username and ``campaign`` an existing
campaign code. A ``client_id`` used twice (in the file or already in the database) is a bad row.
Columns not listed are ignored and reported. No row is ever dropped silently: each data row is
imported, reported as bad, or (when all its cells are empty) counted as blank.

Every cell is checked by the rules the API uses (:mod:`domain.validation`: names without invisible
characters, well-formed emails, phones without an extension, text that fits its column) before the
database sees it; should the database still refuse a row, that row is reported by its line and the
others are imported, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from domain.errors import InvalidInput, SwitchboardError
from domain.phone import to_e164
from domain.validation import email_address, fits, person_name, phone_text
from store.db import Database
from store.models import Campaign, Customer, User
from store.repositories.customers import CustomerRepository, check_timezone

Progress = Callable[[int, int], None]

COLUMNS = ("name", "phone", "alt_phones", "government_id", "client_id", "serial_numbers", "email",
           "region", "timezone", "assigned_agent", "campaign")
_ALIASES = {
    "full_name": "name", "customer_name": "name", "phone_number": "phone", "msisdn": "phone",
    "mobile": "phone", "alt_phone": "alt_phones", "alternative_phones": "alt_phones",
    "other_phones": "alt_phones", "phones": "alt_phones", "national_id": "government_id",
    "id_number": "government_id", "client": "client_id", "serials": "serial_numbers",
    "serial_number": "serial_numbers", "agent": "assigned_agent", "tz": "timezone",
}
_DIGITS = re.compile(r"\D+")
MAX_BYTES = 200 * 1024 * 1024


@dataclass(frozen=True)
class BadRow:
    line: int  # the file's line number where the row starts (the header is line 1)
    errors: dict[str, str]  # column -> reason

    def describe(self) -> str:
        return f"line {self.line}: " + "; ".join(f"{k}: {v}" for k, v in self.errors.items())


@dataclass
class ImportReport:
    rows: int = 0  # data rows read (blank ones included)
    imported: int = 0
    blank: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    customer_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.bad_rows


@dataclass
class _Row:
    line: int
    values: dict[str, str]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


def check_phone(raw: str, region: str) -> str:
    """E.164 for a hand-typed number: 10-digit local form or international; else InvalidInput."""
    text = raw.strip()
    try:
        phone_text(text)
    except ValueError as exc:
        raise InvalidInput(f"{raw!r}: {exc}", {"phone": f"{raw!r}: {exc}"}) from exc
    digits = _DIGITS.sub("", text)
    international = text.startswith("+") or text.startswith("00") or (
        len(digits) > 10 and not digits.startswith("0"))
    if not international and not (len(digits) == 10 and digits.startswith("0")):
        raise InvalidInput(f"{raw!r}: must be 10 digits like 0712345678, or +254...",
                           {"phone": f"{raw!r} is not 10 digits (like 0712345678) or international"})
    e164 = to_e164("+" + text[2:] if text.startswith("00") else text, region)
    if e164 is None:
        raise InvalidInput(f"{raw!r} is not a valid phone number",
                           {"phone": f"{raw!r} is not a valid number"})
    return e164


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror or exc}", {"file": str(path)}) from exc
    if len(data) > MAX_BYTES:
        raise InvalidInput(f"{path}: larger than {MAX_BYTES // 2**20} MB", {"file": "too large"})
    if b"\x00" in data[:65536]:
        raise InvalidInput(f"{path}: this is a binary file, not CSV text (save it as CSV UTF-8)",
                           {"file": "not CSV text"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvalidInput(f"{path}: not UTF-8 text (line {line}, byte {exc.start}); save it as CSV UTF-8",
                           {"file": f"not UTF-8 at line {line}"}) from exc


def _header(cells: list[str]) -> tuple[list[str | None], list[str]]:
    names: list[str | None] = []
    ignored: list[str] = []
    for cell in cells:
        key = re.sub(r"[\s\-]+", "_", cell.strip().lower())
        key = _ALIASES.get(key, key)
        if key in COLUMNS and key not in names:
            names.append(key)
        else:
            names.append(None)
            if cell.strip():
                ignored.append(cell.strip())
    return names, ignored


def _rows(path: Path, text: str, report: ImportReport) -> Iterator[_Row]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            raise InvalidInput(f"{path}: empty file, expected a header row", {"file": "empty"})
        names, report.ignored_columns = _header(header)
        if "name" not in names or "phone" not in names:
            found = ", ".join(h.strip() for h in header if h.strip())[:200]
            raise InvalidInput(f"{path}: not a customer CSV: the header needs 'name' and 'phone' columns "
                               f"(found: {found})", {"file": "header needs name and phone"})
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not cells:  # an empty line
                continue
            report.rows += 1
            if len(cells) != len(names):
                yield _Row(line, {"__columns__": f"{len(cells)} cells, the header has {len(names)}"})
                continue
            yield _Row(line, {n: c.strip() for n, c in zip(names, cells, strict=True) if n is not None})
    except csv.Error as exc:
        raise InvalidInput(f"{path}: not valid CSV at line {reader.line_num}: {exc}",
                           {"file": f"bad CSV at line {reader.line_num}"}) from exc


def _check_text(column: str, value: str) -> None:
    """The column's length, then (name, email) its content; ValueError with the reason."""
    fits(value, column)
    if column == "name":
        person_name(value)
    elif column == "email":
        email_address(value)


_TEXT_COLUMNS = ("name", "email", "government_id", "client_id", "region", "timezone", "assigned_agent", "campaign")


@dataclass(frozen=True)
class _Known:
    agents: frozenset[str]
    campaigns: frozenset[str]


def _validate(row: _Row, region: str, default_tz: str, known: _Known,
              seen_ids: dict[str, int]) -> dict[str, str]:
    v, errors = row.values, dict[str, str]()
    if "__columns__" in v:
        return {"row": v["__columns__"]}
    for column in _TEXT_COLUMNS:
        if v.get(column):
            try:
                _check_text(column, v[column])
            except ValueError as exc:
                errors[column] = str(exc)
    for serial in _split(v.get("serial_numbers", "")):
        try:
            fits(serial, "serial")
        except ValueError as exc:
            errors["serial_numbers"] = f"{serial[:20]!r}...: {exc}"
    if not v.get("name"):
        errors["name"] = "required"
    if not v.get("phone"):
        errors["phone"] = "required"
    else:
        try:
            check_phone(v["phone"], region)
        except InvalidInput as exc:
            errors["phone"] = exc.details["phone"]
    for extra in _split(v.get("alt_phones", "")):
        try:
            check_phone(extra, region)
        except InvalidInput as exc:
            errors["alt_phones"] = exc.details["phone"]
    if v.get("timezone"):
        try:
            check_timezone(v["timezone"])
        except InvalidInput:
            errors["timezone"] = f"{v['timezone']!r} is not an IANA time zone (like {default_tz})"
    if v.get("assigned_agent") and v["assigned_agent"].lower() not in known.agents:
        errors["assigned_agent"] = f"no user {v['assigned_agent']!r}"
    if v.get("campaign") and v["campaign"] not in known.campaigns:
        errors["campaign"] = f"no campaign {v['campaign']!r}"
    client_id = v.get("client_id")
    if client_id:
        if client_id in seen_ids:
            errors["client_id"] = f"{client_id!r} is already used on line {seen_ids[client_id]}"
        else:
            seen_ids[client_id] = row.line
    return errors


async def import_customers_csv(
    database: Database,
    path: Path | str,
    region: str = "KE",
    default_tz: str = "Africa/Nairobi",
    progress: Progress | None = None,
    batch_size: int = 500,
) -> ImportReport:
    """Import the customers of a CSV file (see the module doc). InvalidInput if it is not such a file."""
    path = Path(path)
    report = ImportReport()
    rows = list(_rows(path, _read_text(path), report))
    async with database.session() as session:
        known = _Known(
            agents=frozenset((await session.scalars(select(User.username))).all()),
            campaigns=frozenset((await session.scalars(select(Campaign.code))).all()))
    seen_ids: dict[str, int] = {}
    good: list[_Row] = []
    for row in rows:
        if not any(row.values.values()):
            report.blank += 1
            continue
        errors = _validate(row, region, default_tz, known, seen_ids)
        if errors:
            report.bad_rows.append(BadRow(row.line, errors))
        else:
            good.append(row)
    done = len(rows) - len(good)
    for start in range(0, len(good), batch_size):
        batch = good[start:start + batch_size]
        try:
            await _import_batch(database, batch, region, default_tz, report, single=False)
        except DBAPIError:  # a constraint or a limit the checks did not foresee: redo the batch row by row
            for row in batch:
                await _import_batch(database, [row], region, default_tz, report, single=True)
        done += len(batch)
        if progress is not None:
            progress(done, len(rows))
    if progress is not None and not good:
        progress(len(rows), len(rows))
    report.bad_rows.sort(key=lambda b: b.line)
    return report


async def _import_batch(database: Database, batch: list[_Row], region: str, default_tz: str,
                        report: ImportReport, single: bool) -> None:
    bad: list[BadRow] = []
    created: list[Customer] = []
    try:
        async with database.session() as session:
            repo = CustomerRepository(session, region, default_tz)
            for row in batch:
                v = row.values
                try:
                    customer = await repo.create(
                        name=v["name"], phone=check_phone(v["phone"], region),
                        phones=[check_phone(p, region) for p in _split(v.get("alt_phones", ""))],
                        government_id=v.get("government_id") or None, client_id=v.get("client_id") or None,
                        serial_numbers=_split(v.get("serial_numbers", "")), email=v.get("email") or None,
                        region=v.get("region") or None, timezone=v.get("timezone") or None,
                        assigned_agent=(v.get("assigned_agent") or "").lower() or None,
                        campaign_code=v.get("campaign") or None)
                except SwitchboardError as exc:  # raised before the row is added to the session
                    bad.append(BadRow(row.line, {k: str(m) for k, m in exc.details.items()} or
                                      {"row": exc.message}))
                    continue
                created.append(customer)
    except DBAPIError as exc:
        if not single:
            raise
        bad = [BadRow(batch[0].line, {"row": f"refused by the database ({type(exc.orig).__name__})"})]
        created = []
    report.bad_rows.extend(bad)
    report.imported += len(created)
    report.customer_ids.extend(c.id for c in created)
