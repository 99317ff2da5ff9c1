"""The messaging world: the real app (create_app + MessagingComponent) over SQLite and PostgreSQL,
the fake Africa's Talking and Infobip servers on loopback ports, a fake SMTP server, and a clock
fixed to a Monday morning in Nairobi (today is a Sunday: the Kenya pack sends nothing then).

``world.api(...)`` calls the API as a user; ``await world.settled(id)`` waits until the sender
wrote a message's outcome.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent_ui.app import create_app
from agent_ui.components.messaging import MessagingComponent
from agent_ui.routes.messaging import messaging_of
from agent_ui.services import Services, build_services
from config.messaging_settings import AfricasTalkingSettings, InfobipSettings, SmsSettings, SmtpSettings
from domain.clock import local_today
from messaging.fakes import FakeSms, FakeSmtp
from messaging.service import MessagingService
from store.db import Database
from store.models import Message, Role, User
from tests.api.conftest import PASSWORDS, ROLES, _hash_for, make_settings

MONDAY_10_NAIROBI = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 10:00 in Nairobi


def promise_day(days_ahead: int = 3) -> date:
    """A promise's due day the API accepts: the promise routes check it against the real day in
    Nairobi (the world's fixed clock is the messaging service's), so it is never a fixed date."""
    return local_today("Africa/Nairobi") + timedelta(days=days_ahead)
TOKEN = "hook-token-123"


class Clock:
    """Runs from ``start`` at the real pace; tests move it with :meth:`set`."""

    def __init__(self, start: datetime) -> None:
        self.set(start)

    def set(self, at: datetime) -> None:
        self._base, self._t0 = at, time.monotonic()

    def __call__(self) -> datetime:
        return self._base + timedelta(seconds=time.monotonic() - self._t0)


@dataclass
class World:
    client: httpx.AsyncClient
    services: Services
    users: dict[str, User]
    tokens: dict[str, str]
    at: FakeSms
    ib: FakeSms
    smtp: FakeSmtp
    clock: Clock
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def messaging(self) -> MessagingService:
        return messaging_of(self.services)

    @property
    def database(self) -> Database:
        return self.services.database

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def api(self, method: str, path: str, user: str = "amina", **kw: Any) -> httpx.Response:
        return await self.client.request(method, path, headers=self.as_(user), **kw)

    async def customer(self, name: str = "Wanjiku Kamau", phone: str = "0712345678", *, agent: str | None = "amina",
                       **extra: Any) -> dict[str, Any]:
        body = {"name": name, "phone": phone, "assigned_agent": agent, **extra}
        response = await self.api("POST", "/api/customers", "sup", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def message(self, message_id: int) -> Message:
        async with self.database.session() as session:
            row = await session.get(Message, message_id)
            assert row is not None
            return row

    async def settled(self, message_id: int, *, timeout: float = 10.0,
                      until: Callable[[Message], bool] | None = None) -> Message:
        """The message once it left queued/sending (or ``until`` holds)."""
        done = until or (lambda m: m.status not in ("queued", "sending"))
        deadline = time.monotonic() + timeout
        while True:
            row = await self.message(message_id)
            if done(row):
                return row
            assert time.monotonic() < deadline, f"message {message_id} still {row.status}: {row.reason}"
            await asyncio.sleep(0.05)

    async def post_form(self, path: str, form: dict[str, str], token: str | None = TOKEN) -> httpx.Response:
        query = f"?token={token}" if token is not None else ""
        return await self.client.post(path + query, data=form)


def sms_settings(at: FakeSms, ib: FakeSms, **overrides: Any) -> SmsSettings:
    # Patient timeouts: on a loaded CI machine a 1 s connect (and pool) wait sent a bulk run's
    # messages over to Infobip while Africa's Talking was fine.
    values: dict[str, Any] = {
        "providers": ["africastalking", "infobip"],
        "africastalking": AfricasTalkingSettings(username=at.username, api_key=SecretStr(at.api_key),
                                                 sender_id="JUAPOWER", base_url=at.url, rate_per_second=1000),
        "infobip": InfobipSettings(api_key=SecretStr(ib.api_key), sender="JuaPower", base_url=ib.url,
                                   rate_per_second=1000),
        "webhook_token": SecretStr(TOKEN), "request_timeout": 3.0, "connect_timeout": 10.0, "poll_seconds": 0.05,
        "breaker_threshold": 3, "breaker_reset_seconds": 30.0, "retry_seconds": 0.5, "lookup_seconds": 0.2,
        "unknown_grace_seconds": 60.0,
    }
    values.update(overrides)
    return SmsSettings(**values)


@pytest.fixture
def sms_overrides() -> dict[str, Any]:
    """Override in a test module to change the SMS settings (e.g. ``{"providers": []}``)."""
    return {}


@pytest.fixture
async def world(database: Database, database_url: str, tmp_path: Path,
                sms_overrides: dict[str, Any]) -> AsyncIterator[World]:
    at, ib, smtp = FakeSms("africastalking"), FakeSms("infobip"), FakeSmtp()
    await at.start()
    await ib.start()
    smtp.start()
    base = make_settings(database_url, tmp_path)
    settings = base.model_copy(update={
        "sms": sms_settings(at, ib, **sms_overrides),
        "smtp": SmtpSettings(host="127.0.0.1", port=smtp.port, starttls=False, from_address="care@juapower.test",
                             timeout=5.0),
    })
    services = build_services(settings)
    clock = Clock(MONDAY_10_NAIROBI)
    await services.start()
    users: dict[str, User] = {}
    async with services.database.session() as session:
        for name in PASSWORDS:
            users[name] = User(username=name, display_name=name.title(), role=Role(ROLES[name]),
                               password_hash=_hash_for(name), extension=f"PJSIP/{1000 + len(users)}",
                               queues=["collections"], active=True)
            session.add(users[name])
    tokens = {name: services.tokens.issue(user) for name, user in users.items()}
    component = MessagingComponent(clock=clock)
    app = create_app(settings, services, components=[component])  # the routes come with the wiring
    await component.start(services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield World(client, services, users, tokens, at, ib, smtp, clock)
    finally:
        await component.stop(services)
        await services.close()
        await at.stop()
        await ib.stop()
        smtp.stop()
