"""C2B: Daraja's validation and confirmation webhooks, suspense, and replay.

Each callback is stored raw (its own commit) before anything else, so nothing Safaricom sent is
lost when the body is malformed, matching finds no one, or processing has a bug; ``replay`` runs
matching again over what is stored. A confirmation is idempotent by ``TransID``: a repeat changes
nothing and is still answered ``ResultCode 0``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.mpesa_settings import MpesaSettings
from domain.errors import Conflict, InvalidInput, NotFound, ProtocolViolation, StoreUnavailable, SwitchboardError
from domain.events import Event
from payments.batch_c2b import TAKEN, BatchC2B, Result
from payments.c2b_protocol import ACCEPTED, C2BPayment, parse_c2b, rejected
from payments.fast_c2b import FALLBACK, FastC2B
from payments.matching import Matcher, normalise_ref
from payments.notify import Notifier
from payments.posting import Incoming, Outcome, post, to_suspense
from store.db import Database
from store.models import Customer, MpesaPayment, User
from store.repositories.audit import AuditLog
from store.repositories.payments import MpesaRepository, store_callback
from store.repositories.payments_batch import UNPOSTED

log = logging.getLogger(__name__)
RECOVER_AFTER_SECONDS = 30.0
RECOVER_EVERY_SECONDS = 60.0
Publish = Callable[[Sequence[Event]], Awaitable[None]]  # a batch in one round trip where the bus has it


@dataclass
class ReplayReport:
    seen: int = 0
    posted: int = 0
    suspense: int = 0
    unchanged: int = 0
    rejected: int = 0
    failed: int = 0

    def processed(self, outcome: Outcome | None) -> None:
        """Count what :meth:`C2BService.process` gave: posted, in suspense, or already there."""
        self.posted += bool(outcome and outcome.posted)
        self.suspense += bool(outcome and not outcome.posted)
        self.unchanged += outcome is None


def _well_formed(body: bytes) -> C2BPayment | None:
    """The confirmation, or None for a malformed body (stored, then refused with the reason)."""
    try:
        return parse_c2b(body)
    except ProtocolViolation:
        return None


def incoming_of(payment: C2BPayment, callback_id: int | None) -> Incoming:
    return Incoming(receipt=payment.trans_id, amount=payment.amount, paid_at=payment.paid_at, source="c2b",
                    payer=payment.payer or None, msisdn=payment.msisdn or None, bill_ref=payment.bill_ref or None,
                    callback_id=callback_id)



def _said(outcome: Outcome | None, existing: MpesaPayment | None, callback_id: int) -> str:
    """A callback's outcome: what became of its payment; "duplicate" only for another callback of
    a receipt already there (recovery and a live request may both reach the same callback)."""
    if outcome is not None:
        return outcome.payment.status
    if existing is not None and existing.callback_id == callback_id:
        return existing.status
    return "duplicate"

class C2BService:
    def __init__(self, database: Database, settings: MpesaSettings, *, region: str, currency: str,
                 notifier: Notifier, publish: Publish, clock: Callable[[], datetime]) -> None:
        self.database, self.settings = database, settings
        self.matcher = Matcher(region)
        self.currency, self.notifier, self.publish, self.clock = currency, notifier, publish, clock
        self.fast: FastC2B | None = None  # PostgreSQL: the common case on asyncpg directly
        self.batch: BatchC2B | None = None  # PostgreSQL: concurrent requests stored and posted together

    async def store(self, kind: str, body: bytes, remote: str | None) -> int:
        """The raw callback, committed before the caller answers anything."""
        if self.batch is not None:
            return await self.batch.store(kind, body, remote)
        if self.fast is not None:
            return await self.fast.store(kind, body, remote)
        async with self.database.autocommit() as connection:
            return await store_callback(connection, kind, body, remote, self.clock())

    async def mark(self, callback_id: int, status: str, *, outcome: str | None = None, error: str | None = None,
                   reference: str | None = None) -> None:
        async with self.database.session() as session:
            await MpesaRepository(session).mark_callback(callback_id, status=status, now=self.clock(),
                                                         outcome=outcome, error=error, reference=reference)

    async def _parse(self, callback_id: int, body: bytes) -> C2BPayment:
        try:
            return parse_c2b(body)
        except ProtocolViolation as exc:
            log.warning("mpesa: malformed C2B callback %d stored and refused: %s %s", callback_id, exc.message,
                        exc.details)
            await self.mark(callback_id, "rejected", error=exc.message)
            raise

    # --- webhooks -----------------------------------------------------------------------------------

    async def validate(self, body: bytes, remote: str | None) -> dict[str, Any]:
        """Accept everything, unless set to refuse an account number that is no one's."""
        callback_id = await self.store("c2b_validation", body, remote)
        payment = await self._parse(callback_id, body)
        answer = ACCEPTED
        if self.settings.reject_unknown_accounts:
            reference = normalise_ref(payment.bill_ref)
            async with self.database.session() as session:
                known = bool(reference) and bool(await MpesaRepository(session).customers_by_account(reference))
            answer = ACCEPTED if known else rejected()
        await self.mark(callback_id, "processed", outcome="accepted" if answer is ACCEPTED else "rejected",
                        reference=payment.trans_id)
        return answer

    async def confirm(self, body: bytes, remote: str | None) -> dict[str, Any]:
        if self.batch is not None and (payment := _well_formed(body)) is not None:
            callback_id, batched = await self.batch.confirm(body, remote, payment)  # stored, most often posted
            await self._settle(callback_id, payment, batched)
            return ACCEPTED
        callback_id = await self.store("c2b_confirmation", body, remote)
        payment = await self._parse(callback_id, body)
        await self._settle(callback_id, payment)
        return ACCEPTED

    async def _settle(self, callback_id: int, payment: C2BPayment,
                      batched: Result | None = None) -> tuple[Outcome | None, bool]:
        """Process a stored confirmation; a failure is logged and marked (``replay`` finishes it),
        never raised: (the outcome, whether it failed)."""
        try:
            return await self.process(callback_id, payment, batched), False
        except Exception as exc:  # stored: `switchboard mpesa replay` finishes it
            log.exception("mpesa: confirmation %s (callback %d) stored but not processed", payment.trans_id,
                          callback_id)
            try:
                await self.mark(callback_id, "failed", error=f"{type(exc).__name__}: {exc}", reference=payment.trans_id)
            except Exception:
                log.exception("mpesa: could not mark callback %d as failed", callback_id)
            return None, True

    async def process(self, callback_id: int | None, payment: C2BPayment,
                      batched: Result | None = None) -> Outcome | None:
        """Match and post (or suspend) one confirmation; None when its receipt was already there
        (or, batched, when another worker holds or has posted its callback). ``batched``: what
        its batch already made of it (else a stored callback is batched here)."""
        if batched is None and self.batch is not None and callback_id is not None:
            batched = await self.batch.post(callback_id, payment)
        if batched is TAKEN:
            return None
        if isinstance(batched, Outcome):  # announced with its batch
            return batched
        if self.fast is not None:
            try:
                fast = await self.fast.process(callback_id, payment)
            except StoreUnavailable:
                raise
            except SwitchboardError as exc:
                log.warning("mpesa: fast path refused %s (%s %s); the ORM path takes it", payment.trans_id,
                            exc.message, exc.details)
                fast = FALLBACK
            if isinstance(fast, Outcome):
                await self.announce(fast)
                return fast
        incoming = incoming_of(payment, callback_id)
        for attempt in (1, 2):
            try:
                async with self.database.session() as session:
                    repo = MpesaRepository(session)
                    now = self.clock()
                    outcome: Outcome | None = None
                    existing = await repo.payment_by_receipt(incoming.receipt)
                    if existing is None:
                        match = await self.matcher.match(session, payment.bill_ref, payment.msisdn)
                        if match.customer_id is not None:
                            outcome = await post(session, incoming, customer_id=match.customer_id, how=match.how,
                                                 detail=match.detail, now=now, currency=self.currency)
                        else:
                            outcome = await to_suspense(session, incoming, match, now)
                    if callback_id is not None:
                        await repo.mark_callback(callback_id, status="processed", now=now,
                                                 outcome=_said(outcome, existing, callback_id),
                                                 reference=incoming.receipt)
                break
            except IntegrityError:  # the same receipt stored by a concurrent confirmation: a repeat
                if attempt == 2:
                    raise
        if outcome is not None:
            await self.announce(outcome)
        return outcome

    async def announce_batch(self, outcomes: list[Outcome]) -> None:
        """A batch just posted (never suspense): all the frames in one outbox write and, meanwhile,
        the ``PaymentReceived`` events in one bus round trip (one connection: a batch's events
        published each on its own connection at once would empty the Redis connection pool, and
        the ones refused would be lost)."""
        events = [event for o in outcomes if (event := o.event()) is not None]
        await asyncio.gather(self.publish(events), self.notifier.payments(
            [(o.notify, o.frame(self.currency)) for o in outcomes]))

    async def announce(self, outcome: Outcome) -> None:
        event = outcome.event()
        said = [self.publish([event])] if event is not None else []
        if outcome.posted:  # the bus and the agents' screens at once (independent round trips)
            said.append(self.notifier.payment(outcome.notify, outcome.frame(self.currency)))
        await asyncio.gather(*said)
        if outcome.posted and not outcome.was_suspense:
            return
        async with self.database.session() as session:
            data = (await suspense_json(session, [outcome.payment]))[0]
        await self.notifier.suspense(data)

    # --- suspense -----------------------------------------------------------------------------------

    async def suspense(self, *, limit: int, offset: int) -> list[dict[str, Any]]:
        async with self.database.session() as session:
            rows = await MpesaRepository(session).suspense(limit=limit, offset=offset)
            return await suspense_json(session, rows)

    async def assign(self, payment_id: int, customer_id: int, supervisor: User) -> Outcome:
        """Post a payment from suspense to the customer the supervisor chose."""
        async with self.database.session() as session:
            repo = MpesaRepository(session)
            row = await repo.payment(payment_id, for_update=True)
            if row is None:
                raise NotFound(f"no M-Pesa payment {payment_id}", {"id": str(payment_id)})
            if row.status != "suspense":
                raise Conflict("This payment is not in suspense: it was already posted to a customer.",
                               {"status": row.status, "customer_id": row.customer_id})
            if await session.get(Customer, customer_id) is None:
                raise InvalidInput(f"no customer {customer_id}", {"customer_id": "no such customer"})
            incoming = Incoming(row.receipt, row.amount, row.paid_at, row.source, row.payer, row.msisdn,
                                row.bill_ref, row.callback_id, row.request_id)
            outcome = await post(session, incoming, customer_id=customer_id, how="supervisor",
                                 detail=f"assigned from suspense by {supervisor.username}", now=self.clock(),
                                 currency=self.currency, suspended=row)
            row.assigned_by_id, row.assigned_at = supervisor.id, self.clock()
            AuditLog(session, supervisor.id).record("assign", "mpesa_payment", row.id, customer_id=customer_id,
                                                    details={"receipt": row.receipt, "amount": f"{row.amount:.2f}"})
        await self.announce(outcome)
        return outcome

    # --- recovery and replay ------------------------------------------------------------------------

    async def recover(self, *, older_than: float = RECOVER_AFTER_SECONDS, batch: int = 500) -> ReplayReport:
        """Post the confirmations stored but never processed (the process stopped between the
        store and the posting), once they are ``older_than`` seconds (a younger one is likely still
        in its request). Safe with several workers: the batch claims each callback, and a receipt
        is posted once."""
        report, after = ReplayReport(), 0
        params = {"before": self.clock() - timedelta(seconds=older_than), "limit": batch}
        while True:
            async with self.database.hot() as hot:
                stored = [(int(i), bytes(b)) for i, b in await hot.fetch(UNPOSTED, {**params, "after": after})]
            for callback_id, body in stored:
                after, report.seen = callback_id, report.seen + 1
                try:
                    payment = await self._parse(callback_id, body)
                except ProtocolViolation:
                    report.rejected += 1
                    continue
                outcome, failed = await self._settle(callback_id, payment)
                if failed:
                    report.failed += 1
                else:
                    report.processed(outcome)
            if len(stored) < batch:
                if report.seen:
                    log.warning("mpesa: recovered the confirmations stored but never processed: %s", report)
                return report

    async def recover_forever(self, every: float = RECOVER_EVERY_SECONDS) -> None:
        """At start, then every ``every`` s (under the supervisor, which logs and restarts it)."""
        while True:
            await self.recover()
            await asyncio.sleep(every)


    async def replay(self, *, ids: list[int] | None = None, batch: int = 500) -> ReplayReport:
        """Run matching again over the stored confirmations: those never processed (or failed) are
        processed; those in suspense are matched again and posted if they now match someone."""
        report, after = ReplayReport(), 0
        while True:
            async with self.database.session() as session:
                rows = await MpesaRepository(session).callbacks(kinds=["c2b_confirmation"], ids=ids, limit=batch,
                                                                after_id=after)
                stored = [(row.id, row.body, row.status) for row in rows]
            if not stored:
                return report
            for callback_id, body, status in stored:
                after = callback_id
                report.seen += 1
                await self._replay_one(callback_id, bytes(body), status, report)

    async def _replay_one(self, callback_id: int, body: bytes, status: str, report: ReplayReport) -> None:
        try:
            payment = parse_c2b(body)
        except ProtocolViolation:
            report.rejected += 1
            return
        try:
            async with self.database.session() as session:
                existing = await MpesaRepository(session).payment_by_receipt(payment.trans_id)
                state = None if existing is None else existing.status
            if state is None:
                report.processed(await self.process(callback_id, payment))
            elif state == "suspense":
                posted = await self._rematch(payment)
                report.posted += posted
                report.suspense += not posted
            else:
                report.unchanged += 1
        except Exception:
            log.exception("mpesa: replay of callback %d (was %s) failed", callback_id, status)
            report.failed += 1

    async def _rematch(self, payment: C2BPayment) -> bool:
        async with self.database.session() as session:
            repo = MpesaRepository(session)
            row = await repo.payment_by_receipt(payment.trans_id)
            if row is None or row.status != "suspense":
                return False
            match = await self.matcher.match(session, payment.bill_ref, payment.msisdn)
            if match.customer_id is None:
                row.match_how, row.match_detail, row.candidates = match.how, match.detail[:300], list(match.candidates)
                return False
            outcome = await post(session, incoming_of(payment, row.callback_id), customer_id=match.customer_id,
                                 how=match.how, detail=match.detail, now=self.clock(), currency=self.currency,
                                 suspended=row)
        await self.announce(outcome)
        return True


async def suspense_json(session: AsyncSession, rows: list[MpesaPayment]) -> list[dict[str, Any]]:
    """Suspense rows for the supervisor, with the candidate customers' names."""
    wanted = {cid for row in rows for cid in (row.candidates or [])}
    names: dict[int, tuple[str, str | None]] = {}
    if wanted:
        found = await session.execute(select(Customer.id, Customer.name, Customer.client_id)
                                      .where(Customer.id.in_(wanted)))
        names = {int(i): (str(n), c) for i, n, c in found.tuples()}
    return [{"id": r.id, "receipt": r.receipt, "amount": f"{r.amount:.2f}", "paid_at": r.paid_at.isoformat(),
             "received_at": r.received_at.isoformat(), "payer": r.payer, "msisdn": r.msisdn, "bill_ref": r.bill_ref,
             "status": r.status, "how": r.match_how, "detail": r.match_detail, "customer_id": r.customer_id,
             "candidates": [{"id": cid, "name": names[cid][0], "client_id": names[cid][1]}
                            for cid in (r.candidates or []) if cid in names]} for r in rows]
