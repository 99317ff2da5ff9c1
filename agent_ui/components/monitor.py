"""Wires live monitoring (issue 22) into the app: :class:`supervision.monitor.MonitorService` as
``services.monitor``, subscribed to the carriers' answers and to the calls' ends. The
carriers' sides are the Asterisk bridges' ``PbxCommands`` (``cti.ami.pbx_commands``) and the
Twilio component's ``TwilioMonitor`` (``cti.twilio.monitor``)."""

from __future__ import annotations

import logging

from fastapi import APIRouter

from agent_ui.services import Services, require
from config.compliance_loader import load_pack
from domain.errors import SwitchboardError
from supervision.monitor import MonitorService

log = logging.getLogger(__name__)


def monitor_service(services: Services) -> MonitorService:
    return require(services.monitor, "monitor")


class MonitorComponent:
    name = "monitor"

    async def start(self, services: Services) -> None:
        if services.bus is None:
            raise SwitchboardError("live monitoring needs the bus")
        service = MonitorService(services.database, services.settings, services.bus.publish, services.outbox,
                                 load_pack(services.settings.compliance_pack))
        service.subscribe(services.bus)
        services.monitor = service
        log.info("live monitoring started (agent notice %s)", "on" if service.notify_agent else "off")

    async def stop(self, services: Services) -> None:
        services.monitor = None


def routes() -> list[APIRouter]:
    from agent_ui.routes import monitor

    return [monitor.router]
