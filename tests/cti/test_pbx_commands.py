"""The PBX commands of the browser phone and the recordings, over AMI (cti/ami/pbx_commands.py),
against the loopback fake AMI server: the right action on the right channel, exactly one
PbxCommandDone per command, a refusal or a missing channel reported, never raised into the bus.
Also the pure parts: which channel is whose, and ContactStatus -> PhoneRegistrationChanged."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from bus.memory import InProcessBus
from cti.ami.calltable import CallTable
from cti.ami.channels import Channel, agent_channel, call_channels, customer_channel, linkedid_of
from cti.ami.connection import AmiConnection
from cti.ami.framing import AmiMessage
from cti.ami.normaliser import normalise
from cti.ami.pbx_commands import PbxCommands
from domain.events import (
    CallTransferRequested,
    PbxCommandDone,
    PbxReloadRequested,
    PhoneRegistrationChanged,
    RecordingAction,
    RecordingControlRequested,
    TransferKind,
)
from runtime.supervisor import TaskSupervisor
from tests.cti.test_connection import FakeAmi, Received, _message, eventually

LINKED = "1733500000.7"
CHANNELS = [("PJSIP/trunk-00000001", LINKED, LINKED), ("PJSIP/2001-00000002", "1733500000.8", LINKED),
            ("PJSIP/20011-00000003", "1733500000.9", "other"), ("PJSIP/2002-00000004", "1733500001.0", "x")]


@dataclass
class PbxFake(FakeAmi):
    """The fake AMI with live channels and a chosen answer for one action."""

    refuse_action: str = ""
    channels: list[tuple[str, str, str]] = field(default_factory=lambda: list(CHANNELS))

    async def _answer(self, writer: asyncio.StreamWriter, item: Received) -> bool:
        aid = ("ActionID", item.action_id)
        if item.action.lower() == "coreshowchannels":
            writer.write(_message(("Response", "Success"), aid, ("EventList", "start"), ("Message", "follows")))
            for name, uniqueid, linkedid in self.channels:
                writer.write(_message(("Event", "CoreShowChannel"), aid, ("Channel", name), ("Uniqueid", uniqueid),
                                      ("Linkedid", linkedid)))
            writer.write(_message(("Event", "CoreShowChannelsComplete"), aid, ("EventList", "Complete"),
                                  ("ListItems", str(len(self.channels)))))
            await writer.drain()
            return True
        if item.action.lower() == self.refuse_action.lower():
            writer.write(_message(("Response", "Error"), aid, ("Message", "No such channel")))
            await writer.drain()
            return True
        return await super()._answer(writer, item)


@dataclass
class World:
    fake: PbxFake
    bus: InProcessBus
    done: list[PbxCommandDone]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    fake = PbxFake()
    await fake.start()
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    connection = AmiConnection(fake.server("pbx1"), events=False, min_backoff=0.01)
    commands = PbxCommands("pbx1", connection, bus, default=True)
    commands.subscribe(bus)
    done: list[PbxCommandDone] = []

    async def collect(ev: PbxCommandDone) -> None:
        done.append(ev)

    bus.subscribe(PbxCommandDone, collect, group="test-done")
    supervisor.spawn("ami", connection.run)
    await bus.start()
    assert await connection.wait_connected(5)
    try:
        yield World(fake, bus, done)
    finally:
        await bus.stop()
        await supervisor.stop()
        await fake.stop()


def test_the_agent_and_the_customer_channels_of_a_call() -> None:
    items = [{"Event": "CoreShowChannel", "Channel": n, "Uniqueid": u, "Linkedid": link} for n, u, link in CHANNELS]
    call = call_channels(items, linkedid_of(f"pbx1/{LINKED}"))
    assert [c.name for c in call] == ["PJSIP/trunk-00000001", "PJSIP/2001-00000002"]
    assert agent_channel(call, "PJSIP/2001") == Channel("PJSIP/2001-00000002", "1733500000.8", LINKED)
    assert agent_channel(call, "PJSIP/200") is None  # a prefix of the device is not the device
    assert customer_channel(call, "PJSIP/2001") == Channel("PJSIP/trunk-00000001", LINKED, LINKED)
    ours = [Channel("PJSIP/2001-0000000a", "sb-1", "sb-1"), Channel("Local/x@y-0001;1", "sb-1.1", "sb-1"),
            Channel("PJSIP/trunk-0000000b", "sb-1.2", "sb-1")]  # our originate: the agent's leg first
    assert customer_channel(ours, "PJSIP/2001") == ours[2]
    assert linkedid_of("sb-abc") == "sb-abc" and linkedid_of("default/1.2") == "1.2"


def test_contact_status_is_the_phones_registration() -> None:
    table = CallTable()

    def event(status: str) -> list[object]:
        text = (f"Event: ContactStatus\r\nAOR: 2001\r\nEndpointName: 2001\r\nContactStatus: {status}\r\n"
                "Timestamp: 1733500000.5")
        return list(normalise(table, AmiMessage.from_text(text), "pbx1"))

    [created] = event("Created")
    assert created == PhoneRegistrationChanged(device="PJSIP/2001", registered=True, status="Created", server="pbx1",
                                               at=created.at)  # type: ignore[union-attr]
    assert [e.registered for e in event("Removed") + event("Unreachable") + event("Reachable")] == [False, False, True]  # type: ignore[attr-defined]


async def test_a_blind_transfer_goes_to_the_agents_channel(world: World) -> None:
    await world.bus.publish(CallTransferRequested(request_id="r1", call_id=f"pbx1/{LINKED}", device="PJSIP/2001",
                                                  kind=TransferKind.BLIND, context="xfer-agent", exten="2002",
                                                  server="pbx1"))
    await eventually(lambda: len(world.done) == 1, 5, "the commands answered")
    [sent] = world.fake.actions("BlindTransfer")
    assert sent.fields["Channel"] == "PJSIP/2001-00000002"
    assert (sent.fields["Context"], sent.fields["Exten"]) == ("xfer-agent", "2002")
    assert world.done[0].ok and world.done[0].request_id == "r1" and world.done[0].call_id == f"pbx1/{LINKED}"


async def test_a_warm_transfer_and_its_return(world: World) -> None:
    for request_id, kind in (("w1", TransferKind.ATTENDED), ("w2", TransferKind.CANCEL)):
        await world.bus.publish(CallTransferRequested(request_id=request_id, call_id=f"pbx1/{LINKED}",
                                                      device="PJSIP/2001", kind=kind, context="q", exten="sales",
                                                      server="pbx1"))
    await eventually(lambda: len(world.done) == 2, 5, "the commands answered")
    assert world.fake.actions("Atxfer")[0].fields["Channel"] == "PJSIP/2001-00000002"
    assert world.fake.actions("CancelAtxfer")[0].fields["Channel"] == "PJSIP/2001-00000002"


async def test_recording_starts_and_pauses_on_the_customers_channel(world: World) -> None:
    call = f"pbx1/{LINKED}"
    await world.bus.publish(RecordingControlRequested(request_id="m1", call_id=call, device="PJSIP/2001",
                                                      action=RecordingAction.START, file="/spool/c.wav", server="pbx1"))
    await world.bus.publish(RecordingControlRequested(request_id="m2", call_id=call, device="PJSIP/2001",
                                                      action=RecordingAction.PAUSE, server="pbx1"))
    await world.bus.publish(RecordingControlRequested(request_id="m3", call_id=call, device="PJSIP/2001",
                                                      action=RecordingAction.RESUME, server="pbx1"))
    await eventually(lambda: len(world.done) == 3, 5, "the commands answered")
    [start] = world.fake.actions("MixMonitor")
    assert start.fields["Channel"] == "PJSIP/trunk-00000001" and start.fields["File"] == "/spool/c.wav"
    assert start.fields["Options"] == "b"
    mutes = world.fake.actions("MixMonitorMute")
    assert [(m.fields["Channel"], m.fields["Direction"], m.fields["State"]) for m in mutes] == [
        ("PJSIP/trunk-00000001", "both", "1"), ("PJSIP/trunk-00000001", "both", "0")]
    assert all(d.ok for d in world.done)


async def test_a_reload_sends_each_module(world: World) -> None:
    await world.bus.publish(PbxReloadRequested(request_id="l1", modules=("res_pjsip.so", "pbx_config.so")))
    await eventually(lambda: len(world.done) == 1, 5, "the commands answered")
    assert [a.fields["Module"] for a in world.fake.actions("Reload")] == ["res_pjsip.so", "pbx_config.so"]
    assert world.done[0].ok and world.done[0].command == "reload"


async def test_a_refusal_and_a_vanished_leg_are_reported_not_raised(world: World) -> None:
    world.fake.refuse_action = "BlindTransfer"
    await world.bus.publish(CallTransferRequested(request_id="f1", call_id=f"pbx1/{LINKED}", device="PJSIP/2001",
                                                  kind=TransferKind.BLIND, context="c", exten="1", server="pbx1"))
    await world.bus.publish(CallTransferRequested(request_id="f2", call_id="pbx1/gone.1", device="PJSIP/2001",
                                                  kind=TransferKind.BLIND, context="c", exten="1", server="pbx1"))
    await world.bus.publish(CallTransferRequested(request_id="f3", call_id=f"pbx9/{LINKED}", device="PJSIP/2001",
                                                  kind=TransferKind.BLIND, context="c", exten="1", server="pbx9"))
    await eventually(lambda: len(world.done) == 2, 5, "the commands answered")
    await asyncio.sleep(0.2)
    by_id = {d.request_id: d for d in world.done}
    assert set(by_id) == {"f1", "f2"}  # another server's command is not ours
    assert not by_id["f1"].ok and "No such channel" in (by_id["f1"].message or "")
    assert not by_id["f2"].ok and "gone" in (by_id["f2"].message or "")
