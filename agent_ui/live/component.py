"""Wires the live layer into the app: call log, presence, pop, wallboard and the Asterisk bridges."""

from __future__ import annotations

import asyncio
import logging

from agent_ui.live.devices import DeviceDirectory
from agent_ui.live.lookup import StoreCallerLookup
from agent_ui.live.pop import POP_GROUP, PopService
from agent_ui.live.presence import PresenceService
from agent_ui.live.wallboard import WallboardService
from agent_ui.services import Services
from config.lists import Lists
from cti.ami.bridge import AsteriskBridge
from domain.carrier import carrier_for_device
from domain.errors import SwitchboardError
from store.call_log import CallLog
from store.models import User

log = logging.getLogger(__name__)


def carrier_of(user: User) -> str:
    return carrier_for_device(user.extension)


def _is_pause_code(services: Services, code: str) -> bool:
    lists: Lists = services.lists
    try:
        lists.pause_code(code)
    except SwitchboardError:
        return False
    return True


class LiveComponent:
    """Registered by the app; ``services.extras`` then holds ``presence``, ``wallboard``, ``bridges``."""

    name = "live"

    async def start(self, services: Services) -> None:
        settings, bus, outbox = services.settings, services.bus, services.outbox
        if bus is None or outbox is None or services.lease is None:
            raise SwitchboardError("the live layer needs the bus and the outbox")
        db = services.database
        call_log = CallLog(db, settings.default_region)
        devices = DeviceDirectory(db)  # device -> agent, shared by the pop and presence
        presence = PresenceService(db, bus, outbox, wrapup_seconds=settings.wrapup_seconds,
                                   is_pause_code=lambda code: _is_pause_code(services, code),
                                   carrier_of=carrier_of, devices=devices)
        lookup = StoreCallerLookup(db, region=settings.default_region, default_timezone=settings.timezone)
        pop = PopService(db, outbox, lookup, region=settings.default_region, devices=devices)
        wallboard = WallboardService(db, outbox, call_log, timezone=settings.timezone,
                                     service_level_seconds=settings.service_level_seconds)
        presence.subscribe(bus)
        pop.subscribe(bus)  # first: in the group they share, the pop runs before the call log
        wallboard.subscribe(bus, call_log_group=POP_GROUP)
        bridges = [
            AsteriskBridge(server, settings.ami, dial_template=settings.dialer.dial_template, bus=bus,
                           lease=services.lease, supervisor=services.supervisor,
                           worker_id=settings.worker_id, default=index == 0,
                           on_resynced=presence.reapply if index == 0 else None)
            for index, server in enumerate(settings.ami.all_servers())
        ]
        for bridge in bridges:
            bridge.subscribe(bus)
            bridge.start()

        async def expire_wrapups() -> None:
            while True:
                await presence.expire_wrapups()
                await asyncio.sleep(1.0)

        services.supervisor.spawn("wrapup-expiry", expire_wrapups)
        services.supervisor.spawn("wallboard-flush", wallboard.run)
        services.extras.update(presence=presence, wallboard=wallboard, pop=pop, call_log=call_log,
                               bridges=bridges)
        log.info("live layer started with %d Asterisk server(s)", len(bridges))

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel("wrapup-expiry", "wallboard-flush")
