"""A world for the browser phone's and the recordings' API tests: the real app over the ``database``
fixture (SQLite and PostgreSQL) with the phone and recordings components, provisioning into a
temporary directory, and a fake PBX on the in-process bus that answers every PBX command (ok, or
refused when told) the way the Asterisk bridge does: one ``PbxCommandDone`` per command."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from agent_ui.app import create_app
from agent_ui.components.phone import PhoneComponent, PhoneParts
from agent_ui.components.recordings import RecordingParts, RecordingsComponent
from agent_ui.services import Services, build_services
from config.phone_settings import PhoneSettings, RecordingSettings
from config.settings import CONFIG_DIR, AmiSettings, Settings
from domain.events import (
    CallTransferRequested,
    Event,
    PbxCommandDone,
    PbxReloadRequested,
    RecordingControlRequested,
    utcnow,
)
from store.models import AgentPresence, CallRecord, Customer, CustomerPhone, Role, User
from store.repositories.users import hash_password

PASSWORD = "phone-test-pass"
USERS = {"admin": ("admin", None), "sup": ("supervisor", None), "amina": ("agent", "PJSIP/2001"),
         "brian": ("agent", "PJSIP/2002"), "desk": ("agent", "PJSIP/1001"), "tw": ("agent", "client:tw")}
_HASH = hash_password(PASSWORD)

Commands = CallTransferRequested | RecordingControlRequested | PbxReloadRequested


@dataclass
class PhoneWorld:
    client: httpx.AsyncClient
    services: Services
    settings: Settings
    users: dict[str, User]
    tokens: dict[str, str]
    commands: list[Event] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # command names the fake PBX refuses
    frames: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def as_(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    @property
    def phone(self) -> PhoneParts:
        parts = self.services.phone
        assert parts is not None
        return parts

    @property
    def recordings(self) -> RecordingParts:
        parts = self.services.recordings
        assert parts is not None
        return parts

    @property
    def include(self) -> str:
        path = self.settings.phone.pjsip_include
        assert path is not None
        return path.read_text() if path.exists() else ""

    async def settle(self, check: Any, within: float = 5.0) -> None:
        """Wait (bounded) until ``check()`` holds: the in-process bus delivers in the background."""
        async with asyncio.timeout(within):
            while not check():
                await asyncio.sleep(0.01)

    async def on_call(self, username: str, call_id: str, *, customer: str = "Wanjiku Kamau",
                      phone: str = "+254712345678", at: datetime | None = None) -> int:
        """``username`` answered ``call_id`` from a customer (the live layer's rows, written directly)."""
        user = self.users[username]
        async with self.services.database.session() as session:
            person = Customer(name=customer, name_lower=customer.lower(), timezone="Africa/Nairobi",
                              phones=[CustomerPhone(e164=phone, position=0)])
            session.add(person)
            await session.flush()
            session.add(CallRecord(call_id=call_id, direction="inbound", carrier="asterisk", server="default",
                                   caller_number=phone, agent_id=user.id, device=user.extension,
                                   customer_id=person.id, offered_at=at or utcnow(), answered_at=at or utcnow()))
            presence = await session.get(AgentPresence, user.id)
            if presence is None:
                session.add(AgentPresence(user_id=user.id, state="on_call", call_id=call_id))
            else:
                presence.state, presence.call_id = "on_call", call_id
            return person.id


def world_settings(database_url: str, tmp_path: Path, **recordings: Any) -> Settings:
    config_dir = tmp_path / "config"
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    return Settings(env="test", database_url=database_url, secret_key=SecretStr("phone-test-" + "k" * 40),
                    attachments_dir=tmp_path / "attachments", config_dir=config_dir, redis_url=None,
                    ami=AmiSettings(queues=["collections", "customer_service"]),
                    twilio={"account_sid": "AC" + "a" * 32, "auth_token": "tw-token"},  # type: ignore[arg-type]
                    phone=PhoneSettings(pjsip_include=tmp_path / "pbx" / "pjsip_switchboard.conf",
                                        dialplan_include=tmp_path / "pbx" / "extensions_switchboard.conf",
                                        twilio_api_key_sid="SK" + "b" * 32,
                                        twilio_api_key_secret=SecretStr("k" * 32)),
                    recordings=RecordingSettings(local_dir=tmp_path / "store", asterisk_dir="/var/spool/x",
                                                 pickup_dir=tmp_path / "spool", ingest_wait_seconds=2,
                                                 **recordings))


@pytest.fixture
async def phone_world(database: Any, database_url: str, tmp_path: Path) -> AsyncIterator[PhoneWorld]:
    settings = world_settings(database_url, tmp_path)
    services = build_services(settings)
    assert services.bus is not None and services.outbox is not None
    users: dict[str, User] = {}
    async with services.database.session() as session:
        for name, (role, extension) in USERS.items():
            users[name] = User(username=name, display_name=name.title(), role=Role(role), password_hash=_HASH,
                               extension=extension, queues=["collections"], active=True)
            session.add(users[name])
    world = PhoneWorld(httpx.AsyncClient(), services, settings, users,
                       {name: services.tokens.issue(user) for name, user in users.items()})

    async def fake_pbx(ev: Commands) -> None:
        world.commands.append(ev)
        name = {CallTransferRequested: "transfer", RecordingControlRequested: "recording",
                PbxReloadRequested: "reload"}[type(ev)]
        ok = name not in world.refuse
        await services.bus.publish(PbxCommandDone(  # type: ignore[union-attr]
            request_id=ev.request_id, command=name, ok=ok, message=None if ok else "refused by the fake PBX",
            call_id=getattr(ev, "call_id", None)))

    for kind in (CallTransferRequested, RecordingControlRequested, PbxReloadRequested):
        services.bus.subscribe(kind, fake_pbx, group=f"fake-pbx-{kind.__name__}")
    append = services.outbox.append

    async def spy(stream: str, type: str, data: dict[str, Any]) -> int:
        world.frames.append((stream, type, data))
        return await append(stream, type, data)

    services.outbox.append = spy  # type: ignore[method-assign]
    app = create_app(settings, services, components=[PhoneComponent(), RecordingsComponent()])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport,
                                                                     base_url="http://testserver") as client:
        await services.start()
        world.client = client
        yield world
    await services.close()
