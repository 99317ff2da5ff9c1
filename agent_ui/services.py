"""The process's objects, built once at start from the settings and handed to every route.

``build_services(settings)`` makes the Database, the config lists, the task supervisor and the
bus/outbox/lease; nothing is created at import time. Other parts plug in as :class:`Component`
hooks (one module each under :mod:`agent_ui.components`, listed in :mod:`agent_ui.wiring`),
started after the services are built and stopped before they close. A running component fills
its own typed field of :class:`Services` (``services.live``, ``services.dialer`` ...) and empties
it when it stops; a route that needs one takes it through :func:`require`, which answers an absent
component with 503 ``component-unavailable`` and a sentence saying what is not set up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from agent_ui.tokens import TokenService
from bus.base import EventBus, Lease, Outbox
from config.lists import LIST_MODELS, Lists, list_file, load_lists
from config.settings import Settings
from domain.errors import ComponentUnavailable, SwitchboardError
from domain.events import Event
from runtime.metrics import Metrics
from runtime.supervisor import TaskSupervisor
from store.db import Database, make_engine

if TYPE_CHECKING:
    from agent_ui.components.asterisk import AsteriskParts
    from agent_ui.components.ivr import IvrParts
    from agent_ui.components.live import LiveParts
    from agent_ui.components.phone import PhoneParts
    from agent_ui.components.recordings import RecordingParts
    from agent_ui.components.supervision import SupervisionParts
    from agent_ui.components.twilio import TwilioParts
    from agent_ui.login_limits import LoginLimits
    from agent_ui.sessions import SessionGuard
    from dialer.service import Dialer
    from domain.compliance import Pack
    from messaging.service import MessagingService
    from payments.service import PaymentsHub
    from supervision.monitor import MonitorService

log = logging.getLogger(__name__)
T = TypeVar("T")

ComponentName = Literal["live", "asterisk", "twilio", "dialer", "phone", "recordings", "messaging", "payments",
                        "ivr", "monitor"]
# what the 503 says when a route needs a component that is absent (a sentence, never a code)
UNAVAILABLE: dict[ComponentName, str] = {
    "live": "The live call layer (agent states, the wallboard, the call log) is not running on this server.",
    "asterisk": "The phone system (Asterisk) is not set up on this server.",
    "twilio": "Twilio is not set up on this server (set SWITCHBOARD_TWILIO__ACCOUNT_SID).",
    "dialer": "The dialer is not running on this server.",
    "phone": "The browser phone is not running on this server.",
    "recordings": "Call recording is not running on this server.",
    "messaging": "Messaging (SMS and email) is not running on this server.",
    "payments": "M-Pesa payments are not running on this server.",
    "ivr": "The IVR is not running on this server.",
    "monitor": "Live monitoring is not running on this server.",
}


def require(component: T | None, name: ComponentName) -> T:
    """``component`` when it runs here; else 503 ``component-unavailable`` naming it in a sentence."""
    if component is None:
        raise ComponentUnavailable(UNAVAILABLE[name], {"component": name})
    return component


class ListsSource:
    """The current config lists: the files until :meth:`use` hands over the database's versions
    (``agent_ui.components.supervision``); from then on the files are not read again."""

    def __init__(self, config_dir: Path, check_every: float = 1.0) -> None:
        self.config_dir = Path(config_dir)
        self._check_every = check_every
        self._lists = load_lists(self.config_dir)
        self._stamp = self._mtimes()
        self._checked = time.monotonic()
        self._from_files = True

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
        if self._from_files and now - self._checked >= self._check_every:
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

    def use(self, lists: Lists) -> None:
        """The lists in force from now on (a version from the database); files are no longer watched."""
        self._lists, self._from_files = lists, False


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
    metrics: Metrics = field(default_factory=Metrics)  # this app's own registry (GET /metrics)
    # the components (agent_ui/components/*): each sets its field in start and clears it in stop
    sessions: SessionGuard | None = None
    supervision: SupervisionParts | None = None
    live: LiveParts | None = None
    asterisk: AsteriskParts | None = None
    twilio: TwilioParts | None = None
    dialer: Dialer | None = None
    phone: PhoneParts | None = None
    recordings: RecordingParts | None = None
    messaging: MessagingService | None = None
    payments: PaymentsHub | None = None
    ivr: IvrParts | None = None
    monitor: MonitorService | None = None
    # state that is not a component: the pack in force (set by supervision), the sign-in limits (lazy)
    compliance_pack: Pack | None = None
    login_limits: LoginLimits | None = None

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

    async def publish_many(self, events: Sequence[Event]) -> None:
        """:meth:`publish` for a batch, in one round trip; if that fails, each in turn (an event
        may then arrive twice: handlers take events at least once)."""
        if self.bus is None or not events:
            return
        try:
            await self.bus.publish_many(events)
        except Exception as exc:
            log.warning("could not publish %d events at once (%r); publishing each in turn", len(events), exc)
            for event in events:
                await self.publish(event)

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
    from agent_ui.observability import watch_core

    watch_core(services)
    return services


class Component(Protocol):
    """A part wired into the app (CTI bridge, WebSocket hub, dialer ...): started and stopped with it.

    ``start`` runs after the services are built and before the bus starts (subscribe there);
    ``stop`` runs in reverse order before the services close.
    """

    name: str

    async def start(self, services: Services) -> None: ...

    async def stop(self, services: Services) -> None: ...
