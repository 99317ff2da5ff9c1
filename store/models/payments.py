"""M-Pesa: every raw callback Safaricom sent, the payments they carried (posted or in suspense),
payment requests (STK push) with their state, and the SHA-256 of customer phones (Daraja may send
the payer's number hashed)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from domain.payments import RequestState
from store.models.accounts import Loan
from store.models.base import Base, IntPk, Money, utcnow
from store.models.people import Customer


class MpesaCallback(Base):
    """A callback exactly as it arrived, stored before it is answered: nothing Safaricom sent is
    lost, whatever matching does with it (``switchboard mpesa replay`` runs matching again)."""

    __tablename__ = "mpesa_callbacks"
    __table_args__ = (Index("ix_mpesa_callbacks_status_kind", "status", "kind"),)

    id: Mapped[IntPk]
    kind: Mapped[str] = mapped_column(String(24))  # c2b_validation, c2b_confirmation, stk_callback
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    reference: Mapped[str | None] = mapped_column(String(64), index=True)  # TransID or CheckoutRequestID
    status: Mapped[str] = mapped_column(String(16), default="received")  # received, processed, rejected, failed
    outcome: Mapped[str | None] = mapped_column(String(32))  # posted, suspense, duplicate, paid, failed ...
    error: Mapped[str | None] = mapped_column(String(300))
    processed_at: Mapped[datetime | None]


class MpesaPayment(Base):
    """One M-Pesa payment (its receipt is unique), posted to a customer or waiting in suspense.

    ``match_how`` says how it was matched (client_id, loan_account, phone, phone_hash,
    payment_request, supervisor); ``call_id``/``agent_id`` name the call live when it was posted."""

    __tablename__ = "mpesa_payments"
    __table_args__ = (Index("ix_mpesa_payments_status_received", "status", "received_at"),)

    id: Mapped[IntPk]
    receipt: Mapped[str] = mapped_column(String(32), unique=True)  # TransID / MpesaReceiptNumber
    source: Mapped[str] = mapped_column(String(8))  # c2b, stk
    callback_id: Mapped[int | None] = mapped_column(ForeignKey("mpesa_callbacks.id", ondelete="SET NULL"))
    amount: Mapped[Money]
    paid_at: Mapped[datetime]  # M-Pesa's TransTime
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payer: Mapped[str | None] = mapped_column(String(200))
    msisdn: Mapped[str | None] = mapped_column(String(128))  # as sent: clear, masked or hashed
    bill_ref: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # posted, suspense
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    match_how: Mapped[str] = mapped_column(String(32))
    match_detail: Mapped[str | None] = mapped_column(String(300))
    candidates: Mapped[list[int]] = mapped_column(JSON, default=list)
    transaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("statement_transactions.id", ondelete="SET NULL"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("payment_requests.id", ondelete="SET NULL"))
    call_id: Mapped[str | None] = mapped_column(String(80))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime | None]


class PaymentRequest(Base):
    """An STK push (M-Pesa Express) an agent asked for. ``open_customer_id`` holds the customer's
    id while the request is pending and is NULL once it is not: its unique constraint lets a
    customer have one pending request at most, across workers and on every database."""

    __tablename__ = "payment_requests"
    __table_args__ = (Index("ix_payment_requests_customer_created", "customer_id", "created_at"),
                      Index("ix_payment_requests_state_sent", "state", "sent_at"))

    id: Mapped[IntPk]
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    call_id: Mapped[str | None] = mapped_column(String(80))
    phone: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Money]
    account_reference: Mapped[str] = mapped_column(String(12))
    state: Mapped[RequestState] = mapped_column(Enum(RequestState, native_enum=False, length=16))
    open_customer_id: Mapped[int | None] = mapped_column(unique=True)
    merchant_request_id: Mapped[str | None] = mapped_column(String(64))
    checkout_request_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    result_code: Mapped[int | None]
    result_desc: Mapped[str | None] = mapped_column(String(300))
    reason: Mapped[str | None] = mapped_column(String(300))  # the outcome in words, for the agent
    receipt: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    settled_at: Mapped[datetime | None]
    queried_at: Mapped[datetime | None]
    queries: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PayerPhoneHash(Base):
    """SHA-256 (hex) of a customer phone as Daraja hashes it (``2547XXXXXXXX``, no plus)."""

    __tablename__ = "payer_phone_hashes"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)


# Case- and space-insensitive account lookups (BillRefNumber): expression indexes on the
# normalised client ID and loan account number, written exactly as the matching query writes them.
def normalised(column: Any) -> Any:
    return func.upper(func.replace(column, " ", ""))


Index("ix_customers_client_id_norm", normalised(Customer.client_id))
Index("ix_loans_external_ref_norm", normalised(Loan.external_ref))
