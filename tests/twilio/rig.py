"""The webhook service on a fixed clock, for its tests: signed webhooks in, events collected, and the
local Twilio stand-in (Calls and Conferences, :mod:`tests.twilio.fake_conferences`) for the REST side.

The ``rig`` fixture (``tests/twilio/conftest.py``) builds one; the helpers read TwiML answers and the
Participants API requests that ring an agent into the call's conference.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr

from config.settings import Settings, TwilioSettings
from cti.twilio.acd import TwilioAcd
from cti.twilio.carrier import TwilioCarrier
from cti.twilio.rest import TwilioRest
from cti.twilio.service import TwilioVoiceService
from domain.events import AgentState, AgentStateChanged, Event
from tests.twilio.fake_api import Recorded
from tests.twilio.fake_conferences import FakeConferenceApi
from tests.twilio.helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER, PUBLIC_URL, signed, voice_form

CUSTOMER = "+254712345678"
CONFERENCES = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences"


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime(2024, 6, 11, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Rig:
    service: TwilioVoiceService
    carrier: TwilioCarrier
    api: FakeConferenceApi
    events: list[Event]
    clock: Clock

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[tuple[str, AgentState]]:
        return [(e.device, e.state) for e in self.events if isinstance(e, AgentStateChanged)]

    def rings(self) -> list[Recorded]:
        """The Participants API requests so far that rang an agent into a conference."""
        return [r for r in self.api.requests
                if r.method == "POST" and r.path.startswith(CONFERENCES) and r.value("Label") == "agent"]


@asynccontextmanager
async def running_rig() -> AsyncIterator[Rig]:
    api = FakeConferenceApi()
    await api.start()
    settings = Settings(public_url=PUBLIC_URL, twilio=TwilioSettings(
        account_sid=ACCOUNT_SID, auth_token=SecretStr(AUTH_TOKEN), caller_id=OUR_NUMBER, api_base=api.base_url))
    events: list[Event] = []

    async def publish(event: Event) -> None:
        events.append(event)

    clock = Clock()
    rest = TwilioRest(settings.twilio, request_timeout=2.0, retry_delays=(0.01,))
    service = TwilioVoiceService(settings, TwilioAcd(wrapup_seconds=0), publish, rest,
                                 default_queue="collections", clock=clock)
    try:
        yield Rig(service, TwilioCarrier(service, clock=clock), api, events, clock)
    finally:
        await service.drain()
        await rest.aclose()
        await api.stop()


def xml(answer: str) -> ET.Element:
    """The answer's <Response>, without the recording notice a new caller hears first (issue 20:
    tested in tests/recordings)."""
    root = ET.fromstring(answer)
    assert root.tag == "Response"
    if len(root) and root[0].tag == "Say" and "may be recorded" in (root[0].text or ""):
        root.remove(root[0])
    return root


def conference_of(answer: str) -> tuple[str, str]:
    """(conference name, ``<Dial action>`` URL) of the customer's ``<Dial><Conference>`` answer."""
    [dial] = xml(answer)
    assert dial.tag == "Dial"
    [conference] = dial
    assert conference.tag == "Conference" and conference.attrib["participantLabel"] == "customer"
    return conference.text or "", dial.attrib["action"]


def ring_of(request: Recorded) -> tuple[str, str, str]:
    """(conference name, agent device, status callback URL) of a Participants API ring."""
    conference = request.path.removeprefix(CONFERENCES + "/").removesuffix("/Participants.json")
    return conference, request.value("To") or "", request.value("StatusCallback") or ""


def query(url: str, key: str) -> str:
    return parse_qs(urlsplit(url).query)[key][0]


async def login(rig: Rig, *names: str) -> None:
    for name in names:
        await rig.carrier.queue_add("collections", f"client:{name}", name)
        rig.clock.advance(1)


async def ring_in(rig: Rig, sid: str, caller: str = CUSTOMER) -> str:
    return await rig.service.handle_voice(signed("/twilio/voice", voice_form(sid, caller=caller), "queue=collections"))


def agent_form(leg: str, status: str, to: str = "client:amina", **extra: str) -> dict[str, str]:
    """A status callback of an agent leg rung through the Participants API (an outbound-api call)."""
    return voice_form(leg, status=status, caller=OUR_NUMBER, to=to, direction="outbound-api", **extra)
