"""Demo data: realistic Kenyan customers for a PAYG-solar / micro-lender call centre, and demo users.

``load_demo(database, customers=N)`` writes customers (E.164 phones, national and client IDs,
product serials, regions), loans with repayment schedules, M-Pesa statements, guarantors,
relationship officers, alternative contacts, overdue accounts, past follow-up notes with 3-layer
dispositions, promises to pay and follow-up tasks. The same seed and day give the same data.

It always includes the well-known customer **Amina Wanjiru** (``0712345678``, the test PBX's demo
caller) with the guarantor Peter Kamau (``0722000111``), assigned to ``agent1``.

``ensure_demo_users(database)`` creates the demo logins if missing (see :data:`DEMO_USERS`):
``agent1``/``agent1-pass`` .. ``agent3``/``agent3-pass`` (PJSIP/1001..1003),
``supervisor``/``supervisor-pass`` and ``admin``/``admin-pass``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Conflict, InvalidInput
from store.db import Database
from store.models import (
    Campaign,
    CampaignAgent,
    Customer,
    PromiseToPay,
    Relation,
    Role,
    StatementTransaction,
    User,
)
from store.repositories.customers import CustomerRepository
from store.repositories.users import UserRepository
from store.seed.demo_data import AGENT_QUEUES, CAMPAIGNS, DEMO_USERS
from store.seed.demo_gen import DemoGenerator, Profile, client_id_for
from store.seed.demo_history import Context, client_status, plan_history, plan_work

DEFAULT_SEED = 254
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str
    extension: str | None
    created: bool  # False: the user existed (its password may have been changed since)


@dataclass
class DemoReport:
    customers: int = 0
    loans: int = 0
    transactions: int = 0
    interactions: int = 0
    promises: int = 0
    tasks: int = 0


async def is_empty(database: Database) -> bool:
    """True when there are no customers (``run-demo`` then loads the demo data)."""
    async with database.session() as session:
        return not await session.scalar(select(func.count()).select_from(Customer))


async def ensure_demo_users(database: Database) -> list[DemoLogin]:
    """Create the demo users, campaigns and campaign assignments that are missing; the logins."""
    logins: list[DemoLogin] = []
    async with database.session() as session:
        users = UserRepository(session)
        for username, password, role, display_name, extension in DEMO_USERS:
            user = await users.get(username)
            if user is None:
                queues = AGENT_QUEUES if role == Role.AGENT.value else ()
                await users.create(username, password, role, display_name, extension, queues)
            logins.append(DemoLogin(username, password, role, extension, user is None))
        await _ensure_campaigns(session)
    return logins


async def _ensure_campaigns(session: AsyncSession) -> None:
    for code, name, queue in CAMPAIGNS:
        if await session.scalar(select(Campaign.id).where(Campaign.code == code)) is None:
            session.add(Campaign(code=code, name=name, queue=queue))
    await session.flush()
    agents = (await session.scalars(select(User.id).where(User.role == Role.AGENT))).all()
    for code in AGENT_QUEUES:
        campaign_id = await session.scalar(select(Campaign.id).where(Campaign.code == code))
        have = set((await session.scalars(
            select(CampaignAgent.user_id).where(CampaignAgent.campaign_id == campaign_id))).all())
        session.add_all(CampaignAgent(campaign_id=campaign_id, user_id=a) for a in agents if a not in have)


async def load_demo(
    database: Database,
    customers: int = 200,
    *,
    seed: int = DEFAULT_SEED,
    progress: Progress | None = None,
    today: date | None = None,
    region: str = "KE",
    timezone: str = "Africa/Nairobi",
    currency: str = "KES",
    batch_size: int = 50,
) -> DemoReport:
    """Add ``customers`` demo customers with their loans, statements and history (see module doc).

    Conflict when the demo data is already there (the well-known customer's client ID is taken).
    """
    if customers < 1:
        raise InvalidInput("at least one customer", {"customers": "must be 1 or more"})
    await ensure_demo_users(database)
    async with database.session() as session:
        ids = dict((await session.execute(select(User.username, User.id))).tuples().all())
    gen = DemoGenerator(seed, today or datetime.now(ZoneInfo(timezone)).date(), currency, region)
    report = DemoReport()
    for start in range(0, customers, batch_size):
        async with database.session() as session:
            repo = CustomerRepository(session, region, timezone)
            if start == 0 and await session.scalar(
                    select(Customer.id).where(Customer.client_id == client_id_for(0))) is not None:
                raise Conflict("the demo data is already loaded", {"customers": "demo customers exist"})
            for index in range(start, min(start + batch_size, customers)):
                await _add_customer(session, repo, gen, gen.profile(index), ids, report)
                if progress is not None:  # per customer (counted before the batch's commit)
                    progress(index + 1, customers)
    return report


async def _add_customer(session: AsyncSession, repo: CustomerRepository, gen: DemoGenerator,
                        profile: Profile, ids: dict[str, int], report: DemoReport) -> None:
    agent = "agent1" if profile.index % 2 == 0 else "agent2"
    customer = await repo.create(
        name=profile.name, phone=profile.phones[0], phones=profile.phones[1:],
        government_id=profile.government_id, client_id=profile.client_id,
        serial_numbers=profile.serials, email=profile.email, region=profile.region,
        campaign_code=profile.campaign, assigned_agent=agent, risk_score=profile.risk_score,
        contacts=profile.contacts, alt_contacts_consent=profile.index == 0 or gen.rng.random() < 0.8,
    )
    serials = iter(profile.serials)
    main_loan_id: int | None = None
    overdue_amount, balance, days_past_due = Decimal(0), Decimal(0), 0
    payments: list[StatementTransaction] = []
    for number, (product, state) in enumerate(profile.products, start=1):
        serial = next(serials) if product.serial_prefix is not None else None
        rows = gen.loan(customer.id, profile.client_id, number, product, state, serial)
        session.add(rows.loan)
        await session.flush()
        for txn in rows.transactions:
            txn.loan_id = rows.loan.id
        session.add_all(rows.transactions)
        if state != "closed":
            main_loan_id, overdue_amount = rows.loan.id, rows.loan.overdue_amount
            balance, days_past_due = rows.loan.balance, rows.loan.days_past_due
        payments.extend(rows.payments)
        report.loans += 1
        report.transactions += len(rows.transactions)
    await session.flush()
    by_relation = {c.relation: c.id for c in customer.contacts}
    other = ids["agent2"] if agent == "agent1" else ids["agent1"]
    ctx = Context(customer_id=customer.id, operators=[ids[agent], other, ids["agent3"]],
                  overdue=profile.overdue, well_known=profile.index == 0, overdue_amount=overdue_amount,
                  loan_id=main_loan_id, guarantor_id=by_relation.get(Relation.GUARANTOR),
                  officer_id=by_relation.get(Relation.RELATIONSHIP_OFFICER),
                  payments=sorted(payments, key=lambda t: t.posted_at), name=profile.name,
                  client_id=profile.client_id, balance=balance, days_past_due=days_past_due)
    planned = plan_history(gen, ctx)
    session.add_all(p.interaction for p in planned)
    await session.flush()
    work = plan_work(gen, ctx, planned)
    session.add_all(work)
    customer.status = client_status(ctx, planned)
    report.customers += 1
    report.interactions += len(planned)
    promises = sum(1 for w in work if isinstance(w, PromiseToPay))
    report.promises += promises
    report.tasks += len(work) - promises
