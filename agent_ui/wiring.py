"""The components wired into the app besides the REST routes.

Add a part (the CTI bridge, the WebSocket hub, the dialer ...) by appending a
:class:`agent_ui.services.Component` to :func:`default_components`. Each component's ``start``
gets the built :class:`~agent_ui.services.Services` (database, lists, bus, outbox, lease,
supervisor) and runs before the bus starts, so it can subscribe; it spawns its long-running tasks
with ``services.supervisor.spawn(...)`` and may put objects in ``services.extras`` for routes.
``stop`` runs in reverse order at shutdown, before the services close.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from fastapi import APIRouter

from agent_ui.services import Component, Services
from config.settings import Settings

Hook = Callable[[Services], Awaitable[None]]


async def _nothing(_services: Services) -> None:
    return None


@dataclass(frozen=True)
class Hooks:
    """A component made of two functions: ``Hooks("dialer", start=..., stop=...)``."""

    name: str
    on_start: Hook = _nothing
    on_stop: Hook = _nothing

    async def start(self, services: Services) -> None:
        await self.on_start(services)

    async def stop(self, services: Services) -> None:
        await self.on_stop(services)


def default_components(settings: Settings) -> list[Component]:
    """The parts ``create_app`` wires in when the caller names none, in start order."""
    from agent_ui.live.component import LiveComponent
    from agent_ui.routes.dialer import DialerComponent

    parts: list[Component] = [LiveComponent()]
    if settings.twilio.account_sid:  # the Twilio ACD lives in one process: see agent_ui.twilio_component
        from agent_ui.twilio_component import TwilioComponent

        parts.append(TwilioComponent())
    if settings.dialer.enabled:
        parts.append(DialerComponent())
    return parts


def extra_routers(settings: Settings) -> list[APIRouter]:
    """Routers of the wired parts: agent states, the WebSocket, Twilio, the dialer, the pages."""
    from agent_ui.pages import build_pages_router
    from agent_ui.routes import agents, twilio
    from agent_ui.routes.dialer import build_dialer_router
    from agent_ui.ws import build_ws_router

    dialer = [build_dialer_router()] if settings.dialer.enabled else []
    return [agents.router, build_ws_router(), twilio.router, *dialer, build_pages_router()]
