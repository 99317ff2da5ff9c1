"""What the app measures of itself for ``GET /metrics`` (see :mod:`runtime.metrics`).

:class:`RequestTimer` times every HTTP request by its route *template* (``/api/customers/{customer_id}``,
never the raw path, so the label set stays small; a path no route matches is ``<unmatched>``).
:func:`watch_core` registers the samplers every app has: the bus lag per group and the messaging
outbox's depth. The Asterisk component adds the AMI links' state (``agent_ui.components.asterisk``).
"""

from __future__ import annotations

import time

from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agent_ui.services import Services
from bus.lag import bus_lag
from domain.message_status import QUEUED
from store.models import Message as OutboxRow

CHANNELS = ("sms", "email")


class RequestTimer:
    """Pure ASGI middleware: one observation per HTTP request, in the app's own registry."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            services = getattr(scope["app"].state, "services", None) if "app" in scope else None
            if isinstance(services, Services):
                route = getattr(scope.get("route"), "path", None) or "<unmatched>"
                services.metrics.http_latency.labels(method=scope["method"], route=route, status=str(status)) \
                    .observe(time.perf_counter() - started)


def watch_core(services: Services) -> None:
    metrics = services.metrics

    async def sample_bus() -> None:
        for group, waiting in (await bus_lag(services.bus) or {}).items():
            metrics.bus_lag.labels(group=group).set(waiting)

    async def sample_outbox() -> None:
        async with services.database.session() as session:
            rows = (await session.execute(select(OutboxRow.channel, func.count()).where(OutboxRow.status == QUEUED)
                                          .group_by(OutboxRow.channel))).tuples().all()
        depth = dict.fromkeys(CHANNELS, 0) | dict(rows)
        for channel, queued in depth.items():
            metrics.outbox_depth.labels(channel=channel).set(queued)

    metrics.add_sampler("bus", sample_bus)
    metrics.add_sampler("outbox", sample_outbox)
