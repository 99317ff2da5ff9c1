"""Wires the live layer into the app: call log, presence, pop and wallboard (``services.live``).

The Asterisk bridges are their own component (:mod:`agent_ui.components.asterisk`), started next.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter

from agent_ui.services import Services
from config.lists import Lists
from domain.errors import SwitchboardError
from domain.events import utcnow
from live.call_log import CallLogWriter
from live.devices import DeviceDirectory
from live.pop import PopService
from live.presence import PresenceService
from live.wallboard import WallboardService
from store.repositories.access import purge_expired
from store.repositories.agent_activity import StateLog
from store.repositories.call_log import CallLog
from store.repositories.caller_lookup import StoreCallerLookup
from store.repositories.ivr import IvrRingSource

log = logging.getLogger(__name__)
GRANT_PURGE_SECONDS = 60.0  # how often call-scoped grants past their ``until`` are deleted


def _is_pause_code(services: Services, code: str) -> bool:
    lists: Lists = services.lists
    try:
        lists.pause_code(code)
    except SwitchboardError:
        return False
    return True


@dataclass
class LiveParts:
    presence: PresenceService
    wallboard: WallboardService
    pop: PopService
    call_log: CallLog


class LiveComponent:
    """Registered by the app; ``services.live`` then holds the presence, wallboard, pop and call log."""

    name = "live"

    def __init__(self, *, clock: Callable[[], datetime] = utcnow,
                 grant_purge_seconds: float = GRANT_PURGE_SECONDS) -> None:
        self._clock = clock
        self._grant_purge_seconds = grant_purge_seconds

    async def start(self, services: Services) -> None:
        settings, bus, outbox = services.settings, services.bus, services.outbox
        if bus is None or outbox is None or services.lease is None:
            raise SwitchboardError("the live layer needs the bus and the outbox")
        db = services.database
        call_log = CallLog(db, settings.default_region)
        devices = DeviceDirectory(db)  # device -> agent, shared by the pop and presence
        presence = PresenceService(db, bus, outbox, wrapup_seconds=settings.wrapup_seconds,
                                   is_pause_code=lambda code: _is_pause_code(services, code),
                                   devices=devices, on_change=StateLog(db).record)
        lookup = StoreCallerLookup(db, region=settings.default_region, default_timezone=settings.timezone)
        pop = PopService(db, outbox, lookup, region=settings.default_region, devices=devices,
                         ivr=IvrRingSource(db), metrics=services.metrics)
        wallboard = WallboardService(db, outbox, timezone=settings.timezone,
                                     service_level_seconds=settings.service_level_seconds)
        presence.subscribe(bus)
        pop.subscribe(bus)
        CallLogWriter(call_log, on_queue_changed=wallboard.queue_changed).subscribe(bus)
        wallboard.subscribe(bus)

        async def expire_wrapups() -> None:
            while True:
                await presence.expire_wrapups()
                await asyncio.sleep(1.0)

        async def purge_grants() -> None:
            """Call-scoped grants end at ``until`` (the pop's grant time); their rows go here. Every
            worker may run it: the DELETE is idempotent."""
            while True:
                async with db.session() as session:
                    purged = await purge_expired(session, self._clock())
                if purged:
                    log.info("purged %d expired call access grants", purged)
                await asyncio.sleep(self._grant_purge_seconds)

        services.supervisor.spawn("wrapup-expiry", expire_wrapups)
        services.supervisor.spawn("grant-purge", purge_grants)
        services.supervisor.spawn("wallboard-flush", wallboard.run)
        services.live = LiveParts(presence, wallboard, pop, call_log)
        log.info("live layer started")

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel("wrapup-expiry", "grant-purge", "wallboard-flush")
        services.live = None


def routes() -> list[APIRouter]:
    """Agent states (the agent's own and a supervisor's override), the wallboard, the socket."""
    from agent_ui.routes import agent_override, agents
    from agent_ui.ws import build_ws_router

    return [agents.router, agent_override.router, build_ws_router()]
