"""A world for live monitoring's API tests: the real app over the ``database`` fixture (SQLite and
PostgreSQL) with the monitor component, and a fake carrier on the in-process bus that answers every
``MonitorRequested`` the way the Asterisk bridge does (one ``PbxCommandDone``, ok or refused) and
records every ``MonitorStopRequested``. Frames the app appends to the outbox are kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from agent_ui.app import create_app
from agent_ui.components.monitor import MonitorComponent
from agent_ui.services import Services, build_services
from config.settings import Settings
from domain.events import Event, MonitorRequested, MonitorStopRequested, PbxCommandDone
from store.models import Role, User
from store.repositories.users import hash_password
from tests.phone.world import PASSWORD, PhoneWorld, world_settings

USERS = {"admin": ("admin", "PJSIP/2010"), "sup": ("supervisor", "PJSIP/2009"), "nophone": ("supervisor", None),
         "amina": ("agent", "PJSIP/2001"), "brian": ("agent", "PJSIP/2002")}
_HASH = hash_password(PASSWORD)


@dataclass
class MonitorWorld(PhoneWorld):
    requests: list[MonitorRequested] = field(default_factory=list)
    stops: list[MonitorStopRequested] = field(default_factory=list)

    def notices(self, username: str) -> list[dict[str, Any]]:
        return [data for stream, kind, data in self.frames if stream == f"agent:{username}" and kind == "monitor.notice"]

    def statuses(self) -> list[dict[str, Any]]:
        return [data for stream, kind, data in self.frames if stream == "supervisors" and kind == "monitor.status"]


async def monitor_world(database_url: str, tmp_path: Path,
                        tune: Callable[[Settings], Settings] = lambda s: s) -> AsyncIterator[MonitorWorld]:
    settings = tune(world_settings(database_url, tmp_path))
    services: Services = build_services(settings)
    assert services.bus is not None and services.outbox is not None
    bus = services.bus
    users: dict[str, User] = {}
    async with services.database.session() as session:
        for name, (role, extension) in USERS.items():
            users[name] = User(username=name, display_name=name.title(), role=Role(role), password_hash=_HASH,
                               extension=extension, queues=["collections"], active=True)
            session.add(users[name])
    world = MonitorWorld(httpx.AsyncClient(), services, settings, users,
                         {name: services.tokens.issue(user) for name, user in users.items()})

    async def fake_carrier(ev: Event) -> None:
        if isinstance(ev, MonitorStopRequested):
            world.stops.append(ev)
            return
        assert isinstance(ev, MonitorRequested)
        world.requests.append(ev)
        ok = "monitor" not in world.refuse
        await bus.publish(PbxCommandDone(request_id=ev.request_id, command="monitor", ok=ok, call_id=ev.call_id,
                                         message=None if ok else "Originate refused: no such device"))

    bus.subscribe(MonitorRequested, fake_carrier, group="fake-carrier-monitor")
    bus.subscribe(MonitorStopRequested, fake_carrier, group="fake-carrier-monitor-stop")
    append = services.outbox.append

    async def spy(stream: str, type: str, data: dict[str, Any]) -> int:
        world.frames.append((stream, type, data))
        return await append(stream, type, data)

    services.outbox.append = spy  # type: ignore[method-assign]
    app = create_app(settings, services, components=[MonitorComponent()])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                         base_url="http://testserver") as client:
            await services.start()
            world.client = client
            yield world
    finally:
        await services.close()


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not check():
            await asyncio.sleep(0.01)
