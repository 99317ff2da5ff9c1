"""The components wired into the app besides the core REST routes, one module each under
:mod:`agent_ui.components` (start, stop and the routes it adds).

:func:`default_components` is what production starts, in order; a test may start a subset, but
the routes depend on the settings only, never on what runs (:func:`component_routers`): a route whose
component is not running answers 503 ``component-unavailable`` (:func:`agent_ui.services.require`). Each
component's ``start`` gets the built :class:`~agent_ui.services.Services`, runs before the bus
starts (so it can subscribe), spawns its long-running tasks with ``services.supervisor.spawn(...)``
and sets its own typed field of the services (``services.live``, ``services.dialer`` ...); ``stop``
runs in reverse order at shutdown, before the services close, and clears it.
"""

from __future__ import annotations

from fastapi import APIRouter

from agent_ui.services import Component
from config.settings import Settings


def default_components(settings: Settings) -> list[Component]:
    """The parts ``create_app`` wires in when the caller names none, in start order."""
    from agent_ui.components.asterisk import AsteriskComponent
    from agent_ui.components.dialer import DialerComponent
    from agent_ui.components.ivr import IvrComponent
    from agent_ui.components.live import LiveComponent
    from agent_ui.components.messaging import MessagingComponent
    from agent_ui.components.monitor import MonitorComponent
    from agent_ui.components.payments import PaymentsComponent
    from agent_ui.components.phone import PhoneComponent
    from agent_ui.components.recordings import RecordingsComponent
    from agent_ui.components.supervision import SupervisionComponent
    from agent_ui.sessions import SessionGuard

    parts: list[Component] = [SessionGuard(), SupervisionComponent(), LiveComponent(), AsteriskComponent(),
                              PhoneComponent(), RecordingsComponent(), MessagingComponent(), PaymentsComponent(),
                              IvrComponent(), MonitorComponent()]
    if settings.twilio.account_sid:  # the Twilio ACD lives in one process: see agent_ui.components.twilio
        from agent_ui.components.twilio import TwilioComponent

        parts.append(TwilioComponent())
    if settings.dialer.enabled:
        parts.append(DialerComponent())
    return parts


def component_routers(settings: Settings) -> list[APIRouter]:
    """The routers of the components (agent states, the socket, the carriers, the dialer, the pages ...).
    The dialer's only when it is enabled: the pages ask ``GET /api/features``, and a
    server whose dialer is off has no dialer to show (its routes are 404 there, not 503)."""
    from agent_ui.components import (
        dialer,
        live,
        messaging,
        monitor,
        payments,
        phone,
        recordings,
        supervision,
    )
    from agent_ui.pages import build_pages_router

    dialer_routes = dialer.routes() if settings.dialer.enabled else []
    return [*live.routes(), *phone.routes(), *recordings.routes(),
            *monitor.routes(), *dialer_routes, *messaging.routes(), *payments.routes(), *supervision.routes(),
            build_pages_router()]


def carrier_routers() -> list[APIRouter]:
    """Daraja's M-Pesa webhooks, Twilio's webhooks and the IVR's TwiML routes, which ``create_app``
    includes before every other router: FastAPI tries the routes in order, each miss costs CPU
    (about 5 us), and these are requested many times a second by a machine (M-Pesa confirmations
    by the hundred a second; a call in the IVR: one request per key), where after the core and the
    other components' routes they came some 90-130 misses late (~0.5 ms of CPU a request; the
    M-Pesa confirmation ~0.7 ms). No other route's path can match theirs (``/webhooks/mpesa/...``,
    ``/twilio/...``, ``/ivr/prompts/...``, ``/api/ivr/wallboard``), so the order changes no answer;
    an ``/api`` request pays their thirteen misses."""
    from agent_ui.components import ivr, payments, twilio

    return [*payments.webhook_routes(), *twilio.routes(), *ivr.routes()]
