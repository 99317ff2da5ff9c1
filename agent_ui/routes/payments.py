"""M-Pesa for people: payment requests from the desktop, suspense for supervisors, and the
"paid during the call" report. The webhooks Daraja calls are in :mod:`agent_ui.routes.mpesa_webhooks`.

The :class:`payments.service.PaymentsHub` is built by :class:`agent_ui.components.payments.PaymentsComponent`
and is ``services.payments``. Without M-Pesa settings the status says so and a payment request is
refused with a sentence, never a failing button; without the component (not running here) the
status and the overview say "off" and the other routes answer 503 ``component-unavailable``.
"""

from __future__ import annotations

import csv
import io
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from fastapi.responses import Response

from agent_ui.access import open_customer
from agent_ui.deps import CurrentUser, Id, Limit, Offset, ServicesDep, SupervisorUser, current_user, unit_of_work
from agent_ui.routes.ranges import local_window
from agent_ui.routes.reports import CSV_TOO
from agent_ui.schemas.common import Body, Day, DbId, PositiveMoney, Str32
from agent_ui.schemas.payments import (
    PaymentPostedOut,
    PaymentRequestOut,
    PaymentRequestsOverviewOut,
    PaymentsReportOut,
    PaymentsStatusOut,
    SuspensePageOut,
)
from agent_ui.services import Services, require
from config.settings import Settings
from domain.errors import NotFound
from payments.requests import request_json
from payments.service import PaymentsHub
from store.repositories.payments import payments_report


class PaymentRequestBody(Body):
    amount: PositiveMoney | None = None  # default: the open promise's unpaid part, else the overdue amount
    phone: Str32 | None = None  # default: the customer's own primary number


class AssignBody(Body):
    customer_id: DbId


def payments_of(services: Services) -> PaymentsHub | None:
    return services.payments


def _hub(services: Services) -> PaymentsHub:
    return require(services.payments, "payments")


def _off(settings: Settings) -> dict[str, Any]:
    mpesa = settings.mpesa
    return {"c2b": False, "requests": False,
            "missing": sorted(set(mpesa.missing_for_c2b()) | set(mpesa.missing_for_stk())),
            "currency": settings.currency, "max_requests_per_day": mpesa.max_requests_per_day}


router = APIRouter(tags=["payments"], dependencies=[Depends(current_user)])


@router.get("/api/payments/status", response_model=PaymentsStatusOut)
async def payments_status(services: ServicesDep) -> dict[str, Any]:
    """Whether C2B and payment requests are on here (``missing`` names the settings that are not set)."""
    hub = payments_of(services)
    return hub.status() if hub is not None else _off(services.settings)


@router.get("/api/customers/{customer_id}/payment-requests", response_model=PaymentRequestsOverviewOut)
async def customer_requests(customer_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """On or off, the suggested amount and the customer's recent payment requests."""
    async with unit_of_work(services) as session:
        await open_customer(session, user, customer_id, what="payment_requests")
    hub = payments_of(services)
    if hub is None:
        return {"enabled": False, "missing": _off(services.settings)["missing"], "suggested_amount": None, "items": []}
    return await hub.requests.overview(customer_id)


@router.post("/api/customers/{customer_id}/payment-requests", status_code=status.HTTP_202_ACCEPTED,
             response_model=PaymentRequestOut)
async def request_payment(customer_id: Id, body: PaymentRequestBody, user: CurrentUser,
                          services: ServicesDep) -> dict[str, Any]:
    """Send an M-Pesa payment request (STK push) to the customer's own phone. 202 with the request
    (``id``, ``state``); its later states come over the WebSocket as ``payment.request``. 409
    ``compliance-blocked`` outside the pack's hours, over the daily limit or for another person's
    number; 409 ``conflict`` while another request to the customer is pending."""
    async with unit_of_work(services) as session:
        opened = await open_customer(session, user, customer_id, purpose="write")
        name = opened.customer.name
    row = await _hub(services).requests.create(customer_id, user, amount=body.amount, phone=body.phone)
    return request_json(row, name, services.settings.currency)


@router.get("/api/payment-requests/{request_id}", response_model=PaymentRequestOut)
async def get_request(request_id: Id, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    row = await _hub(services).requests.get(request_id)
    if row is None:
        raise NotFound(f"no payment request {request_id}", {"id": str(request_id)})
    async with unit_of_work(services) as session:
        try:
            opened = await open_customer(session, user, row.customer_id, what="payment_request")
        except NotFound:
            raise NotFound(f"no payment request {request_id}", {"id": str(request_id)}) from None
    return request_json(row, opened.customer.name, services.settings.currency)


@router.get("/api/payments/suspense", response_model=SuspensePageOut)
async def suspense(_user: SupervisorUser, services: ServicesDep, limit: Limit = 100,
                   offset: Offset = 0) -> dict[str, Any]:
    """M-Pesa payments that matched no customer, or several: oldest first, with how matching failed."""
    items = await _hub(services).c2b.suspense(limit=limit, offset=offset)
    return {"items": items, "limit": limit, "offset": offset}


@router.post("/api/payments/suspense/{payment_id}/assign", response_model=PaymentPostedOut)
async def assign(payment_id: Id, body: AssignBody, user: SupervisorUser, services: ServicesDep) -> dict[str, Any]:
    """Assign a payment in suspense to a customer: it is posted to them at once."""
    outcome = await _hub(services).c2b.assign(payment_id, body.customer_id, user)
    return outcome.frame(services.settings.currency)


_REPORT_COLUMNS = ("agent", "requests", "requests_paid", "paid_during_call", "paid_during_call_amount")


@router.get("/api/reports/payments", response_model=PaymentsReportOut, responses=CSV_TOO)
async def report(_user: SupervisorUser, services: ServicesDep,
                 since: Annotated[Day | None, Query(alias="from")] = None,
                 until: Annotated[Day | None, Query(alias="to")] = None,
                 format: Literal["json", "csv"] = "json") -> dict[str, Any] | Response:
    """Per agent: payment requests sent and paid, and M-Pesa payments that arrived while the agent
    was on a call with the customer ("paid during the call"), count and amount; local days
    ``from``..``to`` (default: the last 30 days)."""
    since, until, start, end = local_window(services, since, until)
    async with unit_of_work(services) as session:
        rows = await payments_report(session, start, end)
    items = [{"agent": r.agent, "requests": r.requests, "requests_paid": r.requests_paid,
              "paid_during_call": r.paid_during_call, "paid_during_call_amount": f"{r.paid_during_call_amount:.2f}"}
             for r in rows]
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(_REPORT_COLUMNS)
        writer.writerows([item[c] for c in _REPORT_COLUMNS] for item in items)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="payments-{since}-{until}.csv"'})
    return {"from": since.isoformat(), "to": until.isoformat(), "items": items}

