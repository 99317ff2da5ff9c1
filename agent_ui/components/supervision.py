"""Wires the supervisors' and admins' side into the app (``supervision`` package).

``start``: the configuration with history (version 1 seeded from the shipped files, the newest
versions put in force on this worker, reloaded on every ``ConfigChanged`` from any worker, with a
slow check of the database as a safety net) and the escalation queue (its event handlers and
its periodic account scan). ``routes()``: the escalations, call log, SLA and activity reports,
note search and config history routers.

Hooks elsewhere: ``agent_ui.wiring`` starts this component first (so every other part reads the
database's lists) and adds ``routes()``; ``agent_ui.routes.admin`` saves ``PUT /api/config/lists``
as a version through :func:`save_version`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from agent_ui.services import Services
from bus.outbox_names import CONFIG_CHANGED, agent_stream
from config.compliance_loader import load_pack
from domain.compliance import Pack
from domain.errors import SwitchboardError
from domain.events import ConfigChanged
from store.models import User
from supervision.config_history import ConfigHistory, ConfigSnapshot
from supervision.escalations import EscalationService

log = logging.getLogger(__name__)
_TASKS = ("supervision.escalation-scan", "supervision.config-check")
CONFIG_CHECK_SECONDS = 15.0  # the safety net; the bus brings a change within a second or two


@dataclass
class SupervisionParts:
    history: ConfigHistory
    escalations: EscalationService | None = None  # with the bus and the outbox only


def config_history(services: Services) -> ConfigHistory:
    """The running component's history, or one over the database (the same rows) when it is not running."""
    if services.supervision is not None:
        return services.supervision.history
    return ConfigHistory(services.database, services.settings.config_dir, services.settings.compliance_pack)


def escalation_service(services: Services) -> EscalationService:
    """The running component's service, or one over the same tables (its routes work either way;
    only the event handlers and the periodic scan need the component)."""
    if services.supervision is not None and services.supervision.escalations is not None:
        return services.supervision.escalations
    return EscalationService(services.database, services.outbox, services.lists_source.current,
                             currency=services.settings.currency, timezone=services.settings.timezone)


def compliance_pack(services: Services) -> Pack:
    """The pack in force: the shipped one merged with the admins' overrides (once loaded)."""
    found = services.compliance_pack
    return found if found is not None else load_pack(services.settings.compliance_pack)


def apply(services: Services, snapshot: ConfigSnapshot) -> None:
    """Put a configuration in force on this worker: the lists, and the pack for the dialer."""
    services.lists_source.use(snapshot.lists)
    services.compliance_pack = snapshot.pack
    if services.dialer is not None:
        services.dialer.ctx.pack = snapshot.pack


async def save_version(services: Services, author: User, name: str, **change: Any) -> tuple[ConfigSnapshot, int]:
    """Save a new version (validated), put it in force here, and tell every worker and desktop."""
    history = config_history(services)
    current = await history.load()
    snapshot, version = await history.save(current, name, author_id=author.id, **change)
    apply(services, snapshot)
    await announce(services, name, version)
    return snapshot, version


async def announce(services: Services, name: str, version: int) -> None:
    await services.publish(ConfigChanged(name=name, version=version))
    if services.outbox is None:
        return
    async with services.database.session() as session:
        users = (await session.scalars(select(User.username).where(User.active.is_(True)))).all()
    data = {"name": name, "version": version}
    try:
        await services.outbox.append_many([(agent_stream(u), CONFIG_CHANGED, data) for u in users])
    except SwitchboardError as exc:
        log.warning("could not tell the desktops about %s version %d: %s", name, version, exc.message)


class SupervisionComponent:
    name = "supervision"

    def __init__(self) -> None:
        self._stamp = 0

    async def start(self, services: Services) -> None:
        history = ConfigHistory(services.database, services.settings.config_dir, services.settings.compliance_pack)
        parts = services.supervision = SupervisionParts(history)
        await self._reload(services)
        if services.bus is not None:
            # one group per worker: every worker hears every change (not one worker per change)
            services.bus.subscribe(ConfigChanged, lambda _ev: self._reload(services),
                                   group=f"config.reload.{services.settings.worker_id}")
        services.supervisor.spawn("supervision.config-check", lambda: self._check_loop(services))
        if services.bus is not None and services.outbox is not None:
            escalations = EscalationService(services.database, services.outbox, services.lists_source.current,
                                            currency=services.settings.currency,
                                            timezone=services.settings.timezone)
            escalations.subscribe(services.bus)
            parts.escalations = escalations
            lease, worker = services.lease, services.settings.worker_id

            async def my_turn() -> bool:  # one worker of the cluster scans (whoever holds the lease)
                if lease is None:
                    return True
                return await lease.try_acquire("escalation-scan", worker, escalations.scan_seconds * 2)

            services.supervisor.spawn("supervision.escalation-scan", lambda: escalations.run(my_turn))

    async def _reload(self, services: Services) -> None:
        history = config_history(services)
        stamp = await history.stamp()
        apply(services, await history.load())
        self._stamp = max(stamp, await history.stamp())

    async def _check_loop(self, services: Services) -> None:
        while True:
            await asyncio.sleep(CONFIG_CHECK_SECONDS)
            try:
                if await config_history(services).stamp() != self._stamp:
                    await self._reload(services)
            except SwitchboardError as exc:
                log.warning("config check failed: %s %s", exc.error_id, exc.message)

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(*_TASKS)
        services.supervision = None


def routes() -> list[APIRouter]:
    from agent_ui.routes.call_log import router as calls
    from agent_ui.routes.config_history import router as config
    from agent_ui.routes.escalations import router as escalations
    from agent_ui.routes.note_search import router as notes
    from agent_ui.routes.supervision_reports import router as reports

    return [escalations, calls, reports, notes, config]
