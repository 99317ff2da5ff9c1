"""Wires the progressive dialer into the app: the :class:`dialer.service.Dialer` (``services.dialer``),
subscribed to the bus, with its loops under the task supervisor; and its routes
(:mod:`agent_ui.routes.dialer`: click-to-call, previews, callbacks, approvals, "why am I not dialling?").

Started when ``SWITCHBOARD_DIALER__ENABLED`` is true (the default), and only then are its routes
served (the pages find their features in ``/openapi.json``); a test that starts the app without
the component gets them, answering 503 ``component-unavailable``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter

from agent_ui.line import line_status
from agent_ui.services import Services
from config.compliance_loader import load_pack
from dialer.service import Dialer
from store.models import User, utcnow


class DialerComponent:
    """Builds the Dialer from the services, subscribes it, starts its loops; stops them."""

    name = "dialer"

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock  # tests stand the dialer's clock still

    async def start(self, services: Services) -> None:
        if services.bus is None or services.outbox is None:
            return

        async def has_line(user_id: int) -> bool:
            async with services.database.session() as session:
                user = await session.get(User, user_id)
            return user is not None and (await line_status(services, user)).ok

        dialer = Dialer(services.settings, services.database, services.bus, services.outbox,
                        services.lists_source.current, services.compliance_pack
                        or load_pack(services.settings.compliance_pack),
                        services.supervisor, clock=self.clock, has_line=has_line, metrics=services.metrics)
        dialer.subscribe(services.bus)
        await dialer.start()
        services.dialer = dialer

    async def stop(self, services: Services) -> None:
        dialer, services.dialer = services.dialer, None
        if dialer is not None:
            await dialer.stop()


def routes() -> list[APIRouter]:
    from agent_ui.routes.dialer import build_dialer_router

    return [build_dialer_router()]
