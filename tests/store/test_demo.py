"""Demo data: loads on both backends, is internally consistent, uses only configured codes."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from agent_ui.app import create_app
from agent_ui.services import build_services
from config.lists import load_lists
from config.settings import CONFIG_DIR, Settings
from domain.errors import Conflict
from domain.phone import national_digits
from store.db import Database, make_engine
from store.migrate import upgrade_async
from store.models import (
    CampaignAgent,
    Contact,
    Customer,
    CustomerPhone,
    FollowUpTask,
    Installment,
    Interaction,
    Loan,
    PromiseStatus,
    PromiseToPay,
    Relation,
    StatementTransaction,
    TxnDirection,
    User,
)
from store.repositories.caller_lookup import find_matches
from store.repositories.users import UserRepository
from store.seed.demo import ensure_demo_users, is_empty, load_demo

TODAY = datetime.now(ZoneInfo("Africa/Nairobi")).date()
RECEIPT = re.compile(r"^[A-Z]{2}[A-Z0-9]{8}$")


async def _all(database: Database, model: Any) -> list[Any]:
    async with database.session() as s:
        return list((await s.scalars(select(model))).all())


async def test_demo_loads_with_the_well_known_customer(database: Database) -> None:
    report = await load_demo(database, customers=24, today=TODAY, batch_size=10)
    assert report.customers == 24
    async with database.session() as s:
        assert await s.scalar(select(func.count()).select_from(Customer)) == 24
        assert await s.scalar(select(func.count()).select_from(Loan)) == report.loans
        assert await s.scalar(select(func.count()).select_from(Interaction)) == report.interactions
        async with database.hot() as connection:  # the pop's own statement
            [found] = await find_matches(connection, "+254712345678")
            guarantor = [m for m in await find_matches(connection, "+254722000111") if m.relation == "guarantor"]
        own = await s.get(Customer, found.customer_id)
        assert own is not None and found.relation == "customer"
        assert (own.name, own.client_id) == ("Amina Wanjiru", "CL-100001")
        assert [m.name for m in guarantor] == ["Amina Wanjiru"]
        peter = await s.scalar(select(Contact).where(Contact.phone_e164 == "+254722000111"))
        assert peter is not None and (peter.name, peter.customer_id) == ("Peter Kamau", own.id)
        agent1 = await s.scalar(select(User).where(User.username == "agent1"))
        assert agent1 is not None and own.assigned_agent_id == agent1.id
        amina_loans = (await s.scalars(select(Loan).where(Loan.customer_id == own.id))).all()
        assert any(loan.days_past_due > 0 and loan.overdue_amount > 0 for loan in amina_loans)
        pending = (await s.scalars(select(PromiseToPay).where(
            PromiseToPay.customer_id == own.id, PromiseToPay.status == PromiseStatus.PENDING))).all()
        assert [p.due_date for p in pending] == [TODAY + timedelta(days=2)]
        due_today = (await s.scalars(select(FollowUpTask).where(
            FollowUpTask.assignee_id == agent1.id, FollowUpTask.done.is_(False)))).all()
        assert TODAY in {t.due_at.astimezone(ZoneInfo("Africa/Nairobi")).date() for t in due_today}
    assert not await is_empty(database)


async def test_demo_rows_are_consistent(database: Database) -> None:
    await load_demo(database, customers=30, today=TODAY)
    loans = await _all(database, Loan)
    installments = await _all(database, Installment)
    txns = await _all(database, StatementTransaction)
    by_loan: dict[int, list[Installment]] = defaultdict(list)
    for inst in installments:
        by_loan[inst.loan_id].append(inst)
    assert sum(1 for loan in loans if loan.days_past_due > 0) >= 5  # overdue accounts exist
    for loan in loans:
        rows = sorted(by_loan[loan.id], key=lambda i: i.number)
        assert sum(i.principal for i in rows) == loan.principal
        assert sum(i.interest for i in rows) == loan.interest_amount
        assert loan.balance == loan.principal + loan.interest_amount - sum(i.paid_amount for i in rows)
        unpaid_due = [i for i in rows if i.due_date < TODAY and i.paid_amount < i.principal + i.interest]
        assert loan.overdue_amount == sum(i.principal + i.interest - i.paid_amount for i in unpaid_due)
        assert loan.days_past_due == ((TODAY - unpaid_due[0].due_date).days if unpaid_due else 0)
        assert (loan.status == "closed") == (loan.balance == 0)
    # The statement explains the balances: debits minus credits = what is still owed.
    owed: dict[int, Decimal] = defaultdict(Decimal)
    for loan in loans:
        owed[loan.customer_id] += loan.balance
    net: dict[int, Decimal] = defaultdict(Decimal)
    for t in txns:
        net[t.customer_id] += t.amount if t.direction == TxnDirection.DEBIT else -t.amount
    assert net == owed
    receipts = [t.receipt_code for t in txns if t.kind == "mpesa_deposit"]
    assert receipts and all(r and RECEIPT.match(r) for r in receipts)
    assert len(set(receipts)) == len(receipts)
    assert {t.kind for t in txns} >= {"disbursement", "mpesa_deposit", "interest"}
    assert all(t.posted_at <= datetime.now(UTC) for t in txns)


async def test_demo_people_and_numbers(database: Database) -> None:
    await load_demo(database, customers=30, today=TODAY)
    customers = await _all(database, Customer)
    phones = await _all(database, CustomerPhone)
    contacts = await _all(database, Contact)
    for number in [p.e164 for p in phones] + [c.phone_e164 for c in contacts]:
        assert number.startswith("+254")
        local = national_digits(number)
        assert len(local) == 10 and local[:2] in ("07", "01")
    assert len({p.e164 for p in phones}) == len(phones)  # no number shared between customers
    assert len({c.client_id for c in customers}) == 30
    assert len({c.government_id for c in customers}) == 30
    assert {c.region for c in customers} <= {"Nairobi", "Kisumu", "Mombasa", "Nakuru", "Eldoret", "Thika",
                                             "Machakos", "Kakamega", "Kisii", "Nyeri", "Malindi", "Kitale"}
    assert {c.relation for c in contacts} == {Relation.GUARANTOR, Relation.RELATIONSHIP_OFFICER,
                                              Relation.ALTERNATIVE_CONTACT}
    async with database.session() as s:
        agents = dict((await s.execute(select(User.id, User.username))).tuples().all())
    assert {agents[c.assigned_agent_id] for c in customers} == {"agent1", "agent2"}


async def test_demo_notes_promises_and_tasks_follow_the_config(database: Database) -> None:
    lists = load_lists(CONFIG_DIR / "defaults")
    await load_demo(database, customers=40, today=TODAY)
    notes = await _all(database, Interaction)
    promises = await _all(database, PromiseToPay)
    txns = {t.id: t for t in await _all(database, StatementTransaction)}
    assert {n.disposition_status for n in notes} == {"contacted", "not_contacted", "pending"}
    for n in notes:
        fields = {name: getattr(n, name) for name in (
            "action", "call_result", "call_status", "status_action", "party_response", "promised_amount",
            "promised_date", "visit_date", "callback_at", "comments", "client_status", "purpose",
            "subject", "detail", "call_outcome", "customer_mood")}
        fields["template"] = n.message_template
        lists.validate_disposition(n.disposition_status, n.disposition_reason, n.disposition_resolution,
                                   fields)
        lists.validate_note_fields(fields)
        if n.reason_code:
            lists.reason(n.reason_code)
    statuses = {p.status for p in promises}
    assert statuses >= {PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.PENDING}
    for p in promises:
        if p.status == PromiseStatus.KEPT:
            assert p.matched_transaction_id is not None
            assert txns[p.matched_transaction_id].amount == p.amount == p.paid_amount
        elif p.status == PromiseStatus.PENDING:
            assert p.due_date >= TODAY
        else:
            assert p.due_date < TODAY and p.paid_amount == 0
    tasks = await _all(database, FollowUpTask)
    assert {t.kind for t in tasks} == {"callback", "follow_up"}
    assert all(t.done_at is not None for t in tasks if t.done)


async def test_demo_users_are_created_once_and_sign_in(database: Database) -> None:
    first = await ensure_demo_users(database)
    assert [(u.username, u.role, u.extension, u.created) for u in first] == [
        ("agent1", "agent", "PJSIP/1001", True), ("agent2", "agent", "PJSIP/1002", True),
        ("agent3", "agent", "PJSIP/1003", True), ("supervisor", "supervisor", None, True),
        ("admin", "admin", None, True)]
    second = await ensure_demo_users(database)
    assert [u.created for u in second] == [False] * 5
    async with database.session() as s:
        users = UserRepository(s)
        for login in first:
            user = await users.verify(login.username, login.password)
            assert user is not None and user.role.value == login.role
        assert await users.verify("agent1", "wrong-password") is None
        agent1 = await users.require("agent1")
        assert agent1.queues == ["collections", "customer_service"]
        assert await s.scalar(select(func.count()).select_from(CampaignAgent)) == 6  # 3 agents x 2


async def test_demo_twice_is_refused(database: Database) -> None:
    await load_demo(database, customers=3, today=TODAY)
    with pytest.raises(Conflict):
        await load_demo(database, customers=3, today=TODAY)


async def _snapshot(path: Path, seed: int, today: date) -> list[tuple[Any, ...]]:
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade_async(url)
    db = Database(make_engine(url))
    try:
        await load_demo(db, customers=15, seed=seed, today=today)
        async with db.session() as s:
            rows: list[tuple[Any, ...]] = []
            rows += (await s.execute(select(Customer.name, Customer.government_id, Customer.status)
                                     .order_by(Customer.id))).tuples().all()
            rows += (await s.execute(select(CustomerPhone.e164).order_by(CustomerPhone.id))).tuples().all()
            rows += (await s.execute(select(Loan.product, Loan.principal, Loan.balance, Loan.start_date)
                                     .order_by(Loan.id))).tuples().all()
            rows += (await s.execute(select(StatementTransaction.amount, StatementTransaction.receipt_code)
                                     .order_by(StatementTransaction.id))).tuples().all()
            rows += (await s.execute(select(Interaction.disposition_reason, Interaction.comments)
                                     .order_by(Interaction.id))).tuples().all()
            return rows
    finally:
        await db.dispose()


async def test_demo_is_deterministic_for_a_seed(tmp_path: Path) -> None:
    day = date(2025, 3, 14)
    one = await _snapshot(tmp_path / "one.db", 7, day)
    two = await _snapshot(tmp_path / "two.db", 7, day)
    other = await _snapshot(tmp_path / "other.db", 8, day)
    assert one == two
    assert one != other


async def test_demo_record_reads_back_through_the_api(database: Database, database_url: str,
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo logins work and the well-known record is whole, for its agent only.

    The centre's clock is fixed at 10:00 on the demo's day: "due today" must not depend on when the
    suite runs (a run that crosses midnight in Nairobi once found no task due)."""
    ten_am = datetime.combine(TODAY, datetime.min.time().replace(hour=10), tzinfo=ZoneInfo("Africa/Nairobi"))
    monkeypatch.setattr("domain.clock.utcnow", lambda: ten_am.astimezone(UTC))
    await load_demo(database, customers=6, today=TODAY)
    config_dir = tmp_path / "config"
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    settings = Settings(env="test", database_url=database_url, secret_key=SecretStr("demo-" + "k" * 40),
                        config_dir=config_dir, attachments_dir=tmp_path / "files", redis_url=None)
    services = build_services(settings)
    await services.start()
    try:
        app = create_app(settings, services, components=[])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
            async def login(username: str) -> dict[str, str]:
                reply = await c.post("/api/auth/login",
                                     json={"username": username, "password": f"{username}-pass"})
                assert reply.status_code == 200, reply.text
                return {"Authorization": f"Bearer {reply.json()['token']}"}

            agent1, agent2 = await login("agent1"), await login("agent2")
            found = (await c.get("/api/customers", params={"q": "0712-345-678"}, headers=agent1)).json()
            [amina] = [i for i in found["items"] if i["name"] == "Amina Wanjiru"]
            record = (await c.get(f"/api/customers/{amina['id']}", headers=agent1)).json()
            assert record["phone"] == "+254712345678" and record["assigned_agent"] == "agent1"
            assert record["summary"]["days_past_due"] > 0
            assert record["loans"] and all(loan["schedule"] for loan in record["loans"])
            assert any(t["receipt_code"] for t in record["statement"])
            assert {c["relation"] for c in record["contacts"]} >= {"guarantor", "relationship_officer"}
            assert record["interactions"] and record["promises"]
            assert (await c.get(f"/api/customers/{amina['id']}", headers=agent2)).status_code == 404
            tasks = (await c.get("/api/tasks", params={"due": "today"}, headers=agent1)).json()
            assert any(t["customer_id"] == amina["id"] for t in tasks["items"])
    finally:
        await services.close()


async def test_demo_notes_record_what_the_product_records(database: Database) -> None:
    """Issue 15 item 8: a note's message holds the template's text filled in for that customer (as the
    desk fills it), is not marked sent (the demo has no messaging provider), and no note repeats its
    comment as its detail."""
    lists = load_lists(CONFIG_DIR / "defaults")
    await load_demo(database, customers=40, today=TODAY)
    notes = await _all(database, Interaction)
    customers = {c.id: c for c in await _all(database, Customer)}
    with_message = [n for n in notes if n.send_message or n.message_template or n.message_body]
    assert {n.message_template for n in with_message} == {"promise_confirmation", "payment_received",
                                                          "payment_reminder"}
    for n in with_message:
        assert n.message_body and n.message_body.strip(), f"note {n.id}: empty message body"
        assert "{" not in n.message_body and "}" not in n.message_body, n.message_body
        first_name = customers[n.customer_id].name.split()[0]
        assert n.message_body.startswith(f"Dear {first_name},"), n.message_body
        assert n.message_sent is False
        lists.template(n.message_template)
        if n.message_template == "promise_confirmation":
            assert n.promised_amount is not None and n.promised_date is not None
            assert f"{n.promised_date.day} {n.promised_date:%b %Y}" in n.message_body
    for n in notes:
        assert not (n.detail and n.comments and n.detail.strip() == n.comments.strip()), f"note {n.id} repeats itself"
    tasks = await _all(database, FollowUpTask)
    assert not any((t.instructions or "").startswith("Call back: ") for t in tasks)
