"""Wires the IVR for customers into the app (see ``ivr/``).

``start`` builds the data port, the session recorder, the Twilio path (``/twilio/voice?ivr=main``
and ``/twilio/ivr``, answered when Twilio is configured) and the wallboard's IVR panel; and, when
``SWITCHBOARD_IVR__AGI_PORT`` is set, the FastAGI server (on ``SWITCHBOARD_IVR__AGI_HOST``) under
the task supervisor. A FastAGI session's state lives in its connection and its records in the
store, so every worker may run one. The objects are ``services.ivr`` (:class:`IvrParts`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import APIRouter

from agent_ui.services import Services, require
from bus.outbox_names import SUPERVISORS
from config.compliance_loader import load_pack
from domain.errors import SwitchboardError
from domain.events import CallEnded
from ivr.agi.handler import IvrAgiHandler
from ivr.agi.server import FastAgiServer
from ivr.data import StoreIvrData
from ivr.panel import IvrPanel
from ivr.recorder import IvrRecorder
from ivr.twilio_flow import TwilioIvr
from ivr.unit import Units

log = logging.getLogger(__name__)

AGI_TASK = "ivr-fastagi"
PANEL_TASK = "ivr-panel"


@dataclass
class IvrParts:
    data: StoreIvrData
    recorder: IvrRecorder
    units: Units
    twilio: TwilioIvr
    panel: IvrPanel | None = None
    agi: FastAgiServer | None = None


class IvrComponent:
    name = "ivr"

    async def start(self, services: Services) -> None:
        settings, db = services.settings, services.database

        data = StoreIvrData(settings, lambda: services.lists, load_pack(settings.compliance_pack))
        recorder = IvrRecorder()
        units = Units(db, services.publish)
        twilio = TwilioIvr(lambda: services.lists.ivr, data, recorder, units, public_url=settings.public_url,
                           recordings_dir=settings.ivr.recordings_dir)
        parts = IvrParts(data, recorder, units, twilio)
        if services.bus is not None:
            async def caller_left(event: CallEnded) -> None:
                if event.carrier == "twilio":
                    await twilio.caller_left(event.call_id)

            services.bus.subscribe(CallEnded, caller_left, group="ivr-call-ended")
        if services.bus is not None and services.outbox is not None:
            parts.panel = IvrPanel(db, services.outbox, stream=SUPERVISORS, timezone=settings.timezone)
            parts.panel.subscribe(services.bus)
            services.supervisor.spawn(PANEL_TASK, parts.panel.run)
        if settings.ivr.agi_port is not None:
            handler = IvrAgiHandler(menu=lambda: services.lists.ivr, data=data, recorder=recorder, units=units,
                                    sounds=settings.ivr.sounds, server_name=settings.ivr.asterisk_server)
            parts.agi = FastAgiServer(handler, host=settings.ivr.agi_host, port=settings.ivr.agi_port,
                                      header_timeout=settings.ivr.header_timeout,
                                      command_timeout=settings.ivr.command_timeout)
            try:
                await parts.agi.start()
            except OSError as exc:
                raise SwitchboardError(f"the FastAGI server cannot listen on {settings.ivr.agi_host}:"
                                       f"{settings.ivr.agi_port}: {exc.strerror or exc}") from exc
            services.supervisor.spawn(AGI_TASK, parts.agi.serve)
        services.ivr = parts

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(AGI_TASK, PANEL_TASK)
        services.ivr = None


def ivr_parts(services: Services) -> IvrParts:
    return require(services.ivr, "ivr")


def routes() -> list[APIRouter]:
    from agent_ui.routes import ivr

    return [ivr.router]
