"""Settling payment requests: Daraja's STK callback, and the query API when the callback is late.

The callback is stored raw before it is answered. A result settles the request once (a repeat
changes nothing): 0 posts the payment as C2B does (receipt as ``external_ref``), any other code
fails the request with the reason in words. A callback that arrives before the push's own answer
was recorded (so no request has its CheckoutRequestID yet) stays stored and is applied as soon
as the sender records the id.

:meth:`Settlement.sweep` runs in every worker: a pending request with no result
``query_after_seconds`` after it was sent is asked about (one worker per query, by a
compare-and-set); still unsettled after ``give_up_after_seconds`` it becomes ``unknown``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from domain.errors import PaymentProviderError, ProtocolViolation
from domain.payments import PAID_CODE, SETTLED, RequestState, result_words
from payments.c2b_protocol import ACCEPTED
from payments.client import DarajaClient
from payments.notify import Notifier
from payments.posting import Incoming, Outcome, post
from payments.requests import request_json
from payments.stk_protocol import StkResult, parse_stk_callback
from store.db import Database
from store.models import Customer, Interaction, PaymentRequest, StatementTransaction
from store.repositories.payment_requests import PaymentRequestRepository
from store.repositories.payments import MpesaRepository

log = logging.getLogger(__name__)
Store = Callable[[str, bytes, str | None], Awaitable[int]]
Announce = Callable[[Outcome], Awaitable[None]]
GAVE_UP = "M-Pesa has not said whether the customer paid. Check the statement before asking again."


class Settlement:
    def __init__(self, database: Database, settings: Settings, *, client: DarajaClient | None, notifier: Notifier,
                 store: Store, announce: Announce, clock: Callable[[], datetime]) -> None:
        self.database, self.settings, self.mpesa = database, settings, settings.mpesa
        self.client, self.notifier, self.store, self.announce = client, notifier, store, announce
        self.clock = clock

    async def on_callback(self, body: bytes, remote: str | None) -> dict[str, Any]:
        callback_id = await self.store("stk_callback", body, remote)
        try:
            result = parse_stk_callback(body)
        except ProtocolViolation as exc:
            log.warning("mpesa: malformed STK callback %d stored and refused: %s", callback_id, exc.message)
            await self._mark(callback_id, "rejected", error=exc.message)
            raise
        try:
            await self.settle(result, callback_id=callback_id)
        except Exception as exc:
            log.exception("mpesa: STK callback %d for %s stored but not applied", callback_id,
                          result.checkout_request_id)
            await self._mark(callback_id, "failed", error=f"{type(exc).__name__}: {exc}",
                             reference=result.checkout_request_id)
        return ACCEPTED

    async def _mark(self, callback_id: int, status: str, *, outcome: str | None = None, error: str | None = None,
                    reference: str | None = None) -> None:
        async with self.database.session() as session:
            await MpesaRepository(session).mark_callback(callback_id, status=status, now=self.clock(),
                                                         outcome=outcome, error=error, reference=reference)

    async def settle(self, result: StkResult, *, callback_id: int | None) -> PaymentRequest | None:
        """Apply one result; None when no request has this CheckoutRequestID yet, or it was settled."""
        now, outcome = self.clock(), None
        async with self.database.session() as session:
            requests, payments = PaymentRequestRepository(session), MpesaRepository(session)
            row = await requests.by_checkout(result.checkout_request_id, for_update=True)
            if row is None or row.state in SETTLED:
                if row is not None and row.state == RequestState.PAID and row.receipt is None and result.receipt:
                    await self._late_receipt(session, row, result.receipt)
                if callback_id is not None:
                    await payments.mark_callback(callback_id, status="received" if row is None else "processed",
                                                 now=now, outcome="no_request_yet" if row is None else "duplicate",
                                                 reference=result.checkout_request_id)
                return None
            if result.code == PAID_CODE:
                outcome = await self._paid(session, row, result, callback_id, now)
                row = await requests.move(row.id, RequestState.PAID, now, receipt=result.receipt,
                                          result_code=result.code, result_desc=result.description) or row
            else:
                reason = result_words(result.code, result.description)
                row = await requests.move(row.id, RequestState.FAILED, now, reason=reason, result_code=result.code,
                                          result_desc=result.description) or row
                session.add(Interaction(
                    customer_id=row.customer_id, channel="mpesa", direction="outbound", operator_id=row.agent_id,
                    call_id=row.call_id, created_at=now, activity_type="M-Pesa request", complete=True,
                    subject=f"Payment request of {self.settings.currency} {row.amount:,.2f} not paid",
                    comments=reason))
            if callback_id is not None:
                await payments.mark_callback(callback_id, status="processed", now=now, outcome=row.state.value,
                                             reference=result.checkout_request_id)
            customer = await session.get(Customer, row.customer_id)
            names = await payments.usernames([row.agent_id])
        if outcome is not None:
            await self.announce(outcome)
        await self.notifier.request(names.get(row.agent_id or 0), request_json(
            row, customer.name if customer else None, self.settings.currency))
        return row

    async def _paid(self, session: AsyncSession, row: PaymentRequest, result: StkResult, callback_id: int | None,
                    now: datetime) -> Outcome | None:
        """Post the payment of a paid request (the query API gives no receipt: then the checkout id
        stands in for it until the callback brings the receipt)."""
        receipt = result.receipt or row.checkout_request_id or f"SB-REQ-{row.id}"
        if await MpesaRepository(session).payment_by_receipt(receipt) is not None:
            return None  # already posted (the same receipt came through C2B)
        incoming = Incoming(receipt=receipt[:32], amount=result.amount or row.amount, paid_at=result.paid_at or now,
                            source="stk", msisdn=result.phone, bill_ref=row.account_reference,
                            callback_id=callback_id, request_id=row.id)
        return await post(session, incoming, customer_id=row.customer_id, how="payment_request",
                          detail=f"payment request {row.id}", now=now, currency=self.settings.currency,
                          agent_id=row.agent_id, call_id=row.call_id)

    async def _late_receipt(self, session: AsyncSession, row: PaymentRequest, receipt: str) -> None:
        """A request the query API settled as paid: the callback's receipt replaces the stand-in."""
        payment = await MpesaRepository(session).payment_by_receipt(row.checkout_request_id or "")
        row.receipt = receipt
        if payment is not None and await MpesaRepository(session).payment_by_receipt(receipt) is None:
            payment.receipt = receipt
            if payment.transaction_id is not None:
                txn = await session.get(StatementTransaction, payment.transaction_id)
                if txn is not None:
                    txn.receipt_code = receipt

    async def apply_stored(self, checkout_request_id: str) -> None:
        """Callbacks that came before the push's answer was recorded, applied now."""
        async with self.database.session() as session:
            waiting = await MpesaRepository(session).callbacks(kinds=["stk_callback"], statuses=["received"],
                                                               reference=checkout_request_id)
            bodies = [(row.id, bytes(row.body)) for row in waiting]
        for callback_id, body in bodies:
            try:
                await self.settle(parse_stk_callback(body), callback_id=callback_id)
            except ProtocolViolation:
                continue

    # --- the sweep ------------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Ask M-Pesa about the requests whose callback is late; returns how many were settled."""
        now = self.clock()
        async with self.database.session() as session:
            late = await PaymentRequestRepository(session).overdue(
                sent_before=now - timedelta(seconds=self.mpesa.query_after_seconds),
                queried_before=now - timedelta(seconds=self.mpesa.query_every_seconds), limit=50)
        settled = 0
        for row in late:
            settled += await self._look_at(row, now)
        return settled

    async def _look_at(self, row: PaymentRequest, now: datetime) -> int:
        age = (now - (row.sent_at or row.created_at)).total_seconds()
        if row.checkout_request_id is None or age > self.mpesa.give_up_after_seconds or self.client is None:
            reason = GAVE_UP if row.checkout_request_id else "M-Pesa's answer to the request never arrived. " + GAVE_UP
            async with self.database.session() as session:
                moved = await PaymentRequestRepository(session).move(row.id, RequestState.UNKNOWN, now, reason=reason)
                names = await MpesaRepository(session).usernames([row.agent_id])
                customer = await session.get(Customer, row.customer_id)
            if moved is not None:
                await self.notifier.request(names.get(row.agent_id or 0), request_json(
                    moved, customer.name if customer else None, self.settings.currency))
            return 0
        async with self.database.session() as session:
            if not await PaymentRequestRepository(session).claim_query(row, now):
                return 0
        try:
            answer = await self.client.stk_query(row.checkout_request_id)
        except PaymentProviderError as exc:
            log.warning("mpesa: query of request %d failed (%s); asking again later", row.id, exc.message)
            return 0
        if answer.processing or answer.result is None:
            return 0
        return int(await self.settle(answer.result, callback_id=None) is not None)
