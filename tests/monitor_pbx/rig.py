"""The live-monitoring rig on the test PBX: three parties with real RTP, and the AMI command handler.

A sipp customer (UAC, 127.0.0.1:5070) calls the collections queue; the agent 1001 (sipp UAS on its
port) answers; the supervisor is 1003 (sipp UAS on 5030), rung by the ``Originate`` that
:class:`cti.ami.pbx_commands.PbxCommands` sends for a ``MonitorRequested``. sipp only signals: each
party's audio is a :class:`ToneParty` (a UDP RTP peer) playing its own tone (customer 440 Hz, agent
1000 Hz, supervisor 1800 Hz) and recording what reaches it, so the test can say who hears whom.
Asterisk's RTP port for a leg is read from the SDP in that sipp's message log, and the party sends
to it at once (nobody waits for the other side to speak first).
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from pydantic import SecretStr

from bus.memory import InProcessBus
from config.settings import AmiServer
from cti.ami.connection import AmiConnection
from cti.ami.pbx_commands import PbxCommands
from domain.events import PbxCommandDone
from runtime.supervisor import TaskSupervisor
from tests.pbx.harness import AGENT_PORTS, DID_DIRECT, Pbx, SippPhone
from tests.phone_pbx.rtp_peer import RtpPeer

CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ = 440.0, 1000.0, 1800.0
AGENT, SUPERVISOR = 1001, 1003
_M_AUDIO = re.compile(r"^m=audio (\d+) ", re.MULTILINE)


class ToneParty(RtpPeer):
    """An RTP peer that starts its tone towards a known Asterisk port (not only once it hears one)."""

    def send_to(self, port: int) -> None:
        if self.remote is None:
            self.remote = ("127.0.0.1", port)
            self._sender = asyncio.get_running_loop().create_task(self._send_tone())

    def heard(self, freq: float, t0: float, t1: float) -> float:
        return self.power(freq, t0, t1)


async def asterisk_port(phone: SippPhone, own: int, timeout: float = 10.0) -> int:
    """Asterisk's RTP port of this leg: the m=audio line of the SDP that is not the party's own."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ports = [int(p) for p in _M_AUDIO.findall(phone.messages()) if int(p) != own]
        if ports:
            return ports[-1]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no SDP from Asterisk in {phone.name}'s log\n{phone.logs()}")


def uas(ext: int, party: ToneParty) -> SippPhone:
    return SippPhone("uas_rtp_peer", local_port=AGENT_PORTS[ext], keys={"rtp_port": str(party.port)},
                     calls=1, timeout_s=120, name=f"phone-{ext}", replace={'<pause milliseconds="1000"/>': ""})


@dataclass
class Rig:
    pbx: Pbx
    actions: AmiConnection
    bus: InProcessBus
    done: list[PbxCommandDone] = field(default_factory=list)
    phones: list[SippPhone] = field(default_factory=list)
    parties: list[ToneParty] = field(default_factory=list)

    async def party(self, tone: float) -> ToneParty:
        peer = ToneParty(tone)
        await peer.start()
        self.parties.append(peer)
        return peer

    def keep(self, phone: SippPhone) -> SippPhone:
        self.phones.append(phone.start() if phone.proc is None else phone)
        return phone

    async def channels(self) -> list[dict[str, str]]:
        listing = await self.actions.action("CoreShowChannels", {}, timeout=10)
        return [dict(item.headers) for item in listing.items if item.headers.get("Event") == "CoreShowChannel"]

    async def talking_call(self, customer: ToneParty, agent: ToneParty) -> str:
        """The customer calls the queue, the agent answers; both talk. Returns the call_id."""
        self.pbx.cli(f"queue add member PJSIP/{AGENT} to collections")
        agent_phone = self.keep(uas(AGENT, agent))
        customer_phone = self.keep(SippPhone(
            "uac_rtp_peer", local_port=5070, remote="127.0.0.1:5060", service=DID_DIRECT,
            keys={"caller": "0712345678", "rtp_port": str(customer.port)}, calls=1, timeout_s=120, name="customer"))
        agent.send_to(await asterisk_port(agent_phone, agent.port))
        customer.send_to(await asterisk_port(customer_phone, customer.port))
        for _ in range(100):
            for item in await self.channels():
                if item.get("Channel", "").startswith(f"PJSIP/{AGENT}-") and item.get("ChannelStateDesc") == "Up":
                    return f"default/{item['Linkedid']}"
            await asyncio.sleep(0.1)
        raise AssertionError("the agent never answered")

    async def result(self, request_id: str, command: str, timeout: float = 10.0) -> PbxCommandDone:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for ev in self.done:
                if ev.request_id == request_id and ev.command == command:
                    return ev
            await asyncio.sleep(0.02)
        raise AssertionError(f"no PbxCommandDone for {request_id}")


@asynccontextmanager
async def rig(pbx: Pbx) -> AsyncIterator[Rig]:
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    server = AmiServer(name="default", host=pbx.ami_host, port=pbx.ami_port, username=pbx.ami_username,
                       secret=SecretStr(pbx.ami_secret))
    actions = AmiConnection(server, events=False, min_backoff=0.05)
    commands = PbxCommands("default", actions, bus, default=True)
    commands.subscribe(bus)
    built = Rig(pbx, actions, bus)

    async def collect(ev: PbxCommandDone) -> None:
        built.done.append(ev)

    bus.subscribe(PbxCommandDone, collect, group="test-done")
    supervisor.spawn("ami", actions.run)
    await bus.start()
    assert await actions.wait_connected(10)
    try:
        yield built
    finally:
        for phone in reversed(built.phones):
            phone.cleanup()
        for peer in built.parties:
            peer.close()
        await bus.stop()
        await supervisor.stop()
