"""The real app (uvicorn on 127.0.0.1, ephemeral port) with Twilio configured from the environment.

``twilio_app`` is a :class:`TwilioWorld`: the running app (live layer + Twilio component, chosen
by ``default_components`` because ``SWITCHBOARD_TWILIO__ACCOUNT_SID`` is set), the local stand-in
for Twilio's REST API (``SWITCHBOARD_TWILIO__API_BASE`` points the twilio client at it), and
agents whose extension picks the carrier (all in queue ``collections``): ``amina`` (``client:amina``), ``brian`` (``client:brian``),
``wanjiru`` (``+254733555666``, a mobile phone) on Twilio and ``otieno`` (``PJSIP/1001``) on
Asterisk, plus the supervisor ``sup``; campaigns ``mobile_collections`` (Twilio) and ``collections`` (Asterisk);
customers Wanjiku Kamau (``+254712345678``, Twilio campaign) and Kibet Ruto (Asterisk campaign).

Webhooks are signed as Twilio signs them (RequestValidator over the public URL + form body) and
sent as form posts to the real server; see :class:`TwilioWorld`.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from config.compliance_loader import load_pack
from config.settings import CONFIG_DIR, Settings
from cti.twilio.service import TwilioVoiceService
from dialer.service import Dialer
from domain.events import Event
from store.db import Database
from store.models import CallRecord, Campaign, CampaignAgent, Customer, CustomerPhone, Loan, Role, User
from tests.support.server import RunningApp, running_app
from tests.twilio.fake_conferences import FakeConferenceApi
from tests.twilio.helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL, twilio_signature

# Wednesday 4 March 2026, 10:00 in Nairobi: inside the Kenya pack's calling window
DIALER_NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
CUSTOMER_NUMBER = "+254712345678"
ASTERISK_CUSTOMER_NUMBER = "+254722444555"
# Mixed mode: one campaign per carrier. Agents join by their extension's carrier.
CAMPAIGNS = {"collections": ("asterisk", "collections", ("otieno",)),
             "mobile_collections": ("twilio", "collections", ("amina", "brian", "wanjiru"))}
AGENTS = {"amina": "client:amina", "brian": "client:brian", "wanjiru": "+254733555666", "otieno": "PJSIP/1001"}


@dataclass
class TwilioWorld:
    running: RunningApp
    api: FakeConferenceApi
    http: httpx.AsyncClient
    users: dict[str, User]
    customer_id: int
    asterisk_customer_id: int
    events: list[Event] = field(default_factory=list)

    @property
    def service(self) -> TwilioVoiceService:
        parts = self.running.services.twilio
        assert parts is not None
        return parts.service

    def token(self, username: str) -> str:
        return self.running.services.tokens.issue(self.users[username])

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}"}

    async def twilio(self, url: str, form: Mapping[str, str], *, signature: str | None = None,
                     sign_url: str | None = None) -> httpx.Response:
        """POST ``form`` to ``url`` (a public URL we handed to Twilio) as Twilio would, signed.

        ``sign_url`` signs a different URL than the one requested; ``signature`` replaces it.
        """
        assert url.startswith(PUBLIC_URL), url
        local = self.running.base_url + url[len(PUBLIC_URL):]
        sig = signature if signature is not None else twilio_signature(sign_url or url, form, AUTH_TOKEN)
        headers = {"X-Twilio-Signature": sig} if sig else {}
        return await self.http.post(local, data=dict(form), headers=headers)

    async def set_state(self, username: str, state: str, reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"state": state, **({"reason": reason} if reason else {})}
        response = await self.http.put(f"{self.running.base_url}/api/agents/me/state", json=body,
                                        headers=self.auth(username))
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data

    async def my_state(self, username: str) -> str:
        response = await self.http.get(f"{self.running.base_url}/api/agents/me", headers=self.auth(username))
        assert response.status_code == 200, response.text
        state: str = response.json()["state"]
        return state

    async def assign(self, customer_id: int, username: str) -> None:
        """Make the customer ``username``'s own (an agent dials only their own, issue 15 item 4)."""
        async with self.running.services.database.session() as session:
            customer = await session.get(Customer, customer_id)
            assert customer is not None
            customer.assigned_agent_id = self.users[username].id

    async def record(self, call_id: str) -> CallRecord | None:
        from sqlalchemy import select

        async with self.running.services.database.session() as session:
            found: CallRecord | None = await session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
            return found


async def until(check: Callable[[], Awaitable[bool]] | Callable[[], bool], what: str,
                timeout: float = 5.0) -> None:
    """Wait (bounded) until ``check()`` is true; fail naming ``what``."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if loop.time() > end:
            raise AssertionError(f"not in time: {what}")
        await asyncio.sleep(0.02)


async def _seed(database: Database) -> tuple[dict[str, User], int, int]:
    """Agents, campaigns and two customers: Wanjiku (a Twilio campaign) and Kibet (an Asterisk one).

    Their loans are current (not past due), so no dialer generates tasks for them by itself.
    """
    users: dict[str, User] = {}
    async with database.session() as session:
        for name, extension in AGENTS.items():
            users[name] = User(username=name, display_name=name.title(), role=Role.AGENT, password_hash="x",
                               extension=extension, queues=["collections"], active=True)
        users["sup"] = User(username="sup", display_name="Sup", role=Role.SUPERVISOR, password_hash="x",
                            active=True)
        session.add_all(users.values())
        campaigns = {code: Campaign(code=code, name=code.title(), carrier=carrier, queue=queue)
                     for code, (carrier, queue, _) in CAMPAIGNS.items()}
        session.add_all(campaigns.values())
        await session.flush()
        for code, (_, _, agents) in CAMPAIGNS.items():
            session.add_all(CampaignAgent(campaign_id=campaigns[code].id, user_id=users[a].id) for a in agents)
        ids = []
        for name, number, code in (("Wanjiku Kamau", CUSTOMER_NUMBER, "mobile_collections"),
                                   ("Kibet Ruto", ASTERISK_CUSTOMER_NUMBER, "collections")):
            customer = Customer(name=name, name_lower=name.lower(), timezone="Africa/Nairobi",
                                campaign_id=campaigns[code].id)
            customer.phones.append(CustomerPhone(e164=number, position=0, label="mobile"))
            session.add(customer)
            await session.flush()
            session.add(Loan(customer_id=customer.id, external_ref=f"L-{customer.id}", product="solar",
                             applied_amount=Decimal(50000), principal=Decimal(50000), interest_amount=Decimal(0),
                             balance=Decimal(40000), start_date=date(2025, 1, 1), end_date=date(2027, 1, 1),
                             days_past_due=0, overdue_amount=Decimal(0), status="active", currency="KES"))
            ids.append(customer.id)
        return users, ids[0], ids[1]


def twilio_settings(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, api_base: str,
                    **extra: Any) -> Settings:
    """Twilio and the public URL from the environment, as an operator would set them."""
    for key, value in {"TWILIO__ACCOUNT_SID": ACCOUNT_SID, "TWILIO__AUTH_TOKEN": AUTH_TOKEN,
                       "TWILIO__CALLER_ID": OUR_NUMBER, "TWILIO__API_BASE": api_base,
                       "PUBLIC_URL": PUBLIC_URL}.items():
        monkeypatch.setenv(f"SWITCHBOARD_{key}", value)
    config_dir = tmp_path / "config"
    if not config_dir.exists():
        shutil.copytree(CONFIG_DIR / "defaults", config_dir)
        dialer_yaml = config_dir / "dialer.yaml"
        dialer_yaml.write_text(dialer_yaml.read_text() + "  - {code: mobile_collections, label: Mobile collections, "
                               "carrier: twilio, queue: collections}\n")
    values: dict[str, Any] = {"env": "test", "database_url": database_url, "redis_url": None,
                              "secret_key": SecretStr("twilio-app-" + "k" * 40), "config_dir": config_dir,
                              "attachments_dir": tmp_path / "attachments", "wrapup_seconds": 60}
    values.update(extra)
    return Settings(**values)


@pytest.fixture
async def fake_twilio() -> AsyncIterator[FakeConferenceApi]:
    api = FakeConferenceApi()
    await api.start()
    try:
        yield api
    finally:
        await api.stop()


@pytest.fixture
async def twilio_app(database: Database, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                     fake_twilio: FakeConferenceApi) -> AsyncIterator[TwilioWorld]:
    users, customer_id, asterisk_customer_id = await _seed(database)
    settings = twilio_settings(database_url, tmp_path, monkeypatch, fake_twilio.base_url)
    assert settings.twilio.api_base == fake_twilio.base_url and settings.public_url == PUBLIC_URL
    async with running_app(settings) as running, httpx.AsyncClient(timeout=10) as http:
        world = TwilioWorld(running, fake_twilio, http, users, customer_id, asterisk_customer_id)

        async def record(event: Event) -> None:
            world.events.append(event)

        assert running.services.bus is not None
        running.services.bus.subscribe(Event, record, group="test-twilio-recorder")
        yield world


@pytest.fixture
async def dialer(twilio_app: TwilioWorld) -> AsyncIterator[Dialer]:
    """The dialer on the app's store, bus and lists, driven by hand (``tick``) on a fixed clock inside
    the calling window, so the gate's answer does not depend on the hour the tests run. Previews
    dial at once (``preview_seconds=0``). If the app already runs a dialer, that one is stopped
    and driven instead, so no second dialer competes for the same tasks."""
    services = twilio_app.running.services
    assert services.bus is not None and services.outbox is not None
    settings = services.settings.model_copy(update={
        "dialer": services.settings.dialer.model_copy(update={"preview_seconds": 0.0})})
    running = services.dialer
    if running is not None:
        await running.stop()
        running.ctx.settings, running.ctx.clock = settings, lambda: DIALER_NOW
        dialer = running
    else:
        dialer = Dialer(settings, services.database, services.bus, services.outbox, services.lists_source.current,
                        load_pack(settings.compliance_pack), services.supervisor, clock=lambda: DIALER_NOW)
        dialer.subscribe(services.bus)
    yield dialer
    dialer.engine.cancel_timers()
