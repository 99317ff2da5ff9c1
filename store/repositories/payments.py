"""M-Pesa callbacks and payments: the raw store, the lookups that match a payment to a customer,
suspense, and the figures of the payments report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.payments import RequestState
from store.models import (
    CallRecord,
    Customer,
    CustomerPhone,
    Loan,
    MpesaCallback,
    MpesaPayment,
    PayerPhoneHash,
    PaymentRequest,
    Role,
    User,
)
from store.models.payments import normalised

CALLBACK_KINDS = ("c2b_validation", "c2b_confirmation", "stk_callback")


async def store_callback(connection: AsyncConnection, kind: str, body: bytes, remote: str | None,
                         received_at: datetime) -> int:
    """Insert one raw callback on an autocommit connection: it is durable when this returns."""
    new_id = await connection.scalar(
        insert(MpesaCallback).values(kind=kind, body=body, remote_addr=remote, received_at=received_at,
                                     status="received").returning(MpesaCallback.id))
    assert new_id is not None
    return int(new_id)


class MpesaRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # --- raw callbacks ------------------------------------------------------------------------------

    async def mark_callback(self, callback_id: int, *, status: str, now: datetime, outcome: str | None = None,
                            error: str | None = None, reference: str | None = None) -> None:
        values: dict[str, object] = {"status": status, "outcome": outcome, "error": error and error[:300],
                                     "processed_at": now}
        if reference is not None:
            values["reference"] = reference[:64]
        await self.session.execute(update(MpesaCallback).where(MpesaCallback.id == callback_id).values(**values))

    async def callbacks(self, *, kinds: Sequence[str], statuses: Sequence[str] | None = None,
                        ids: Sequence[int] | None = None, reference: str | None = None,
                        limit: int = 1000, after_id: int = 0) -> list[MpesaCallback]:
        query = select(MpesaCallback).where(MpesaCallback.kind.in_(list(kinds)), MpesaCallback.id > after_id)
        if statuses is not None:
            query = query.where(MpesaCallback.status.in_(list(statuses)))
        if ids is not None:
            query = query.where(MpesaCallback.id.in_(list(ids)))
        if reference is not None:
            query = query.where(MpesaCallback.reference == reference)
        rows = await self.session.scalars(query.order_by(MpesaCallback.id).limit(limit))
        return list(rows.all())

    # --- payments -----------------------------------------------------------------------------------

    async def payment_by_receipt(self, receipt: str) -> MpesaPayment | None:
        found: MpesaPayment | None = await self.session.scalar(
            select(MpesaPayment).where(MpesaPayment.receipt == receipt))
        return found

    async def payment(self, payment_id: int, *, for_update: bool = False) -> MpesaPayment | None:
        query = select(MpesaPayment).where(MpesaPayment.id == payment_id)
        found: MpesaPayment | None = await self.session.scalar(query.with_for_update() if for_update else query)
        return found

    async def suspense(self, *, limit: int, offset: int) -> list[MpesaPayment]:
        rows = await self.session.scalars(
            select(MpesaPayment).where(MpesaPayment.status == "suspense")
            .order_by(MpesaPayment.received_at, MpesaPayment.id).offset(offset).limit(limit))
        return list(rows.all())

    # --- matching lookups ---------------------------------------------------------------------------

    async def customers_by_account(self, reference: str) -> list[tuple[int, str]]:
        """(customer id, what matched) for a normalised account number: client IDs and loan accounts."""
        by_client = await self.session.execute(
            select(Customer.id).where(normalised(Customer.client_id) == reference))
        by_loan = await self.session.execute(
            select(Loan.customer_id).where(normalised(Loan.external_ref) == reference))
        found = [(cid, "client_id") for (cid,) in by_client.tuples()]
        found += [(cid, "loan_account") for (cid,) in by_loan.tuples() if cid not in {c for c, _ in found}]
        return found

    async def customers_by_phone(self, e164: str) -> list[int]:
        rows = await self.session.scalars(
            select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164).distinct())
        return sorted(rows.all())

    async def phones_like(self, pattern: str, limit: int) -> list[tuple[int, str]]:
        rows = await self.session.execute(
            select(CustomerPhone.customer_id, CustomerPhone.e164).where(CustomerPhone.e164.like(pattern))
            .order_by(CustomerPhone.customer_id).limit(limit))
        return [(int(cid), str(e164)) for cid, e164 in rows.tuples()]

    async def e164_by_hash(self, sha256: str) -> str | None:
        found: str | None = await self.session.scalar(
            select(PayerPhoneHash.e164).where(PayerPhoneHash.sha256 == sha256))
        return found

    async def unhashed_phones(self, limit: int) -> list[str]:
        known = select(PayerPhoneHash.e164).where(PayerPhoneHash.e164 == CustomerPhone.e164).exists()
        rows = await self.session.scalars(select(CustomerPhone.e164).where(~known).distinct().limit(limit))
        return list(rows.all())

    async def add_hashes(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Insert hashes; one another worker inserted meanwhile is skipped, not an error."""
        rows = [{"sha256": h, "e164": e} for h, e in pairs]
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert_ = postgresql_insert if dialect == "postgresql" else sqlite_insert
        await self.session.execute(insert_(PayerPhoneHash).values(rows).on_conflict_do_nothing())

    async def live_call(self, customer_id: int) -> tuple[str, int] | None:
        """The customer's call that an agent is on now (answered, not ended): (call id, agent id)."""
        row = (await self.session.execute(
            select(CallRecord.call_id, CallRecord.agent_id).where(
                CallRecord.customer_id == customer_id, CallRecord.answered_at.is_not(None),
                CallRecord.ended_at.is_(None), CallRecord.agent_id.is_not(None))
            .order_by(CallRecord.answered_at.desc()).limit(1))).first()
        return None if row is None or row[1] is None else (str(row[0]), int(row[1]))

    async def usernames(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        rows = await self.session.execute(select(User.id, User.username).where(User.id.in_(wanted)))
        return {int(i): str(name) for i, name in rows.tuples()}


@dataclass(frozen=True, slots=True)
class PaymentsRow:
    agent: str
    requests: int
    requests_paid: int
    paid_during_call: int
    paid_during_call_amount: Decimal


async def payments_report(session: AsyncSession, since: datetime, until: datetime) -> list[PaymentsRow]:
    """Per agent, payments received in ``[since, until)``: payment requests sent and paid, and the
    M-Pesa payments (requested or not) that arrived while the agent was on a call with the payer."""
    during = and_(MpesaPayment.call_id.is_not(None), CallRecord.answered_at.is_not(None),
                  CallRecord.answered_at <= MpesaPayment.received_at,
                  or_(CallRecord.ended_at.is_(None), MpesaPayment.received_at <= CallRecord.ended_at))
    paid = await session.execute(
        select(MpesaPayment.agent_id, func.count(MpesaPayment.id), func.coalesce(func.sum(MpesaPayment.amount), 0))
        .join(CallRecord, CallRecord.call_id == MpesaPayment.call_id)
        .where(during, MpesaPayment.status == "posted", MpesaPayment.agent_id.is_not(None),
               MpesaPayment.received_at >= since, MpesaPayment.received_at < until)
        .group_by(MpesaPayment.agent_id))
    by_paid = {int(a): (int(n), Decimal(str(total)).quantize(Decimal("0.01")))
               for a, n, total in paid.tuples() if a is not None}
    asked = await session.execute(
        select(PaymentRequest.agent_id, func.count(PaymentRequest.id),
               func.coalesce(func.sum(case((PaymentRequest.state == RequestState.PAID, 1), else_=0)), 0))
        .where(PaymentRequest.agent_id.is_not(None), PaymentRequest.created_at >= since,
               PaymentRequest.created_at < until)
        .group_by(PaymentRequest.agent_id))
    by_asked = {int(a): (int(n), int(p)) for a, n, p in asked.tuples() if a is not None}
    agents = await session.scalars(select(User.id).where(User.role == Role.AGENT, User.active.is_(True)))
    ids = set(agents.all()) | set(by_paid) | set(by_asked)
    names = await MpesaRepository(session).usernames(ids)
    rows = [PaymentsRow(name, *by_asked.get(uid, (0, 0)), *by_paid.get(uid, (0, Decimal("0.00"))))
            for uid, name in names.items()]
    return sorted(rows, key=lambda r: r.agent)
