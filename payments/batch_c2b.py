"""C2B confirmations on PostgreSQL in batches: the concurrent requests' callbacks stored and posted
together, in one durable transaction per batch.

* :meth:`BatchC2B.confirm`: every confirmation waiting (parsed, so its body is well formed) is
  stored by one multi-row INSERT and, in the same transaction, the common case among them (an
  account number naming exactly one customer, a receipt never seen) is posted by four more
  statements (``store/repositories/payments_batch.py``), the work list's summary refreshed in the
  COMMIT's round trip. Each request is answered only once that transaction is committed (its WAL
  flushed), so its raw callback is stored before it is answered.
  Then the batch is announced: ``PaymentReceived`` on the bus for each posting (one round trip)
  and all the ``payment`` frames in one outbox write. The rest (a phone to match, suspense, a
  repeat) answer :data:`~payments.fast_c2b.FALLBACK` and take the one-by-one path. If the posting
  fails, the callbacks are stored on their own and all of them take that path.
* :meth:`BatchC2B.store`: other callbacks (validation, a malformed body, STK results) by group
  commit: one INSERT and one commit for all those waiting.
* :meth:`BatchC2B.post`: callbacks stored earlier (recovery, replay), posted as above after they
  are claimed.

Nothing is posted twice: a batch of stored callbacks first claims them (still ``received``, or
``failed`` and being replayed) with ``FOR UPDATE SKIP LOCKED``, so a callback held by another worker
or process, or already posted, answers :data:`TAKEN` (a callback stored in the posting's own
transaction is seen by no one else until it is posted); and the statement's receipt stays unique
(``ON CONFLICT DO NOTHING``, the receipt is then a repeat). A callback stored but never posted (the
process died in between) stays ``received``: ``C2BService.recover`` posts it (at start, and then
every minute, under the task supervisor).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from domain.errors import StoreUnavailable
from domain.payments import allocate
from payments.c2b_protocol import C2BPayment
from payments.fast_c2b import FALLBACK, FastC2B, _Fallback
from payments.matching import Match, by_account, normalise_ref
from payments.posting import HOW_WORDS, Outcome
from runtime.coalesce import Coalescer
from store.hot import DriverHotConnection
from store.models import MpesaPayment, PromiseStatus, PromiseToPay
from store.repositories.payments_batch import (
    ACCOUNT_MATCHES,
    CLAIM,
    INSERT_TRANSACTIONS,
    PENDING_PROMISES,
    STORE_AND_MATCH,
    STORE_CALLBACKS,
    WRITE_POSTINGS,
)
from store.repositories.work_summary import refresh_text

log = logging.getLogger(__name__)


class _Taken:
    def __repr__(self) -> str:
        return "TAKEN"


TAKEN: Final = _Taken()  # claimed by another worker, or already posted: nothing to do here
Result = Outcome | _Fallback | _Taken


@dataclass(slots=True)
class _Posting:
    callback_id: int
    payment: C2BPayment
    match: Match
    txn_id: int = 0


@dataclass(frozen=True, slots=True)
class _Context:
    """What a posting needs of its customer: the name, the assigned agent, the call they are on."""

    name: str
    assigned: str | None
    call_id: str | None
    agent_id: int | None
    agent: str | None


@dataclass(frozen=True, slots=True)
class _Raw:
    kind: str
    body: bytes
    remote: str | None
    received_at: datetime


class BatchC2B:
    def __init__(self, fast: FastC2B, *, currency: str, clock: Callable[[], datetime],
                 announce: Callable[[list[Outcome]], Awaitable[None]], max_batch: int = 200) -> None:
        self.pool, self.currency, self.clock, self.announce = fast.pool, currency, clock, announce
        self.storing: Coalescer[_Raw, int] = Coalescer(self._store_all, max_batch=max_batch)
        self.posting: Coalescer[tuple[int, C2BPayment], Result] = Coalescer(self._post_all, max_batch=max_batch,
                                                                            after=self._announce)
        self.confirming: Coalescer[tuple[_Raw, C2BPayment], tuple[int, Result]] = Coalescer(
            self._confirm_all, max_batch=max_batch, after=self._announce_confirmed)

    async def store(self, kind: str, body: bytes, remote: str | None) -> int:
        """The raw callback's id, once it is committed (with whichever others were waiting)."""
        return await self.storing.submit(_Raw(kind, body, remote, self.clock()))

    async def post(self, callback_id: int, payment: C2BPayment) -> Result:
        """Post a callback already stored (recovery, replay): claimed first, so never twice."""
        return await self.posting.submit((callback_id, payment))

    async def confirm(self, body: bytes, remote: str | None, payment: C2BPayment) -> tuple[int, Result]:
        """A confirmation just received, stored and posted in the same transaction as whichever
        others are waiting: its callback's id, once committed, and what became of it."""
        return await self.confirming.submit((_Raw("c2b_confirmation", body, remote, self.clock()), payment))

    @staticmethod
    def _raw_params(raws: list[_Raw]) -> dict[str, Any]:
        return {"kinds": [r.kind for r in raws], "times": [r.received_at for r in raws],
                "remotes": [r.remote for r in raws], "bodies": [r.body for r in raws]}

    async def _store_all(self, raws: list[_Raw]) -> list[int]:
        async with self.pool.connection() as conn:
            rows = await conn.fetch(STORE_CALLBACKS, self._raw_params(raws))
        # one statement's serial ids follow its SELECT's order (WITH ORDINALITY ... ORDER BY)
        return sorted(int(row[0]) for row in rows)

    async def _post_all(self, items: list[tuple[int, C2BPayment]]) -> list[Result]:
        tail: list[str] = []
        async with self.pool.connection() as conn, conn.transaction_with_tail(tail):
            refs = _refs(p for _, p in items)
            found = await conn.fetch(ACCOUNT_MATCHES, {"refs": refs}) if refs else []
            return await self._post(conn, items, found, tail, claim=True)

    async def _confirm_all(self, items: list[tuple[_Raw, C2BPayment]]) -> list[tuple[int, Result]]:
        """Store and post in one transaction (the callbacks stored and their accounts matched in
        one statement). If the posting fails, the callbacks are stored on their own and each takes
        the one-by-one path (which marks a failure for ``replay``); if the database is out of
        reach, every caller gets the error (nothing was answered)."""
        raws, tail = [raw for raw, _ in items], list[str]()
        try:
            async with self.pool.connection() as conn, conn.transaction_with_tail(tail):
                rows = await conn.fetch(STORE_AND_MATCH, {**self._raw_params(raws),
                                                          "refs": _refs(p for _, p in items)})
                ids = sorted(int(i) for i in rows[0][0])  # serial ids, in the order given
                found = [row[1:] for row in rows if row[1] is not None]
                results = await self._post(conn, [(i, p) for i, (_, p) in zip(ids, items, strict=True)], found,
                                           tail, claim=False)  # rows of this transaction: no one else sees them
        except StoreUnavailable:
            raise
        except Exception:
            log.exception("mpesa: %d confirmations could not be posted together; stored, each goes one by one",
                          len(items))
            return [(i, FALLBACK) for i in await self._store_all(raws)]
        return list(zip(ids, results, strict=True))

    async def _post(self, conn: DriverHotConnection, items: list[tuple[int, C2BPayment]],
                    found: Sequence[Sequence[Any]], tail: list[str], *, claim: bool) -> list[Result]:
        """Post what matches (``found``: rows of :data:`ACCOUNT_MATCHES`) in the caller's
        transaction; ``tail``: SQL to run with its COMMIT."""
        results: list[Result] = [FALLBACK] * len(items)
        postings, contexts = _matched(items, found)
        if claim and postings:
            claimed = {int(r[0]) for r in await conn.fetch(CLAIM, {"ids": [p.callback_id for p in postings.values()]})}
            for index in [i for i, p in postings.items() if p.callback_id not in claimed]:
                results[index] = TAKEN
                del postings[index]
        outcomes = await self._write(conn, postings, contexts, tail) if postings else {}
        for index, outcome in outcomes.items():
            results[index] = outcome
        return results

    async def _announce(self, results: list[Result]) -> None:
        """Committed: the bus and the screens, for the whole batch at once (the next batch meanwhile)."""
        outcomes = [r for r in results if isinstance(r, Outcome)]
        if outcomes:
            await self.announce(outcomes)

    async def _announce_confirmed(self, results: list[tuple[int, Result]]) -> None:
        await self._announce([result for _, result in results])

    async def _write(self, conn: DriverHotConnection, postings: dict[int, _Posting],
                     contexts: dict[int, _Context], tail: list[str]) -> dict[int, Outcome]:
        ordered = sorted(postings.values(), key=lambda p: p.payment.trans_id)  # one lock order for every worker
        txns = {str(receipt): int(txn_id) for txn_id, receipt in await conn.fetch(INSERT_TRANSACTIONS, {
            "customer_id": [p.match.customer_id for p in ordered], "receipt": [p.payment.trans_id for p in ordered],
            "paid_at": [p.payment.paid_at for p in ordered], "amount": [p.payment.amount for p in ordered],
            "description": [_description(p.payment) for p in ordered]})}
        for index in [i for i, p in postings.items() if p.payment.trans_id not in txns]:
            del postings[index]  # on a statement already: a repeat, or the core system's (the single path says)
        if not postings:
            return {}
        for p in postings.values():
            p.txn_id = txns[p.payment.trans_id]
        customers = sorted({p.match.customer_id for p in postings.values() if p.match.customer_id is not None})
        pending: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)  # customer -> (id, amount), in order
        paid: dict[int, Decimal] = {}
        for customer_id, promise_id, amount, paid_amount in await conn.fetch(PENDING_PROMISES,
                                                                            {"customer_ids": customers}):
            pending[int(customer_id)].append((int(promise_id), amount))
            paid[int(promise_id)] = paid_amount
        updates: dict[int, tuple[Decimal, str, datetime | None, int]] = {}  # each promise's state after the batch
        promises: dict[int, list[PromiseToPay]] = {}
        for index, p in postings.items():  # in arrival order, as one by one
            open_ = [(i, a) for i, a in pending[p.match.customer_id or 0] if paid[i] < a]
            amounts = dict(open_)
            shares = allocate(p.payment.amount, [(i, a, paid[i]) for i, a in open_])
            for share in shares:
                paid[share.promise_id] = share.paid_amount
                status = PromiseStatus.KEPT if share.kept else PromiseStatus.PENDING
                updates[share.promise_id] = (share.paid_amount, status.name,
                                             p.payment.paid_at if share.kept else None, p.txn_id)
            promises[index] = [PromiseToPay(id=s.promise_id, amount=amounts[s.promise_id], paid_amount=s.paid_amount,
                                            status=PromiseStatus.KEPT if s.kept else PromiseStatus.PENDING)
                               for s in shares]
        tail.append(refresh_text(customers))  # the work list's promise state, read after the writes
        return await self._finish(conn, postings, contexts, promises, updates)

    async def _finish(self, conn: DriverHotConnection, postings: dict[int, _Posting], contexts: dict[int, _Context],
                      promises: dict[int, list[PromiseToPay]],
                      updates: dict[int, tuple[Decimal, str, datetime | None, int]]) -> dict[int, Outcome]:
        """The promises, payments, notes and callbacks written in one statement (:data:`WRITE_POSTINGS`)."""
        now, ordered = self.clock(), list(postings.items())
        context = [contexts[p.match.customer_id or 0] for _, p in ordered]
        ids = sorted(updates)
        customer_ids, receipts = [p.match.customer_id for _, p in ordered], [p.payment.trans_id for _, p in ordered]
        callbacks, nows = [p.callback_id for _, p in ordered], [now] * len(ordered)
        call_ids, agent_ids = [c.call_id for c in context], [c.agent_id for c in context]
        payments = {str(receipt): int(pid) for pid, receipt in await conn.fetch(WRITE_POSTINGS, {
            "promise_id": ids, "promise_paid_amount": [updates[i][0] for i in ids],
            "promise_status": [updates[i][1] for i in ids], "promise_settled_at": [updates[i][2] for i in ids],
            "promise_transaction_id": [updates[i][3] for i in ids],
            "receipt": receipts, "callback_id": callbacks, "amount": [p.payment.amount for _, p in ordered],
            "paid_at": [p.payment.paid_at for _, p in ordered], "payer": [p.payment.payer or None for _, p in ordered],
            "msisdn": [p.payment.msisdn or None for _, p in ordered],
            "bill_ref": [p.payment.bill_ref or None for _, p in ordered],
            "customer_id": customer_ids, "how": [p.match.how for _, p in ordered],
            "detail": [p.match.detail[:300] for _, p in ordered], "transaction_id": [p.txn_id for _, p in ordered],
            "call_id": call_ids, "agent_id": agent_ids, "received_at": nows,
            "note_customer_id": customer_ids, "note_agent_id": agent_ids, "note_call_id": call_ids,
            "note_created_at": nows, "note_comments": [_comments(p) for _, p in ordered],
            "note_subject": [f"M-Pesa payment {self.currency} {p.payment.amount:,.2f}" for _, p in ordered],
            "mark_id": callbacks, "mark_receipt": receipts, "now": now})}
        outcomes: dict[int, Outcome] = {}
        for (index, p), c in zip(ordered, context, strict=True):
            row = MpesaPayment(id=payments[p.payment.trans_id], receipt=p.payment.trans_id, source="c2b",
                               callback_id=p.callback_id, amount=p.payment.amount, paid_at=p.payment.paid_at,
                               received_at=now, status="posted", customer_id=p.match.customer_id,
                               match_how=p.match.how, match_detail=p.match.detail, transaction_id=p.txn_id,
                               call_id=c.call_id, agent_id=c.agent_id)
            outcomes[index] = Outcome(row, new_transaction=True, customer_name=c.name,
                                      notify=[u for u in (c.assigned, c.agent) if u], promises=promises[index])
        return outcomes


def _refs(payments: Iterable[C2BPayment]) -> list[str]:
    return sorted({ref for p in payments if (ref := normalise_ref(p.bill_ref))})


def _matched(items: list[tuple[int, C2BPayment]], found: Sequence[Sequence[Any]]
             ) -> tuple[dict[int, _Posting], dict[int, _Context]]:
    """The items an account number matches to exactly one customer, each receipt once; and what
    the posting needs of each customer named."""
    by_ref: dict[str, list[tuple[int, str]]] = defaultdict(list)
    contexts: dict[int, _Context] = {}
    for ref, customer_id, how, *context in found:
        by_ref[str(ref)].append((int(customer_id), str(how)))
        contexts[int(customer_id)] = _Context(*context)
    postings: dict[int, _Posting] = {}
    seen: set[str] = set()
    for index, (callback_id, payment) in enumerate(items):
        match = by_account(payment.bill_ref, by_ref.get(normalise_ref(payment.bill_ref), []))
        if match is None or match.customer_id is None or payment.trans_id in seen:
            continue
        seen.add(payment.trans_id)
        postings[index] = _Posting(callback_id, payment, match)
    return postings, contexts


def _description(payment: C2BPayment) -> str:
    return f"M-Pesa {payment.trans_id}" + (f" from {payment.payer}" if payment.payer else "")[:150]


def _comments(p: _Posting) -> str:
    return (f"Receipt {p.payment.trans_id}; {HOW_WORDS.get(p.match.how, p.match.detail)}"
            + (f"; paid by {p.payment.payer}" if p.payment.payer else "") + ".")
