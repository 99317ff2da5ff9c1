"""A matched M-Pesa payment becomes money on the account, in one unit of work:

* a statement transaction of kind ``mpesa_deposit`` with the receipt as ``external_ref`` (so the
  statement's idempotency holds: a receipt is posted once, whoever brings it), applied to the
  customer's pending promises by :class:`~store.repositories.accounts.AccountsRepository`;
* the :class:`~store.models.MpesaPayment` row saying how it was matched;
* an ``mpesa`` activity in the history, linked to the call live at that moment and its agent.

After the commit the caller publishes :meth:`Outcome.event` (``PaymentReceived``: the promise,
dialer and wallboard logic reacts to it) and pushes :meth:`Outcome.frame` to the agents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Conflict
from domain.events import PaymentReceived
from payments.matching import Match
from store.models import Customer, Interaction, MpesaPayment, PromiseStatus, PromiseToPay, TxnDirection
from store.repositories.accounts import AccountsRepository, TransactionInput
from store.repositories.payments import MpesaRepository

KIND = "mpesa_deposit"
CHANNEL = "mpesa"
HOW_WORDS = {"client_id": "matched by the client ID", "loan_account": "matched by the loan account number",
             "phone": "matched by the payer's phone", "phone_hash": "matched by the payer's (hashed) phone",
             "payment_request": "paid on the agent's payment request", "supervisor": "assigned by a supervisor"}


@dataclass(frozen=True, slots=True)
class Incoming:
    receipt: str
    amount: Decimal
    paid_at: datetime
    source: str  # c2b, stk
    payer: str | None = None
    msisdn: str | None = None
    bill_ref: str | None = None
    callback_id: int | None = None
    request_id: int | None = None


@dataclass
class Outcome:
    payment: MpesaPayment
    new_transaction: bool = False
    customer_name: str | None = None
    notify: list[str] = field(default_factory=list)  # usernames whose screens get the frame
    promises: list[PromiseToPay] = field(default_factory=list)
    was_suspense: bool = False  # posted from suspense (the supervisors' list loses it)

    @property
    def posted(self) -> bool:
        return self.payment.status == "posted"

    def event(self) -> PaymentReceived | None:
        """``PaymentReceived`` for a payment that reached the statement now (None for a repeat)."""
        if not (self.posted and self.new_transaction and self.payment.customer_id is not None):
            return None
        return PaymentReceived(customer_id=self.payment.customer_id, amount=f"{self.payment.amount:.2f}",
                               reference=self.payment.receipt)

    def frame(self, currency: str) -> dict[str, Any]:
        p = self.payment
        return {"id": p.id, "customer_id": p.customer_id, "customer_name": self.customer_name,
                "amount": f"{p.amount:.2f}", "currency": currency, "receipt": p.receipt, "source": p.source,
                "status": p.status, "how": p.match_how, "how_text": HOW_WORDS.get(p.match_how, p.match_detail),
                "call_id": p.call_id, "request_id": p.request_id, "paid_at": p.paid_at.isoformat(),
                "promises": [{"id": x.id, "status": x.status.value, "paid_amount": f"{x.paid_amount:.2f}",
                              "amount": f"{x.amount:.2f}"} for x in self.promises],
                "kept": sum(1 for x in self.promises if x.status == PromiseStatus.KEPT)}


def _row(incoming: Incoming, now: datetime) -> MpesaPayment:
    return MpesaPayment(receipt=incoming.receipt, source=incoming.source, callback_id=incoming.callback_id,
                        amount=incoming.amount, paid_at=incoming.paid_at, received_at=now,
                        payer=(incoming.payer or None) and incoming.payer[:200], msisdn=incoming.msisdn,
                        bill_ref=incoming.bill_ref, request_id=incoming.request_id, candidates=[])


async def to_suspense(session: AsyncSession, incoming: Incoming, match: Match, now: datetime) -> Outcome:
    row = _row(incoming, now)
    row.status, row.customer_id, row.match_how = "suspense", None, match.how
    row.match_detail, row.candidates = match.detail[:300], list(match.candidates)
    session.add(row)
    await session.flush()
    return Outcome(row)


async def post(session: AsyncSession, incoming: Incoming, *, customer_id: int, how: str, detail: str,
               now: datetime, currency: str, agent_id: int | None = None, call_id: str | None = None,
               suspended: MpesaPayment | None = None) -> Outcome:
    """Post ``incoming`` to the customer (``suspended``: the suspense row being assigned)."""
    repo = MpesaRepository(session)
    if call_id is None:
        live = await repo.live_call(customer_id)
        if live is not None:
            call_id, agent_id = live
    txn_input = TransactionInput(
        external_ref=incoming.receipt, posted_at=incoming.paid_at, direction=TxnDirection.CREDIT, kind=KIND,
        amount=incoming.amount, receipt_code=incoming.receipt,
        description=f"M-Pesa {incoming.receipt}" + (f" from {incoming.payer}" if incoming.payer else "")[:150])
    try:
        posted = await AccountsRepository(session).add_transaction(customer_id, txn_input)
    except Conflict:
        clash = Match(None, "receipt_conflict", f"receipt {incoming.receipt} is already on another customer's "
                      "statement", (customer_id,))
        if suspended is not None:
            raise
        return await to_suspense(session, incoming, clash, now)
    row = suspended if suspended is not None else _row(incoming, now)
    row.status, row.customer_id, row.match_how, row.match_detail = "posted", customer_id, how, detail[:300]
    row.transaction_id, row.call_id, row.agent_id = posted.txn.id, call_id, agent_id
    if suspended is None:
        session.add(row)
    customer = await session.get(Customer, customer_id)
    session.add(Interaction(
        customer_id=customer_id, channel=CHANNEL, direction="inbound", operator_id=agent_id, call_id=call_id,
        created_at=now, activity_type="M-Pesa payment", complete=True,
        subject=f"M-Pesa payment {currency} {incoming.amount:,.2f}",
        comments=f"Receipt {incoming.receipt}; {HOW_WORDS.get(how, detail)}"
                 + (f"; paid by {incoming.payer}" if incoming.payer else "") + "."))
    await session.flush()
    names = await repo.usernames([customer.assigned_agent_id if customer else None, agent_id])
    notify = [names[i] for i in (customer.assigned_agent_id if customer else None, agent_id) if i in names]
    return Outcome(row, posted.created, customer.name if customer else None, notify, posted.promises,
                   was_suspense=suspended is not None)
