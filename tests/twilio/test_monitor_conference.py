"""Live monitoring on Twilio (issue 22): the conference participant requests, against the local
stand-in answering in Twilio's recorded shapes, authenticated with the account's credentials.

Listen joins the supervisor muted, whisper coaches the agent's call SID (found by the participant
label ``agent``), barge joins unmuted; stopping removes the supervisor's participant by its label.
Each command is answered with exactly one ``PbxCommandDone``; a call with no live conference, a
refused request or a supervisor device Twilio cannot dial is reported, never raised into the bus.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from pydantic import SecretStr

from bus.memory import InProcessBus
from config.settings import TwilioSettings
from cti.twilio.conference import TwilioMonitor
from cti.twilio.legs import conference_name
from cti.twilio.rest import TwilioRest
from domain.events import MonitorMode, MonitorRequested, MonitorStopRequested, PbxCommandDone
from runtime.supervisor import TaskSupervisor
from tests.monitor.world import eventually
from tests.twilio.fake_conferences import FakeConferenceApi
from tests.twilio.helpers import ACCOUNT_SID, AUTH_TOKEN, OUR_NUMBER

CALL = "twilio/CA00000000000000000000000000000001"
ROOM = conference_name(CALL)
CONFERENCE_SID = "CF" + "0" * 31 + "1"
AGENT_CALL_SID = "CA" + "a" * 31 + "2"
BASE = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Conferences"


@dataclass
class World:
    api: FakeConferenceApi
    bus: InProcessBus
    done: list[PbxCommandDone]

    async def ask(self, request_id: str, mode: MonitorMode, device: str = "client:sup",
                  call_id: str = CALL) -> PbxCommandDone:
        await self.bus.publish(MonitorRequested(request_id=request_id, call_id=call_id, agent_device="client:amina",
                                                supervisor_device=device, mode=mode, carrier="twilio",
                                                ring_seconds=25))
        await eventually(lambda: any(d.request_id == request_id for d in self.done))
        return next(d for d in self.done if d.request_id == request_id)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    api = FakeConferenceApi()
    api.join(ROOM, CALL.removeprefix("twilio/"), "customer")  # the call, as our flow bridges it
    api.join(ROOM, AGENT_CALL_SID, "agent")
    await api.start()
    rest = TwilioRest(TwilioSettings(account_sid=ACCOUNT_SID, auth_token=SecretStr(AUTH_TOKEN), caller_id=OUR_NUMBER,
                                     api_base=api.base_url), retry_delays=(0.01,))
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    TwilioMonitor(rest, bus, caller_id=OUR_NUMBER).subscribe(bus)
    done: list[PbxCommandDone] = []

    async def collect(ev: PbxCommandDone) -> None:
        done.append(ev)

    bus.subscribe(PbxCommandDone, collect, group="test-done")
    await bus.start()
    try:
        yield World(api, bus, done)
    finally:
        await bus.stop()
        await supervisor.stop()
        await rest.aclose()
        await api.stop()


async def test_listen_whisper_and_barge_are_participant_requests(world: World) -> None:
    w = world
    listen = await w.ask("mon-1", MonitorMode.LISTEN)
    assert listen.ok and listen.command == "monitor" and listen.call_id == CALL, listen.message
    assert ROOM == "twilio-CA00000000000000000000000000000001" and w.api.rooms[ROOM].sid == CONFERENCE_SID
    assert listen.message == f"participant CA{'f' * 16}{'0' * 15}1 (listen) in {CONFERENCE_SID}"
    lookup, create = w.api.requests
    assert (lookup.method, lookup.path, lookup.user) == ("GET", f"{BASE}.json", ACCOUNT_SID)
    assert (lookup.value("FriendlyName"), lookup.value("Status"), lookup.value("PageSize")) == (
        ROOM, "in-progress", "1")
    assert (create.method, create.path, create.user) == ("POST", f"{BASE}/{CONFERENCE_SID}/Participants.json",
                                                         ACCOUNT_SID)
    assert dict(create.form) == {"From": OUR_NUMBER, "To": "client:sup", "Label": "supervisor-mon-1", "Beep": "false",
                                 "Timeout": "25", "EarlyMedia": "false", "EndConferenceOnExit": "false",
                                 "Muted": "true"}

    w.api.requests.clear()
    whisper = await w.ask("mon-2", MonitorMode.WHISPER, device="+254711000222")
    assert whisper.ok, whisper.message
    lookup, people, create = w.api.requests
    assert (people.method, people.path) == ("GET", f"{BASE}/{CONFERENCE_SID}/Participants.json")
    assert (create.value("Coaching"), create.value("CallSidToCoach"), create.value("Muted")) == (
        "true", AGENT_CALL_SID, "false")
    assert create.value("To") == "+254711000222"

    w.api.requests.clear()
    barge = await w.ask("mon-3", MonitorMode.BARGE)
    assert barge.ok
    [_lookup, create] = w.api.requests
    assert create.value("Muted") == "false" and create.value("Coaching") is None

    w.api.requests.clear()
    await w.bus.publish(MonitorStopRequested(request_id="mon-3", call_id=CALL, supervisor_device="client:sup",
                                             carrier="twilio"))
    await eventually(lambda: any(d.command == "monitor_stop" for d in w.done))
    stopped = next(d for d in w.done if d.command == "monitor_stop")
    assert stopped.ok and stopped.message == "the supervisor left"
    assert (w.api.requests[-1].method, w.api.requests[-1].path) == (
        "DELETE", f"{BASE}/{CONFERENCE_SID}/Participants/supervisor-mon-3.json")
    assert set(w.api.rooms[ROOM].labels()) == {"customer", "agent", "supervisor-mon-1", "supervisor-mon-2"}
    [whisperer] = [p for p in w.api.rooms[ROOM].participants if p["label"] == "supervisor-mon-2"]
    assert (whisperer["coaching"], whisperer["call_sid_to_coach"]) == (True, AGENT_CALL_SID)


async def test_what_cannot_be_done_is_reported(world: World) -> None:
    w = world
    gone = await w.ask("mon-4", MonitorMode.LISTEN, call_id="twilio/CA" + "9" * 32)
    assert not gone.ok and gone.message == "this call is not in a conference that a supervisor can join"
    w.api.answer_next(400)
    refused = await w.ask("mon-5", MonitorMode.LISTEN)
    assert not refused.ok and refused.message == "twilio participant create: refused (400)"
    wrong = await w.ask("mon-6", MonitorMode.LISTEN, device="PJSIP/2009")
    assert not wrong.ok and wrong.message == "'PJSIP/2009' is not a Twilio device: it is an Asterisk one"
    asterisk = MonitorRequested(request_id="mon-7", call_id=CALL, agent_device="PJSIP/2001",
                                supervisor_device="PJSIP/2009", mode=MonitorMode.LISTEN)
    await w.bus.publish(asterisk)  # another carrier's command: not Twilio's to answer
    await w.bus.publish(MonitorStopRequested(request_id="mon-none", call_id=CALL, supervisor_device="client:sup",
                                             carrier="twilio"))
    await eventually(lambda: any(d.request_id == "mon-none" for d in w.done))
    assert next(d for d in w.done if d.request_id == "mon-none").message == "the supervisor had already left"
    assert not any(d.request_id == "mon-7" for d in w.done)
