"""Dialer test world: the real store (SQLite and PostgreSQL via ``database``), the in-process bus,
the memory outbox, the default lists and the Kenya pack, a settable clock, and a FAKE carrier that
consumes DialRequested and answers like the Asterisk bridge (DialResult, then the call's events).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from bus.base import OutboxMessage
from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from config.compliance_loader import load_pack
from config.lists import Lists, load_lists
from config.settings import CONFIG_DIR, DialerSettings, Settings
from dialer.service import Dialer
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentStateRequested,
    CallEnded,
    DialOutcome,
    DialRequested,
    DialResult,
    Direction,
    EndCause,
    Event,
)
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import (
    AgentPresence,
    Campaign,
    CampaignAgent,
    Contact,
    Customer,
    CustomerPhone,
    Loan,
    Relation,
    Role,
    User,
)

# Wednesday 4 March 2026, 10:00 in Nairobi (UTC+3): inside the Kenya pack's calling window.
WEDNESDAY_10_NAIROBI = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)


class Clock:
    def __init__(self, at: datetime = WEDNESDAY_10_NAIROBI) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@dataclass
class FakeCarrier:
    """Answers every DialRequested with ``result``; then plays ``script`` (cause or None)."""

    bus: InProcessBus
    result: DialOutcome = DialOutcome.SENT
    end_cause: EndCause | None = None  # None: the call stays up until the test ends it
    answer: bool = False
    requests: list[DialRequested] = field(default_factory=list)
    states: list[AgentStateRequested] = field(default_factory=list)

    def subscribe(self) -> None:
        self.bus.subscribe(DialRequested, self.on_dial, group="fake-carrier")
        self.bus.subscribe(AgentStateRequested, self.on_state, group="fake-carrier-state")

    async def on_state(self, ev: AgentStateRequested) -> None:
        self.states.append(ev)

    async def on_dial(self, ev: DialRequested) -> None:
        self.requests.append(ev)
        await self.bus.publish(DialResult(call_id=ev.call_id, outcome=self.result))
        if self.result is not DialOutcome.SENT:
            return
        await self.bus.publish(AgentRinging(call_id=ev.call_id, device=ev.agent_device, member_name=None,
                                            queue=None, caller_number=ev.customer_number,
                                            dialed_number=ev.customer_number, direction=Direction.OUTBOUND))
        if self.answer:
            await self.bus.publish(AgentConnected(call_id=ev.call_id, device=ev.agent_device, queue=None,
                                                  hold_seconds=None, ring_seconds=None))
        if self.end_cause is not None:
            await self.end(ev.call_id, self.end_cause)

    async def end(self, call_id: str, cause: EndCause) -> None:
        await self.bus.publish(CallEnded(call_id=call_id, cause=cause, cause_code=None,
                                         talk_seconds=30 if cause is EndCause.NORMAL else None))


@dataclass
class World:
    database: Database
    bus: InProcessBus
    outbox: MemoryOutbox
    supervisor: TaskSupervisor
    settings: Settings
    lists: Lists
    clock: Clock
    dialer: Dialer
    carrier: FakeCarrier
    published: list[Event] = field(default_factory=list)

    async def messages(self, stream: str, type_: str | None = None) -> list[OutboxMessage]:
        found = await self.outbox.read(stream, 0, 0)
        return [m for m in found if type_ is None or m.type == type_]

    async def settle(self) -> None:
        """Until every bus group has handled everything published so far (bounded)."""
        queues = list(self.bus._queues.values())  # the in-process bus's per-group queues
        for _ in range(3):  # handlers may publish more (the fake carrier does)
            await asyncio.wait_for(asyncio.gather(*(q.join() for q in queues)), timeout=10)
            await asyncio.sleep(0.01)

    async def until(self, check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            if await check():
                return
            if loop.time() > end:
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.02)

    # --- data --------------------------------------------------------------------------------------

    async def campaign(self, code: str = "collections") -> Campaign:
        async with self.database.session() as s:
            from sqlalchemy import select
            row = await s.scalar(select(Campaign).where(Campaign.code == code))
            if row is None:
                row = Campaign(code=code, name=code, carrier="asterisk", queue=code)
                s.add(row)
                await s.flush()
            return row

    async def agent(self, username: str, extension: str, *, state: str = "ready",
                    campaign: str = "collections", role: Role = Role.AGENT) -> User:
        camp = await self.campaign(campaign)
        async with self.database.session() as s:
            user = User(username=username, display_name=username.title(), role=role, password_hash="x",
                        extension=extension, queues=[campaign])
            s.add(user)
            await s.flush()
            s.add(CampaignAgent(campaign_id=camp.id, user_id=user.id))
            s.add(AgentPresence(user_id=user.id, state=state, since=self.clock()))
        return user

    async def set_state(self, user: User, state: str) -> None:
        async with self.database.session() as s:
            row = await s.get(AgentPresence, user.id)
            assert row is not None
            row.state = state

    async def customer(self, name: str = "Wanjiku Kamau", phone: str = "+254712345678", *,
                       overdue: str = "5000", dpd: int = 12, risk: float = 0.5, product: str = "solar",
                       contacts: tuple[tuple[Relation, str, str], ...] = (),
                       **extra: Any) -> Customer:
        camp = await self.campaign()
        async with self.database.session() as s:
            customer = Customer(name=name, name_lower=name.lower(), timezone="Africa/Nairobi",
                                risk_score=risk, campaign_id=camp.id, **extra)
            customer.phones = [CustomerPhone(e164=phone, position=0, label="mobile")]
            customer.contacts = [Contact(relation=rel, name=cname, phone_e164=cphone)
                                 for rel, cname, cphone in contacts]
            s.add(customer)
            await s.flush()
            if Decimal(overdue) > 0 or dpd > 0:
                s.add(Loan(customer_id=customer.id, external_ref=f"L-{customer.id}", product=product,
                           applied_amount=Decimal(50000), principal=Decimal(50000), interest_amount=Decimal(0),
                           balance=Decimal(40000), start_date=date(2025, 1, 1), end_date=date(2027, 1, 1),
                           days_past_due=dpd, overdue_amount=Decimal(overdue), status="active", currency="KES"))
        return customer


def dialer_settings(database_url: str, **dialer: Any) -> Settings:
    values: dict[str, Any] = {"preview_seconds": 5.0, "preview_mode": "auto", "tick_seconds": 0.2,
                              "callback_grace_minutes": 10, "approval_minutes": 30,
                              "approval_timeout_seconds": 300}
    values.update(dialer)
    return Settings(database_url=database_url, dialer=DialerSettings(**values))


@pytest.fixture
def default_lists() -> Lists:
    return load_lists(CONFIG_DIR / "defaults")


def with_dialer_config(lists: Lists, **update: Any) -> Lists:
    return dataclasses.replace(lists, dialer=lists.dialer.model_copy(update=update))


@pytest.fixture
async def world(database: Database, database_url: str, default_lists: Lists) -> AsyncIterator[World]:
    supervisor = TaskSupervisor(stop_timeout=2.0)
    bus = InProcessBus(supervisor, drain_timeout=1.0)
    outbox = MemoryOutbox()
    clock = Clock()
    settings = dialer_settings(database_url)
    dialer = Dialer(settings, database, bus, outbox, default_lists, load_pack("kenya"), supervisor, clock=clock)
    dialer.subscribe(bus)
    carrier = FakeCarrier(bus)
    carrier.subscribe()
    w = World(database, bus, outbox, supervisor, settings, default_lists, clock, dialer, carrier)

    async def record(ev: Event) -> None:
        w.published.append(ev)

    bus.subscribe(Event, record, group="test-recorder")
    await bus.start()
    try:
        yield w
    finally:
        await dialer.stop()
        await bus.stop()
        await supervisor.stop()
