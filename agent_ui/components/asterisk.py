"""Wires Asterisk, the first carrier, into the app: one :class:`~cti.ami.bridge.AsteriskBridge` per
server of the settings (``SWITCHBOARD_AMI__HOST`` and ``__SERVERS``), in ``services.asterisk``.

Started right after the live layer: the default server's bridge re-applies presence after a resync.
Each bridge subscribes to its commands and runs its connections under the task supervisor; the AMI
links' state is sampled before each scrape of ``GET /metrics``. With no server configured the
component still runs, with no bridge: the desk then says the phone system is not connected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from agent_ui.services import Services
from cti.ami.bridge import AsteriskBridge
from cti.ami.reconcile import Reconciler
from domain.errors import SwitchboardError

log = logging.getLogger(__name__)
SAMPLER = "ami"


@dataclass
class AsteriskParts:
    bridges: list[AsteriskBridge] = field(default_factory=list)

    @property
    def connected(self) -> bool:
        """Some bridge's action connection is up (a line can be placed through it)."""
        return any(bridge.actions.connected for bridge in self.bridges)


class AsteriskComponent:
    name = "asterisk"

    async def start(self, services: Services) -> None:
        settings, bus = services.settings, services.bus
        if bus is None or services.lease is None:
            raise SwitchboardError("the Asterisk bridges need the bus and the lease")
        presence = services.live.presence if services.live is not None else None
        bridges = [
            AsteriskBridge(server, settings.ami, dial_template=settings.dialer.dial_template, bus=bus,
                           lease=services.lease, supervisor=services.supervisor,
                           worker_id=settings.worker_id, default=index == 0,
                           on_resynced=presence.reapply if index == 0 and presence is not None else None,
                           reconciler=Reconciler(services.database, server.name, default=index == 0))
            for index, server in enumerate(settings.ami.all_servers())
        ]
        for bridge in bridges:
            bridge.subscribe(bus)
            bridge.start()

        async def sample_ami() -> None:  # before each scrape of GET /metrics
            for bridge in bridges:
                server, events = bridge.server.name, bridge.events
                services.metrics.ami_connected.labels(server=server, connection="actions").set(
                    int(bridge.actions.connected))
                services.metrics.ami_connected.labels(server=server, connection="events").set(
                    int(events is not None and events.connected))

        services.metrics.add_sampler(SAMPLER, sample_ami)
        services.asterisk = AsteriskParts(bridges)
        log.info("Asterisk carrier started with %d server(s)", len(bridges))

    async def stop(self, services: Services) -> None:
        services.metrics.remove_sampler(SAMPLER)
        services.asterisk = None
