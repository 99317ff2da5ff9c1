"""One function decides an agent device's carrier, and every place that asks agrees with it (issue 14 item 3).

The places: the dialer's dials (whatever the campaign names) and its pauses, presence, the phone
line check, the phone profile, live monitoring (whether a supervisor's phone can join a call) and
Twilio's device parser.

The three extension forms: ``client:amina`` (a Twilio browser client), ``+254712...`` (a number Twilio
dials) and ``PJSIP/1001`` / ``SIP/1001`` / ``1001`` (Asterisk). Before the fix the dialer treated only
``client:`` as Twilio, so pausing an agent whose extension is ``+2547...`` went to Asterisk.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any, cast

import pytest

from agent_ui.line import line_status
from agent_ui.services import Services
from bus.memory import InProcessBus
from bus.outbox import MemoryOutbox
from config.compliance_loader import load_pack
from config.settings import Settings
from cti.twilio import twiml
from dialer.context import DialerContext
from dialer.dialing import dial_carrier
from domain.carrier import carrier_for_device
from domain.errors import Conflict, InvalidInput
from domain.events import AgentStateRequested, Event, MonitorMode, MonitorRequested
from live.presence import PresenceService
from phone.service import PhoneService
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import CallRecord, Campaign, Role, User
from supervision.monitor import MonitorService

FORMS = [
    ("client:amina", "twilio"),
    ("+254712345678", "twilio"),
    ("PJSIP/1001", "asterisk"),
    ("SIP/1001", "asterisk"),
    ("1001", "asterisk"),
]


@pytest.mark.parametrize(("device", "carrier"), FORMS)
def test_the_one_function(device: str, carrier: str) -> None:
    assert carrier_for_device(device) == carrier
    assert carrier_for_device(f"  {device} ") == carrier


def test_no_device_is_asterisk() -> None:
    assert carrier_for_device(None) == "asterisk"
    assert carrier_for_device("") == "asterisk"


class RecordingBus:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def publish(self, event: Event) -> None:
        self.events.append(event)


def _agent(extension: str) -> User:
    return User(id=7, username="amina", display_name="Amina", role=Role.AGENT, password_hash="x",
                extension=extension, queues=["collections"], active=True)


@pytest.mark.parametrize(("device", "carrier"), FORMS)
async def test_dialer_pause_and_give_back_go_to_the_device_carrier(device: str, carrier: str) -> None:
    bus = RecordingBus()
    ctx = DialerContext(settings=cast(Any, None), database=cast(Any, None), bus=cast(Any, bus),
                        outbox=cast(Any, None), lists_source=cast(Any, None), pack=cast(Any, None),
                        clock=cast(Any, None))
    await ctx.carrier_pause(_agent(device), True)
    await ctx.carrier_pause(_agent(device), False)
    paused, ready = cast(list[AgentStateRequested], bus.events)
    assert (paused.state, paused.reason, paused.carrier, paused.device) == ("paused", "dialer", carrier, device)
    assert (ready.state, ready.carrier) == ("ready", carrier)


@pytest.fixture
async def presence(database: Database) -> AsyncIterator[tuple[PresenceService, list[AgentStateRequested]]]:
    supervisor = TaskSupervisor()
    bus, outbox = InProcessBus(supervisor), MemoryOutbox()
    commands: list[AgentStateRequested] = []

    async def record(ev: AgentStateRequested) -> None:
        commands.append(ev)

    service = PresenceService(database, bus, outbox, wrapup_seconds=0, is_pause_code=lambda c: c == "lunch")
    bus.subscribe(AgentStateRequested, record)
    await bus.start()
    try:
        yield service, commands
    finally:
        await bus.stop()


@pytest.mark.parametrize(("device", "carrier"), FORMS)
async def test_presence_pause_goes_to_the_device_carrier(
        database: Database, presence: tuple[PresenceService, list[AgentStateRequested]],
        device: str, carrier: str) -> None:
    service, commands = presence
    async with database.session() as s:
        s.add(User(username="amina", display_name="Amina", role=Role.AGENT, password_hash="x",
                   extension=device, queues=["collections"]))
    await service.request("amina", "ready", None)
    await service.request("amina", "paused", "lunch")
    async with asyncio.timeout(10.0):  # the in-process bus delivers in its own task
        while len(commands) < 2:
            await asyncio.sleep(0.01)
    assert [(c.state, c.carrier, c.device) for c in commands] == [("ready", carrier, device),
                                                                   ("paused", carrier, device)]


@pytest.mark.parametrize(("device", "carrier"), FORMS)
async def test_phone_line_names_the_device_carrier(device: str, carrier: str) -> None:
    nothing = cast(Services, SimpleNamespace(twilio=None, asterisk=None, phone=None))  # no carrier runs
    line = await line_status(nothing, _agent(device))  # the sentence names the carrier's part
    assert (line.ok, line.carrier) == (False, carrier)
    assert ("Twilio" if carrier == "twilio" else "Asterisk") in (line.reason or "")


@pytest.mark.parametrize(("device", "carrier"), FORMS)
def test_phone_profile_names_the_device_carrier(device: str, carrier: str) -> None:
    assert PhoneService._status(_agent(device), None).carrier == carrier


@pytest.mark.parametrize(("device", "carrier"), FORMS)
def test_twilio_dials_only_its_own_devices(device: str, carrier: str) -> None:
    if carrier == "twilio":
        assert twiml.parse_device(device).address == device
    else:
        with pytest.raises(InvalidInput, match="it is an Asterisk one"):
            twiml.parse_device(device)


@pytest.mark.parametrize(("device", "carrier"), FORMS)
@pytest.mark.parametrize("campaign_carrier", ["asterisk", "twilio"])
def test_a_dial_goes_to_the_device_carrier_whatever_the_campaign_names(
        device: str, carrier: str, campaign_carrier: str) -> None:
    campaign = Campaign(code="collections", name="Collections", carrier=campaign_carrier, queue="collections")
    assert dial_carrier(_agent(device), campaign) == carrier  # the dial rings the agent's phone first


@pytest.mark.parametrize(("device", "carrier"), FORMS)
@pytest.mark.parametrize("call_carrier", ["asterisk", "twilio"])
async def test_a_supervisor_phone_joins_only_calls_of_its_carrier(
        database: Database, tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
        device: str, carrier: str, call_carrier: str) -> None:
    async with database.session() as s:
        sup = User(username="sup", display_name="Sup", role=Role.SUPERVISOR, password_hash="x", extension=device)
        agent = User(username="amina", display_name="Amina", role=Role.AGENT, password_hash="x",
                     extension="client:agent7" if call_carrier == "twilio" else "PJSIP/2007")
        s.add_all([sup, agent])
    record = CallRecord(call_id="sb-call-1", direction="inbound", carrier=call_carrier, server=None,
                        device=agent.extension)
    published: list[Event] = []

    async def publish(event: Event) -> None:
        published.append(event)

    settings = Settings(attachments_dir=tmp_path / "att", secret_key="k" * 40)
    service = MonitorService(database, settings, publish, None, load_pack("kenya"))

    async def talking(call_id: str) -> tuple[CallRecord, User]:  # the call's checks are not this test's
        return record, agent

    monkeypatch.setattr(service, "_talking_agent", talking)
    if carrier != call_carrier:
        with pytest.raises(Conflict, match="your phone cannot join a call on"):
            await service.start(sup, "sb-call-1", MonitorMode.LISTEN)
        assert published == []
        return
    await service.start(sup, "sb-call-1", MonitorMode.LISTEN)
    [requested] = published
    assert isinstance(requested, MonitorRequested)
    assert (requested.carrier, requested.supervisor_device) == (call_carrier, device)
