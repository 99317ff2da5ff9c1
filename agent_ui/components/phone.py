"""Wires the browser phone into the app (see ``phone/``): sessions and provisioning, the call
controls, and the Asterisk side of their commands (``cti.ami.pbx_commands``, one per bridge).

Started after the live layer (it reuses the bridges' action connections). The objects are in
``services.phone`` (:class:`PhoneParts`). When ``SWITCHBOARD_PHONE__PJSIP_INCLUDE`` is
set, the includes are written once at start (a supervised one-shot task), so a restarted PBX or a
changed setting is caught up.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import APIRouter

from agent_ui.services import Services, require
from config.compliance_loader import load_pack
from cti.ami.pbx_commands import PbxCommands
from domain.errors import SwitchboardError
from phone.controls import CallControls
from phone.provisioner import Provisioner
from phone.service import PhoneService

log = logging.getLogger(__name__)
PROVISION_TASK = "phone-provision-at-start"


@dataclass
class PhoneParts:
    service: PhoneService
    controls: CallControls
    provisioner: Provisioner
    commands: list[PbxCommands]


def phone_parts(services: Services) -> PhoneParts:
    return require(services.phone, "phone")


class PhoneComponent:
    name = "phone"

    async def start(self, services: Services) -> None:
        settings, bus = services.settings, services.bus
        if bus is None:
            raise SwitchboardError("the browser phone needs the bus")
        provisioner = Provisioner(services.database, settings, bus.publish, services.lease,
                                  worker_id=settings.worker_id)
        service = PhoneService(services.database, settings, services.outbox, provisioner)
        controls = CallControls(services.database, settings, bus.publish, services.outbox,
                                load_pack(settings.compliance_pack))
        service.subscribe(bus)
        controls.subscribe(bus)
        bridges = services.asterisk.bridges if services.asterisk is not None else []
        commands = [PbxCommands(bridge.server.name, bridge.actions, bus, default=index == 0)
                    for index, bridge in enumerate(bridges)]
        for command in commands:
            command.subscribe(bus)
        services.phone = PhoneParts(service, controls, provisioner, commands)
        if provisioner.enabled:
            services.supervisor.spawn(PROVISION_TASK, provisioner.provision, restart=False)
        log.info("browser phone started (%d PBX command handler(s), provisioning %s)", len(commands),
                 "on" if provisioner.enabled else "off")

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(PROVISION_TASK)
        services.phone = None


def routes() -> list[APIRouter]:
    from agent_ui.routes import phone

    return [phone.router]
