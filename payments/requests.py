"""Payment requests (M-Pesa Express / STK push) from the desktop, up to the push.

``create`` checks, in one unit of work, that the customer has no pending request, that the number
is the customer's own and the compliance gate allows it (pack hours, N a day), works out the
amount (the open promise's unpaid part, else the overdue amount, unless the agent gave one) and
stores the request as ``sent`` before anything leaves. Then the push goes to Daraja once: its
answer moves the request to ``waiting_pin``, ``failed`` or ``unknown``. It is never sent again.
Settling (callback, query) is :mod:`payments.settle`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from config.settings import Settings
from domain.compliance import Pack, customer_zone, raise_if_blocked
from domain.compliance.payment_requests import PaymentRequestContext, Whose, check_payment_request
from domain.errors import (
    Conflict,
    InvalidInput,
    PaymentOutcomeUnknown,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
)
from domain.payments import STATE_WORDS, RequestState
from domain.phone import require_e164
from payments.client import DarajaClient
from payments.notify import Notifier
from payments.stk_protocol import PushAccepted, StkPush
from store.db import Database
from store.models import Customer, Loan, PaymentRequest, PromiseStatus, PromiseToPay, User
from store.repositories.customers import get_customer
from store.repositories.payment_requests import PaymentRequestRepository

log = logging.getLogger(__name__)
NOT_SENT = "M-Pesa could not be reached, so nothing was sent to the phone. Try again in a moment."
ANSWER_LOST = ("M-Pesa did not answer the request: the phone may show it or not. Check the statement before "
               "asking again.")


def masked(e164: str) -> str:
    return e164[:5] + "•" * max(0, len(e164) - 8) + e164[-3:] if len(e164) > 8 else e164


def request_json(row: PaymentRequest, customer_name: str | None, currency: str) -> dict[str, Any]:
    """A request as the desktop shows it: the state in words, the receipt once paid."""
    text = STATE_WORDS[row.state]
    if row.state == RequestState.PAID:
        text = f"Paid {currency} {row.amount:,.2f}" + (f", receipt {row.receipt}." if row.receipt else ".")
    elif row.state in (RequestState.FAILED, RequestState.UNKNOWN) and row.reason:
        text = row.reason
    return {"id": row.id, "customer_id": row.customer_id, "customer_name": customer_name, "state": row.state.value,
            "state_text": text, "amount": f"{row.amount:.2f}", "currency": currency, "phone": masked(row.phone),
            "receipt": row.receipt, "reason": row.reason, "call_id": row.call_id,
            "created_at": row.created_at.isoformat(),
            "settled_at": row.settled_at.isoformat() if row.settled_at else None}


def account_reference(customer: Customer) -> str:
    """Daraja's AccountReference (at most 12 characters): the client ID, else ``SB<id>``."""
    client = "".join((customer.client_id or "").split())
    return client[:12] if client else f"SB{customer.id}"[:12]


def whose_number(customer: Customer, e164: str) -> Whose:
    if any(p.e164 == e164 for p in customer.phones):
        return "customer"
    for contact in customer.contacts:
        if contact.phone_e164 == e164:
            return contact.relation.value
    return "unknown"


async def suggested_amount(session: AsyncSession, customer_id: int) -> Decimal:
    """The open promise's unpaid part (earliest due first), else the overdue amount of the active loans."""
    promise = await session.scalar(
        select(PromiseToPay).where(PromiseToPay.customer_id == customer_id,
                                   PromiseToPay.status == PromiseStatus.PENDING)
        .order_by(PromiseToPay.due_date, PromiseToPay.id).limit(1))
    if promise is not None and promise.amount > promise.paid_amount:
        return promise.amount - promise.paid_amount
    overdue = await session.scalar(select(func.coalesce(func.sum(Loan.overdue_amount), 0)).where(
        Loan.customer_id == customer_id, Loan.status == "active"))
    return Decimal(str(overdue or 0))


def whole_shillings(amount: Decimal, limit: int, *, given: bool) -> int:
    if amount <= 0:
        raise InvalidInput("Nothing is owed: enter the amount to request.", {"amount": "must be at least 1"})
    if given and amount != amount.to_integral_value():
        raise InvalidInput("M-Pesa takes whole shillings: enter the amount without cents.",
                           {"amount": "must be a whole number of shillings"})
    whole = math.ceil(amount)
    if whole > limit:
        raise InvalidInput(f"M-Pesa takes at most {limit:,} shillings in one payment.",
                           {"amount": f"must be at most {limit}"})
    return whole


class PaymentRequests:
    def __init__(self, database: Database, settings: Settings, *, client: DarajaClient | None, pack: Pack,
                 notifier: Notifier, clock: Callable[[], datetime]) -> None:
        self.database, self.settings, self.mpesa = database, settings, settings.mpesa
        self.client, self.pack, self.notifier, self.clock = client, pack, notifier, clock
        self.on_checkout: Callable[[str], Awaitable[None]] | None = None  # callbacks that beat the push's answer

    def require_ready(self) -> DarajaClient:
        if self.client is None or not self.mpesa.stk_ready:
            raise Conflict("M-Pesa payment requests are not set up on this server.",
                           {"feature": "mpesa", "missing": self.mpesa.missing_for_stk()})
        return self.client

    @property
    def callback_url(self) -> str:
        token = self.mpesa.callback_token.get_secret_value()
        return f"{self.settings.public_url.rstrip('/')}/webhooks/mpesa/stk/{token}"

    async def create(self, customer_id: int, agent: User, *, amount: Decimal | None,
                     phone: str | None) -> PaymentRequest:
        client = self.require_ready()
        now = self.clock()
        try:
            async with self.database.session() as session:
                row, name = await self._store(session, customer_id, agent, amount, phone, now)
        except IntegrityError as exc:  # a concurrent request for the same customer took the slot first
            raise Conflict("A payment request to this customer is already waiting for the PIN.",
                           {"customer_id": customer_id}) from exc
        await self.notifier.request(agent.username, request_json(row, name, self.settings.currency))
        return await self._send(client, row, name, agent.username)

    async def _store(self, session: AsyncSession, customer_id: int, agent: User, amount: Decimal | None,
                     phone: str | None, now: datetime) -> tuple[PaymentRequest, str]:
        repo = PaymentRequestRepository(session)
        pending = await repo.pending_for(customer_id)
        if pending is not None:
            raise Conflict(f"A payment request to this customer is already waiting for the PIN (sent at "
                           f"{pending.created_at:%H:%M} UTC); wait for its answer.", {"request_id": pending.id})
        customer = await get_customer(session, customer_id, with_children=True)
        if phone is None and not customer.phones:
            raise InvalidInput("The customer has no phone number on record.", {"phone": "no number"})
        target = customer.phones[0].e164 if phone is None else require_e164(phone, self.settings.default_region)
        earlier = await repo.sent_since(customer_id, now - timedelta(days=2))
        ctx = PaymentRequestContext(now=now, timezone=customer_zone(customer.timezone, self.settings.timezone),
                                    whose=whose_number(customer, target),
                                    max_per_day=self.mpesa.max_requests_per_day, earlier=tuple(earlier))
        raise_if_blocked(check_payment_request(self.pack, ctx))
        due = amount if amount is not None else await suggested_amount(session, customer_id)
        whole = whole_shillings(due, self.mpesa.max_amount, given=amount is not None)
        row = await repo.create(customer_id=customer_id, agent_id=agent.id, call_id=await repo.agent_call(agent.id),
                                phone=target, amount=Decimal(whole), account_reference=account_reference(customer),
                                now=now)
        return row, customer.name

    async def _send(self, client: DarajaClient, row: PaymentRequest, name: str, username: str) -> PaymentRequest:
        push = StkPush(self.mpesa.shortcode, self.mpesa.passkey.get_secret_value(), int(row.amount), row.phone,
                       self.callback_url, row.account_reference, self.mpesa.transaction_desc)
        accepted: PushAccepted | None = None
        target, values = RequestState.UNKNOWN, {"reason": ANSWER_LOST}
        try:
            accepted = await client.stk_push(push)
            target, values = RequestState.WAITING_PIN, {"merchant_request_id": accepted.merchant_request_id,
                                                         "checkout_request_id": accepted.checkout_request_id}
        except PaymentProviderUnavailable:
            target, values = RequestState.FAILED, {"reason": NOT_SENT}
        except PaymentProviderRejected as exc:
            target, values = RequestState.FAILED, {"reason": exc.message}
        except PaymentOutcomeUnknown:
            log.warning("mpesa: the answer to payment request %d was lost; it is not sent again", row.id)
        except Exception:  # never send twice: whatever happened, this request is done with Daraja
            log.exception("mpesa: payment request %d failed unexpectedly while sending", row.id)
        async with self.database.session() as session:
            moved = await PaymentRequestRepository(session).move(row.id, target, self.clock(), **values)
        if moved is None:  # a callback settled it first
            return await self.get(row.id) or row
        await self.notifier.request(username, request_json(moved, name, self.settings.currency))
        if accepted is not None and self.on_checkout is not None:
            await self.on_checkout(accepted.checkout_request_id)
        return moved

    async def get(self, request_id: int) -> PaymentRequest | None:
        async with self.database.session() as session:
            return await PaymentRequestRepository(session).get(request_id)

    async def overview(self, customer_id: int) -> dict[str, Any]:
        """What the desktop needs before asking: on or off, the suggested amount, the recent requests."""
        async with self.database.session() as session:
            customer = await session.get(Customer, customer_id)
            amount = await suggested_amount(session, customer_id)
            recent = await PaymentRequestRepository(session).recent(customer_id)
        name = customer.name if customer else None
        return {"enabled": self.client is not None and self.mpesa.stk_ready,
                "missing": self.mpesa.missing_for_stk(),
                "suggested_amount": str(math.ceil(amount)) if amount > 0 else None,
                "items": [request_json(r, name, self.settings.currency) for r in recent]}
