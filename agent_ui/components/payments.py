"""Wires M-Pesa payments into the app: the :class:`~payments.service.PaymentsHub` (``services.payments``,
for the routes), the late-callback sweep, the phone hashing and the
recovery of confirmations stored but never posted under the task supervisor, and the routes
(desktop, supervisor, report; Daraja's webhooks apart).

Always wired: without M-Pesa settings the status says the feature is off, the webhooks answer
404 and a payment request is refused with a sentence. The access log shows the webhooks' secret
path segment as ``***``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

import httpx
from fastapi import APIRouter

from agent_ui.routes import mpesa_webhooks
from agent_ui.routes import payments as payment_routes
from agent_ui.services import Services
from config.compliance_loader import load_pack
from domain.events import utcnow
from payments.service import build_payments

SWEEP_TASK = "mpesa-sweep"
HASH_TASK = "mpesa-phone-hashes"
RECOVER_TASK = "mpesa-c2b-recovery"
ACCESS_LOG = "uvicorn.access"


class HideCallbackToken(logging.Filter):
    """Daraja's webhooks carry their secret in the path: the access log shows it as ``***``."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if self.token and isinstance(record.args, tuple):
            record.args = tuple(a.replace(self.token, "***") if isinstance(a, str) else a for a in record.args)
        return True


def routes() -> list[APIRouter]:
    return [payment_routes.router]


def webhook_routes() -> list[APIRouter]:
    """Daraja's webhooks: routed before every other router (``agent_ui.wiring.carrier_routers``)."""
    return [mpesa_webhooks.router]


class PaymentsComponent:
    name = "payments"

    def __init__(self, *, clock: Callable[[], datetime] = utcnow,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.clock, self.transport = clock, transport
        self.hide: HideCallbackToken | None = None

    async def start(self, services: Services) -> None:
        settings = services.settings
        hub = build_payments(settings, services.database, services.outbox, services.publish_many,
                             load_pack(settings.compliance_pack), clock=self.clock, transport=self.transport)
        services.payments = hub
        self.hide = HideCallbackToken(settings.mpesa.callback_token.get_secret_value())
        logging.getLogger(ACCESS_LOG).addFilter(self.hide)
        if hub.client is not None:
            services.supervisor.spawn(SWEEP_TASK, hub.sweep_forever)
        if settings.mpesa.c2b_ready:
            services.supervisor.spawn(HASH_TASK, hub.hash_forever)
            services.supervisor.spawn(RECOVER_TASK, hub.c2b.recover_forever)

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(SWEEP_TASK, HASH_TASK, RECOVER_TASK)
        if self.hide is not None:
            logging.getLogger(ACCESS_LOG).removeFilter(self.hide)
        hub, services.payments = services.payments, None
        if hub is not None:
            await hub.aclose()
