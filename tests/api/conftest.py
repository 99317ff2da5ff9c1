"""API test fixtures: the real app (create_app) over the ``database`` fixture (SQLite and PostgreSQL).

``api`` is an :class:`ApiWorld`: an httpx client on the ASGI app, the services (with the
in-process bus, whose published events are recorded in ``world.events``), and four users with
their tokens: ``admin``, ``sup`` (supervisor), ``amina`` and ``brian`` (agents).
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent_ui.app import create_app
from agent_ui.services import Services, build_services
from config.settings import CONFIG_DIR, Settings
from domain.events import Event, InteractionSaved, PaymentReceived
from store.db import Database
from store.models import Role, User
from store.repositories.users import hash_password

PASSWORDS = {"admin": "admin-pass-1", "sup": "super-pass-1", "amina": "amina-pass-1", "brian": "brian-pass-1"}
ROLES = {"admin": "admin", "sup": "supervisor", "amina": "agent", "brian": "agent"}


@dataclass
class ApiWorld:
    client: httpx.AsyncClient
    services: Services
    settings: Settings
    users: dict[str, User]
    tokens: dict[str, str]
    events: list[Event] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    scratch: dict[str, Any] = field(default_factory=dict)  # a test's own notes across hypothesis examples

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def customer(self, name: str = "Wanjiku Kamau", phone: str = "0712345678", *,
                       agent: str | None = "amina", **extra: Any) -> dict[str, Any]:
        """Create a customer as the supervisor (assigned to ``agent``); returns the 201 body."""
        body = {"name": name, "phone": phone, "assigned_agent": agent, **extra}
        response = await self.client.post("/api/customers", json=body, headers=self.as_("sup"))
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created


@cache
def _hash_for(username: str) -> str:
    return hash_password(PASSWORDS[username])


def make_settings(database_url: str, tmp_path: Path) -> Settings:
    config_dir = tmp_path / "config"
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    return Settings(env="test", database_url=database_url, secret_key=SecretStr("test-secret-" + "k" * 40),
                    attachments_dir=tmp_path / "attachments", config_dir=config_dir,
                    attachment_max_bytes=64 * 1024, redis_url=None)


@pytest.fixture
async def api(database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[ApiWorld]:
    settings = make_settings(database_url, tmp_path)
    services = build_services(settings)
    world_events: list[Event] = []
    arrived = asyncio.Event()

    async def record(event: Event) -> None:
        world_events.append(event)
        arrived.set()

    assert services.bus is not None
    services.bus.subscribe(PaymentReceived, record, group="test-recorder")
    services.bus.subscribe(InteractionSaved, record, group="test-recorder-notes")
    await services.start()
    users: dict[str, User] = {}
    async with services.database.session() as session:
        for name in PASSWORDS:  # argon2 hashes computed once per run: hashing is slow on purpose
            users[name] = User(username=name, display_name=name.title(), role=Role(ROLES[name]),
                               password_hash=_hash_for(name), extension=f"PJSIP/{1000 + len(users)}",
                               queues=["collections"], active=True)
            session.add(users[name])
    tokens = {name: services.tokens.issue(user) for name, user in users.items()}
    app = create_app(settings, services, components=[])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield ApiWorld(client, services, settings, users, tokens, world_events, arrived)
    await services.close()


async def drain(world: ApiWorld, count: int) -> list[Event]:
    """Wait (at most 10 s: a loaded CI machine) until at least ``count`` events were recorded."""
    async with asyncio.timeout(10.0):
        while len(world.events) < count:
            world.arrived.clear()
            await world.arrived.wait()
    return list(world.events)


def assert_error_shape(response: httpx.Response, status: int, error_id: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert set(body) == {"error_id", "message", "details"}, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["details"], dict)
    if error_id is not None:
        assert body["error_id"] == error_id, body
    return body
