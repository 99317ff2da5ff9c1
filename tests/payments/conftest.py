"""The payments test world: the real app served by uvicorn on 127.0.0.1 (the fake Daraja calls it
back over HTTP), on SQLite and PostgreSQL, with the live layer, the payments component and a
dialer subscribed to the bus, all on a fixed clock (Wednesday 4 March 2026, 10:00 in Nairobi:
inside the Kenya pack's hours). The fake Daraja (:mod:`payments.fakes`) runs in the same loop and
the app reaches it through its real client (``SWITCHBOARD_MPESA__BASE_URL``).

Users: ``amina`` and ``brian`` (agents, PJSIP/1001 and 1002) and ``sup`` (supervisor).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr

from agent_ui.app import create_app
from agent_ui.components.live import LiveComponent
from agent_ui.components.payments import PaymentsComponent
from agent_ui.services import Services, build_services
from bus.base import OutboxMessage
from config.compliance_loader import load_pack
from config.lists import load_lists
from config.mpesa_settings import MpesaSettings
from config.settings import CONFIG_DIR, Settings
from dialer.service import Dialer
from domain.events import Event, PaymentReceived
from payments.fakes import FakeDaraja
from payments.service import PaymentsHub
from store.db import Database
from store.models import (
    AgentPresence,
    CallRecord,
    Campaign,
    Contact,
    Customer,
    CustomerPhone,
    Loan,
    PromiseToPay,
    Relation,
    Role,
    User,
)
from tests.support.server import free_port

WEDNESDAY_10_NAIROBI = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
TOKEN = "cb-" + "t0k3n" * 6
USERS = {"amina": Role.AGENT, "brian": Role.AGENT, "sup": Role.SUPERVISOR}


class Clock:
    def __init__(self, at: datetime = WEDNESDAY_10_NAIROBI) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class PayWorld:
    http: httpx.AsyncClient
    services: Services
    settings: Settings
    fake: FakeDaraja
    clock: Clock
    users: dict[str, User]
    dialer: Dialer
    payments: list[PaymentReceived] = field(default_factory=list)

    @property
    def hub(self) -> PaymentsHub:
        hub = self.services.payments
        assert hub is not None
        return hub

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.services.tokens.issue(self.users[username])}"}

    def webhook(self, kind: str, token: str = TOKEN) -> str:
        return f"/webhooks/mpesa/{kind}/{token}"

    async def register(self) -> None:
        """What ``switchboard mpesa register-urls`` does: tell (the fake) Daraja our C2B URLs."""
        base = self.settings.public_url
        assert self.hub.client is not None
        await self.hub.client.register_urls(f"{base}{self.webhook('c2b/confirmation')}",
                                            f"{base}{self.webhook('c2b/validation')}")

    async def customer(self, name: str = "Wanjiku Kamau", phone: str = "+254712345678", *,
                       client_id: str | None = "AB123", overdue: str = "5000", agent: str | None = "amina",
                       loan_ref: str | None = None, promise: str | None = None,
                       contacts: tuple[tuple[Relation, str, str], ...] = (), campaign: bool = True) -> int:
        async with self.services.database.session() as s:
            camp = None
            if campaign:
                from sqlalchemy import select
                camp = await s.scalar(select(Campaign).where(Campaign.code == "collections"))
                if camp is None:
                    camp = Campaign(code="collections", name="Collections", carrier="asterisk", queue="collections")
                    s.add(camp)
                    await s.flush()
            customer = Customer(name=name, name_lower=name.lower(), timezone="Africa/Nairobi", client_id=client_id,
                                assigned_agent_id=self.users[agent].id if agent else None,
                                campaign_id=camp.id if camp else None)
            customer.phones = [CustomerPhone(e164=phone, position=0, label="mobile")]
            customer.contacts = [Contact(relation=rel, name=cname, phone_e164=cphone) for rel, cname, cphone in contacts]
            s.add(customer)
            await s.flush()
            s.add(Loan(customer_id=customer.id, external_ref=loan_ref or f"L-{customer.id}", product="solar",
                       applied_amount=Decimal(50000), principal=Decimal(50000), interest_amount=Decimal(0),
                       balance=Decimal(40000), start_date=date(2025, 1, 1), end_date=date(2027, 1, 1),
                       days_past_due=12, overdue_amount=Decimal(overdue), status="active", currency="KES"))
            if promise is not None:
                s.add(PromiseToPay(customer_id=customer.id, amount=Decimal(promise), due_date=date(2026, 3, 6),
                                   assignee_id=self.users[agent].id if agent else None))
            return customer.id

    async def on_call(self, agent: str, customer_id: int, call_id: str = "default/1700000000.1") -> str:
        """The agent talking to the customer now (what the live layer records from the carrier's events)."""
        now = self.clock()
        async with self.services.database.session() as s:
            s.add(CallRecord(call_id=call_id, direction="inbound", caller_number="+254712345678", queue="collections",
                             agent_id=self.users[agent].id, customer_id=customer_id,
                             offered_at=now - timedelta(minutes=2), answered_at=now - timedelta(minutes=1)))
            s.add(AgentPresence(user_id=self.users[agent].id, state="on_call", call_id=call_id, since=now))
        return call_id

    async def request(self, customer_id: int, agent: str = "amina", **body: Any) -> httpx.Response:
        return await self.http.post(f"/api/customers/{customer_id}/payment-requests", json=body,
                                    headers=self.as_(agent))

    async def request_state(self, request_id: int, agent: str = "amina") -> dict[str, Any]:
        response = await self.http.get(f"/api/payment-requests/{request_id}", headers=self.as_(agent))
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def settled(self, request_id: int, agent: str = "amina", timeout: float = 10.0) -> dict[str, Any]:
        """The request once it left ``sent``/``waiting_pin`` (bounded)."""
        state: dict[str, Any] = {}

        async def done() -> bool:
            state.update(await self.request_state(request_id, agent))
            return state["state"] not in ("sent", "waiting_pin")

        await self.until(done, timeout)
        return state

    async def messages(self, stream: str, type_: str | None = None) -> list[OutboxMessage]:
        assert self.services.outbox is not None
        found = await self.services.outbox.read(stream, 0, 0)
        return [m for m in found if type_ is None or m.type == type_]

    async def until(self, check: Callable[[], Awaitable[bool]], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while not await check():
            if loop.time() > end:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)


def payment_settings(database_url: str, tmp_path: Path, port: int, fake: FakeDaraja, **mpesa: Any) -> Settings:
    config_dir = tmp_path / "config"
    if not config_dir.exists():
        shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    values: dict[str, Any] = {
        "consumer_key": fake.consumer_key, "consumer_secret": fake.consumer_secret, "shortcode": fake.shortcode,
        "passkey": fake.passkey, "base_url": fake.base_url, "callback_token": TOKEN, "sweep_seconds": 0.1,
        "query_after_seconds": 60.0, "query_every_seconds": 5.0, "give_up_after_seconds": 300.0}
    values.update(mpesa)
    return Settings(env="test", database_url=database_url, secret_key=SecretStr("test-secret-" + "k" * 40),
                    config_dir=config_dir, attachments_dir=tmp_path / "attachments", redis_url=None,
                    public_url=f"http://127.0.0.1:{port}", mpesa=MpesaSettings(**values))


@contextlib.asynccontextmanager
async def pay_world_for(database_url: str, tmp_path: Path, **mpesa: Any) -> AsyncIterator[PayWorld]:
    fake = FakeDaraja()
    await fake.start()
    port = free_port()
    settings = payment_settings(database_url, tmp_path, port, fake, **mpesa)
    clock = Clock()
    services = build_services(settings)
    assert services.bus is not None and services.outbox is not None
    seen: list[PaymentReceived] = []

    async def record(event: Event) -> None:
        assert isinstance(event, PaymentReceived)
        seen.append(event)

    services.bus.subscribe(PaymentReceived, record, group="test-payments")
    dialer = Dialer(settings, services.database, services.bus, services.outbox, load_lists(settings.config_dir),
                    load_pack("kenya"), services.supervisor, clock=clock)
    dialer.subscribe(services.bus)
    await services.start()
    users: dict[str, User] = {}
    async with services.database.session() as s:
        for number, (name, role) in enumerate(USERS.items(), start=1):
            users[name] = User(username=name, display_name=name.title(), role=role, password_hash="x",
                               extension=f"PJSIP/100{number}", queues=["collections"], active=True)
            s.add(users[name])
    app = create_app(settings, services, components=[LiveComponent(), PaymentsComponent(clock=clock)])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    serving = asyncio.create_task(server.serve(), name="payments-test-app")
    try:
        async with asyncio.timeout(20):
            while not server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.02)
        async with httpx.AsyncClient(base_url=settings.public_url, timeout=20) as http:
            yield PayWorld(http, services, settings, fake, clock, users, dialer, seen)
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(serving, 15)
        await dialer.stop()
        await services.close()
        await fake.stop()


@pytest.fixture
async def pay(database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[PayWorld]:
    async with pay_world_for(database_url, tmp_path) as world:
        yield world
