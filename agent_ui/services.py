"""The process's objects, built once at start from the settings and handed to every route.

``build_services(settings)`` makes the Database, the config lists, the task supervisor and the
bus/outbox/lease; nothing is created at import time. Other parts plug in as :class:`Component`
hooks (see :mod:`agent_ui.wiring`), started after the services are built and stopped before they
close.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from agent_ui.tokens import TokenService
from bus.base import EventBus, Lease, Outbox
from bus.supervisor import TaskSupervisor
from config.lists import LIST_MODELS, Lists, list_file, load_lists
from config.settings import Settings
from domain.errors import SwitchboardError
from domain.events import Event
from store.db import Database, make_engine

log = logging.getLogger(__name__)


class ListsSource:
    """The current config lists; re-read when a file changed (an admin edit on any worker)."""

    def __init__(self, config_dir: Path, check_every: float = 1.0) -> None:
        self.config_dir = Path(config_dir)
        self._check_every = check_every
        self._lists = load_lists(self.config_dir)
        self._stamp = self._mtimes()
        self._checked = time.monotonic()

    def _mtimes(self) -> tuple[float, ...]:
        stamps = []
        for name in LIST_MODELS:
            try:
                stamps.append(list_file(self.config_dir, name).stat().st_mtime)
            except OSError:
                stamps.append(0.0)
        return tuple(stamps)

    def current(self) -> Lists:
        now = time.monotonic()
        if now - self._checked >= self._check_every:
            self._checked = now
            stamp = self._mtimes()
            if stamp != self._stamp:
                try:
                    self._lists, self._stamp = load_lists(self.config_dir), stamp
                except SwitchboardError:
                    log.exception("config lists changed on disk but do not load; keeping the old ones")
        return self._lists

    def replace(self, lists: Lists) -> None:
        self._lists, self._stamp = lists, self._mtimes()


@dataclass
class Services:
    settings: Settings
    database: Database
    lists_source: ListsSource
    supervisor: TaskSupervisor
    tokens: TokenService
    bus: EventBus | None = None
    outbox: Outbox | None = None
    lease: Lease | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # components park their objects here

    @property
    def lists(self) -> Lists:
        return self.lists_source.current()

    async def publish(self, event: Event) -> None:
        """Publish after the change is committed; a bus failure is logged, never undoes the 2xx."""
        if self.bus is None:
            return
        try:
            await self.bus.publish(event)
        except Exception:
            log.exception("could not publish %s", event.type_name)

    async def start(self) -> None:
        if self.bus is not None:
            await self.bus.start()

    async def close(self) -> None:
        if self.bus is not None:
            try:
                await self.bus.stop()
            except Exception:
                log.exception("bus stop failed")
        await self.supervisor.stop()
        await self.database.dispose()


def build_services(settings: Settings, *, with_bus: bool = True) -> Services:
    """Every shared object of the process; call from the lifespan (or a test), never at import."""
    supervisor = TaskSupervisor()
    services = Services(
        settings=settings,
        database=Database(make_engine(settings.database_url), hot_pool_size=settings.hot_pool_size,
                          hot_durable_commits=settings.hot_durable_commits),
        lists_source=ListsSource(settings.config_dir),
        supervisor=supervisor,
        tokens=TokenService(settings.secret_key.get_secret_value(), settings.token_ttl_hours),
    )
    if with_bus:
        from bus.factory import build_bus

        services.bus, services.outbox, services.lease = build_bus(settings, supervisor)
    return services


class Component(Protocol):
    """A part wired into the app (CTI bridge, WebSocket hub, dialer ...): started and stopped with it.

    ``start`` runs after the services are built and before the bus starts (subscribe there);
    ``stop`` runs in reverse order before the services close.
    """

    name: str

    async def start(self, services: Services) -> None: ...

    async def stop(self, services: Services) -> None: ...
