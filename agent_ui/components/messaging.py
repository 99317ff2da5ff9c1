"""Wires messaging into the app: the service (composer, sender, breakers), the desktop notifier,
and the routes (the conversation API, preview, bulk reminders, provider webhooks).

The service is ``services.messaging``, for the routes and the note hook.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from fastapi import APIRouter

from agent_ui.services import Services
from config.compliance_loader import load_pack
from messaging.bulk import BulkReminders
from messaging.notify import DesktopNotifier
from messaging.service import MessagingService, utcnow
from store.repositories import bulk_sends

log = logging.getLogger(__name__)
TASKS = ("messaging.sender", "messaging.reaper", "messaging.settle")


class MessagingComponent:
    """``clock``: tests fix the day (the Kenya pack sends nothing on Sundays or at night)."""

    name = "messaging"

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    async def start(self, services: Services) -> None:
        settings = services.settings
        service = MessagingService.build(settings, services.database, lambda: services.lists,
                                         load_pack(settings.compliance_pack), publish=services.publish,
                                         clock=self.clock)
        await service.start(lambda name, factory: services.supervisor.spawn(name, factory))
        if services.bus is not None and services.outbox is not None:
            DesktopNotifier(services.database, services.outbox).subscribe(services.bus)
        services.messaging = service
        await self._resume_bulk(services, service, self.clock)
        log.info("messaging started: SMS %s, email %s", " then ".join(settings.sms.providers) or "off",
                 "on" if settings.smtp.enabled else "off")

    @staticmethod
    async def _resume_bulk(services: Services, service: MessagingService, clock: Callable[[], datetime]) -> None:
        """Bulk runs a crash interrupted while queuing carry on from their cursor."""
        from agent_ui.routes.messaging_bulk import spawn_queuing

        bulk = BulkReminders(service, clock)
        async with services.database.session() as session:
            runs = await bulk_sends.unfinished(session)
        for run in runs:
            log.info("resuming bulk run %s (%s) after customer %s", run.id, run.filter_label, run.cursor)
            spawn_queuing(services, bulk, run.id)

    async def stop(self, services: Services) -> None:
        bulk_tasks = [name for name in services.supervisor.names() if name.startswith("messaging.bulk:")]
        await services.supervisor.cancel(*TASKS, *bulk_tasks)
        service, services.messaging = services.messaging, None
        if service is not None:
            await service.close()



def routes() -> list[APIRouter]:
    from agent_ui.routes import messaging, messaging_bulk, sms_webhooks

    return [messaging.router, messaging_bulk.router, sms_webhooks.router]
