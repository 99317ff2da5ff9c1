"""Response schemas of M-Pesa payments: the status, payment requests (STK push), suspense, the
"paid during the call" report, and the answers Daraja's webhooks get."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from agent_ui.schemas.records import IsoDay, IsoTime, MoneyText, Out
from domain.payments import RequestState

RequestStateName = Literal[RequestState.SENT, RequestState.WAITING_PIN, RequestState.PAID, RequestState.FAILED,
                           RequestState.UNKNOWN]


class PaymentsStatusOut(Out):
    """Whether C2B and payment requests are on here (``missing``: the settings that are not set)."""

    c2b: bool
    requests: bool
    missing: list[str]
    currency: str
    max_requests_per_day: int


class PaymentRequestOut(Out):
    """A payment request as the desktop shows it: the state in words, the receipt once paid."""

    id: int
    customer_id: int
    customer_name: str | None
    state: RequestStateName
    state_text: str
    amount: MoneyText
    currency: str
    phone: str  # masked
    receipt: str | None
    reason: str | None
    call_id: str | None
    created_at: IsoTime
    settled_at: IsoTime | None


class PaymentRequestsOverviewOut(Out):
    """What the desktop needs before asking: on or off, the suggested amount (whole shillings), the recent requests."""

    enabled: bool
    missing: list[str]
    suggested_amount: str | None
    items: list[PaymentRequestOut]


class CandidateOut(Out):
    id: int
    name: str
    client_id: str | None


class SuspenseOut(Out):
    """An M-Pesa payment that matched no customer, or several (``candidates``), with how matching failed."""

    id: int
    receipt: str
    amount: MoneyText
    paid_at: IsoTime
    received_at: IsoTime
    payer: str | None
    msisdn: str | None
    bill_ref: str | None
    status: Literal["posted", "suspense"]
    how: str
    detail: str | None
    customer_id: int | None
    candidates: list[CandidateOut]


class SuspensePageOut(Out):
    items: list[SuspenseOut]
    limit: int
    offset: int


class PromisePaidOut(Out):
    id: int
    status: str
    paid_amount: MoneyText
    amount: MoneyText


class PaymentPostedOut(Out):
    """A payment posted to a customer (``kept``: how many promises it kept)."""

    id: int
    customer_id: int | None
    customer_name: str | None
    amount: MoneyText
    currency: str
    receipt: str
    source: Literal["c2b", "stk"]
    status: Literal["posted", "suspense"]
    how: str
    how_text: str | None
    call_id: str | None
    request_id: int | None
    paid_at: IsoTime
    promises: list[PromisePaidOut]
    kept: int


class PaymentsReportRowOut(Out):
    agent: str
    requests: int
    requests_paid: int
    paid_during_call: int
    paid_during_call_amount: MoneyText


class PaymentsReportOut(Out):
    """Per agent, local days ``from``..``to``."""

    from_: IsoDay = Field(alias="from")
    to: IsoDay
    items: list[PaymentsReportRowOut]


class DarajaAnswerOut(Out):
    """What Daraja expects back from a webhook: ``ResultCode`` 0 accepts; a C2B validation refusal is a code
    such as ``C2B00012`` (invalid account number)."""

    ResultCode: int | str
    ResultDesc: str
