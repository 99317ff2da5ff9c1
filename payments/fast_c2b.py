"""The C2B confirmation on PostgreSQL, on asyncpg directly: the common case (an account number or a
phone in clear that names exactly one customer, a receipt never seen) in one durable transaction
of about eight short statements (``store/repositories/payments_hot.py``), instead of the ORM
path's twenty-odd round trips through SQLAlchemy. Anything else (no match or several, a hashed or
masked phone, a repeated receipt) answers :data:`FALLBACK`, having written nothing, and the ORM
path (``payments/c2b.py``) handles it.

Its connections are a small asyncpg pool of its own whose commits wait for the WAL flush (money:
the ring path's pool does not wait).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from sqlalchemy.ext.asyncio import AsyncEngine

from domain.payments import allocate
from payments.c2b_protocol import C2BPayment
from payments.matching import Match, before_phone, by_account, by_phone, normalise_ref, read_msisdn
from payments.posting import HOW_WORDS, Outcome
from store.hot import DriverHotConnection, DriverPool
from store.models import MpesaPayment, PromiseStatus, PromiseToPay
from store.repositories.payments_hot import (
    ACCOUNT_MATCH,
    CUSTOMER_CONTEXT,
    FINISH_POSTING,
    INSERT_TRANSACTION,
    PENDING_PROMISES,
    PHONE_MATCH,
    STORE_CALLBACK,
    UPDATE_PROMISE,
)
from store.repositories.work_summary import REFRESH_ONE


class _Fallback:
    def __repr__(self) -> str:
        return "FALLBACK"


FALLBACK: Final = _Fallback()


class FastC2B:
    def __init__(self, engine: AsyncEngine, *, region: str, currency: str, clock: Callable[[], datetime],
                 pool_size: int = 10) -> None:
        self.pool = DriverPool(engine, max_size=pool_size, durable=True)
        self.region, self.currency, self.clock = region, currency, clock

    async def aclose(self) -> None:
        await self.pool.close()

    async def store(self, kind: str, body: bytes, remote: str | None) -> int:
        async with self.pool.connection() as conn:
            row = await conn.fetchrow(STORE_CALLBACK, {"kind": kind, "body": body, "remote_addr": remote,
                                                       "received_at": self.clock()})
        assert row is not None
        return int(row[0])

    async def _match(self, conn: DriverHotConnection, payment: C2BPayment) -> Match | None:
        reference = normalise_ref(payment.bill_ref)
        if reference:
            found = by_account(payment.bill_ref, [(int(c), str(h)) for c, h in
                                                  await conn.fetch(ACCOUNT_MATCH, {"ref": reference})])
            if found is not None:
                return found
        payer = read_msisdn(payment.msisdn, self.region)
        if payer.kind != "clear" or payer.e164 is None:
            return None
        ids = sorted(int(r[0]) for r in await conn.fetch(PHONE_MATCH, {"e164": payer.e164}))
        return by_phone(payer.e164, ids, "phone", before_phone(payment.bill_ref) + "the payer's phone is ")

    async def process(self, callback_id: int | None, payment: C2BPayment) -> Outcome | _Fallback:
        async with self.pool.connection() as conn, conn.transaction():
            match = await self._match(conn, payment)
            if match is None or match.customer_id is None:
                return FALLBACK
            customer_id, now = match.customer_id, self.clock()
            context = await conn.fetchrow(CUSTOMER_CONTEXT, {"customer_id": customer_id})
            assert context is not None
            name, assigned, call_id, agent_id, agent = context
            description = f"M-Pesa {payment.trans_id}" + (f" from {payment.payer}" if payment.payer else "")[:150]
            txn = await conn.fetchrow(INSERT_TRANSACTION, {
                "customer_id": customer_id, "receipt": payment.trans_id, "paid_at": payment.paid_at,
                "amount": payment.amount, "description": description})
            if txn is None:  # the receipt is on a statement already: a repeat, or the core system's
                return FALLBACK
            pending = [(int(i), a, p) for i, a, p in await conn.fetch(PENDING_PROMISES, {"customer_id": customer_id})]
            shares = allocate(payment.amount, pending)
            for share in shares:
                await conn.fetch(UPDATE_PROMISE, {
                    "promise_id": share.promise_id, "paid_amount": share.paid_amount,
                    "status": PromiseStatus.KEPT if share.kept else PromiseStatus.PENDING,
                    "settled_at": payment.paid_at if share.kept else None, "transaction_id": txn[0]})
            finished = await conn.fetchrow(FINISH_POSTING, {
                "receipt": payment.trans_id, "callback_id": callback_id, "amount": payment.amount,
                "paid_at": payment.paid_at, "now": now, "payer": payment.payer or None,
                "msisdn": payment.msisdn or None, "bill_ref": payment.bill_ref or None, "customer_id": customer_id,
                "how": match.how, "detail": match.detail[:300], "transaction_id": txn[0], "call_id": call_id,
                "agent_id": agent_id, "subject": f"M-Pesa payment {self.currency} {payment.amount:,.2f}",
                "comments": f"Receipt {payment.trans_id}; {HOW_WORDS.get(match.how, match.detail)}"
                            + (f"; paid by {payment.payer}" if payment.payer else "") + "."})
            assert finished is not None
            await conn.fetch(REFRESH_ONE, {"customer_id": customer_id})  # the work list's promise state
        row = MpesaPayment(id=int(finished[0]), receipt=payment.trans_id, source="c2b", callback_id=callback_id,
                           amount=payment.amount, paid_at=payment.paid_at, received_at=now, status="posted",
                           customer_id=customer_id, match_how=match.how, match_detail=match.detail,
                           transaction_id=txn[0], call_id=call_id, agent_id=agent_id)
        amounts = {i: a for i, a, _ in pending}
        promises = [PromiseToPay(id=s.promise_id, amount=amounts[s.promise_id], paid_amount=s.paid_amount,
                                 status=PromiseStatus.KEPT if s.kept else PromiseStatus.PENDING) for s in shares]
        notify = [u for u in (assigned, agent) if u]
        return Outcome(row, new_transaction=True, customer_name=name, notify=notify, promises=promises)
