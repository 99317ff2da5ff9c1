"""Small helpers for the Twilio app tests: TwiML reading, socket reading, ACD readiness."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from domain.events import AgentState
from tests.twilio.fake_api import Recorded
from tests.twilio_app.conftest import TwilioWorld, until


def twiml(answer: str) -> ET.Element:
    """The answer's <Response>, without the recording notice a new caller hears first (issue 20:
    tested in tests/recordings)."""
    root = ET.fromstring(answer)
    assert root.tag == "Response", answer
    if len(root) and root[0].tag == "Say" and "may be recorded" in (root[0].text or ""):
        root.remove(root[0])
    return root


@dataclass(frozen=True)
class Dialled:
    """Outbound: the agent's answered leg in the call's conference and the customer dialled into it (issue 22)."""

    action: str  # the agent's <Dial action> URL
    status_url: str  # the customer leg's status callback URL
    leg: str  # the customer leg's call SID (in the fake's conference)
    request: Recorded  # the Participants API request that dialled the customer


async def dialled(world: TwilioWorld, answer: str) -> Dialled:
    """Read the agent's ``<Dial><Conference>`` answer and wait for the customer dialled into it."""
    [dial] = twiml(answer)
    assert dial.tag == "Dial", answer
    [conference] = dial
    assert conference.tag == "Conference" and conference.attrib["participantLabel"] == "agent", answer
    room = conference.text or ""

    def dials() -> list[Recorded]:
        return [r for r in world.api.requests if r.method == "POST" and r.value("Label") == "customer"
                and r.path.endswith(f"/Conferences/{room}/Participants.json")]

    await until(lambda: len(dials()) == 1, f"the customer dialled into {room}")
    [request] = dials()
    leg = world.api.rooms[room].labels()["customer"]
    return Dialled(dial.attrib["action"], request.value("StatusCallback") or "", leg, request)


@dataclass(frozen=True)
class Rung:
    """A customer bridged into the call's conference and the agent rung into it (issue 22)."""

    room: str  # the conference's FriendlyName
    action: str  # the customer's <Dial action> URL
    device: str  # the agent's device rung through the Participants API
    status_url: str  # the agent leg's status callback URL
    leg: str  # the agent leg's call SID (in the fake's conference)


async def rung(world: TwilioWorld, answer: str, nth: int = 0) -> Rung:
    """Read the customer's ``<Dial><Conference>`` answer and wait for the ``nth`` agent rung into it."""
    [dial] = twiml(answer)
    assert dial.tag == "Dial", answer
    [conference] = dial
    assert conference.tag == "Conference" and conference.attrib["participantLabel"] == "customer", answer
    room = conference.text or ""

    def rings() -> list[Recorded]:
        return [r for r in world.api.requests if r.method == "POST" and r.value("Label") == "agent"
                and r.path.endswith(f"/Conferences/{room}/Participants.json")]

    await until(lambda: len(rings()) > nth, f"agent {nth + 1} rung into {room}")
    ring = rings()[nth]
    legs = [p["call_sid"] for p in world.api.rooms[room].participants if p["label"] == "agent"]
    return Rung(room, dial.attrib["action"], ring.value("To") or "", ring.value("StatusCallback") or "", legs[nth])


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


async def recv(ws: Any, kind: str, timeout: float = 5.0) -> dict[str, Any]:
    """The next socket message of type ``kind`` (others are skipped), bounded in time."""
    async with asyncio.timeout(timeout):
        while True:
            msg: dict[str, Any] = json.loads(await ws.recv())
            if msg["type"] == kind:
                return msg


def acd_state(world: TwilioWorld, device: str) -> AgentState | None:
    """The Twilio ACD's view of an agent (None: unknown to it)."""
    agent = world.service.acd.agent(device)
    return agent.state if agent is not None else None


async def ready_in_acd(world: TwilioWorld, *usernames: str) -> None:
    """Press ready on the desktop, one agent after the other, and wait until the ACD has them."""
    for name in usernames:
        assert (await world.set_state(name, "ready"))["state"] == "ready"
        device = world.users[name].extension or ""

        await until(lambda d=device: acd_state(world, d) is AgentState.READY,
                    f"{name} ready in the Twilio ACD")
        await asyncio.sleep(0.01)  # distinct idle-since times: the first one is the longest idle


async def outbox_types(world: TwilioWorld, stream: str) -> list[str]:
    outbox = world.running.services.outbox
    assert outbox is not None
    return [m.type for m in await outbox.read(stream, 0, 0)]


async def desktop_state(world: TwilioWorld, username: str, state: str) -> None:
    """Wait (bounded) until GET /api/agents/me shows ``state`` for the agent (presence is its own
    bus consumer, so it may trail the pop by a moment)."""

    async def shows() -> bool:
        return await world.my_state(username) == state

    await until(shows, f"{username} {state} on the desktop")
