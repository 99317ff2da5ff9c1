"""The webhook service end to end: signed webhooks in, ACD decisions, events published, TwiML out.

Twilio's side is played by signed requests (RequestValidator, form bodies) and, for the Calls API,
by the local stand-in in :mod:`tests.twilio.fake_api`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from config.settings import Settings, TwilioSettings
from cti.twilio.acd import TwilioAcd
from cti.twilio.carrier import TwilioCarrier
from cti.twilio.rest import TwilioRest
from cti.twilio.service import TwilioVoiceService, WebhookRequest
from domain.carrier import Carrier
from domain.errors import CarrierRejected, DialOutcomeUnknown, ProtocolViolation, SignatureInvalid
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentState,
    AgentStateChanged,
    CallAbandoned,
    CallEnded,
    CallOffered,
    CallQueued,
    DialOutcome,
    DialRequested,
    DialResult,
    Direction,
    EndCause,
    Event,
)
from tests.twilio.fake_api import FakeTwilioApi
from tests.twilio.helpers import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    OUR_NUMBER,
    PUBLIC_URL,
    call_sid,
    signed,
    signed_url,
    voice_form,
)

CUSTOMER = "+254712345678"


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
    api: FakeTwilioApi
    events: list[Event]
    clock: Clock

    def of(self, kind: type[Event]) -> list[Event]:
        return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[tuple[str, AgentState]]:
        return [(e.device, e.state) for e in self.events if isinstance(e, AgentStateChanged)]


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    api = FakeTwilioApi()
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
    carrier = TwilioCarrier(service, clock=clock)
    yield Rig(service, carrier, api, events, clock)
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


def dial_target(answer: str) -> tuple[str, str, str, str]:
    """(noun tag, target, action URL, status callback URL) of a <Dial> answer."""
    [dial] = xml(answer)
    assert dial.tag == "Dial"
    [noun] = dial
    return noun.tag, noun.text or "", dial.attrib["action"], noun.attrib["statusCallback"]


async def login(rig: Rig, *names: str) -> None:
    for name in names:
        await rig.carrier.queue_add("collections", f"client:{name}", name)
        rig.clock.advance(1)


async def ring_in(rig: Rig, sid: str, caller: str = CUSTOMER) -> str:
    return await rig.service.handle_voice(signed("/twilio/voice", voice_form(sid, caller=caller), "queue=collections"))


def child_form(parent: str, child: str, status: str, to: str = "client:amina", **extra: str) -> dict[str, str]:
    return voice_form(child, status=status, caller=CUSTOMER, to=to, direction="outbound-dial",
                      ParentCallSid=parent, **extra)


async def test_carrier_satisfies_the_port(rig: Rig) -> None:
    carrier: Carrier = rig.carrier
    assert carrier.name == "twilio"


async def test_inbound_call_pops_the_longest_idle_agent_and_is_recorded(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    parent, child = call_sid(), call_sid()
    answer = await ring_in(rig, parent)
    tag, target, action, status_url = dial_target(answer)
    assert (tag, target) == ("Client", "amina")
    assert action.startswith(PUBLIC_URL + "/twilio/dial-action?") and status_url.startswith(PUBLIC_URL + "/twilio/status?")
    call_id = f"twilio/{parent}"
    assert parse_qs(urlsplit(action).query)["call_id"] == [call_id]
    [offered] = rig.of(CallOffered)
    assert (offered.call_id, offered.direction, offered.caller_number) == (call_id, Direction.INBOUND, CUSTOMER)  # type: ignore[attr-defined]

    await rig.service.handle_status(signed_url(status_url, child_form(parent, child, "initiated", SequenceNumber="0")))
    await rig.service.handle_status(signed_url(status_url, child_form(parent, child, "ringing", SequenceNumber="1")))
    [ringing] = rig.of(AgentRinging)
    assert isinstance(ringing, AgentRinging)
    assert (ringing.call_id, ringing.device, ringing.member_name, ringing.queue) == (
        call_id, "client:amina", "amina", "collections")
    assert (ringing.caller_number, ringing.dialed_number, ringing.direction) == (CUSTOMER, OUR_NUMBER, Direction.INBOUND)

    rig.clock.advance(4)
    await rig.service.handle_status(signed_url(status_url, child_form(parent, child, "in-progress", SequenceNumber="2")))
    [connected] = rig.of(AgentConnected)
    assert isinstance(connected, AgentConnected)
    assert (connected.call_id, connected.device, connected.hold_seconds) == (call_id, "client:amina", 4)

    rig.clock.advance(60)
    after = await rig.service.handle_dial_action(signed_url(action, voice_form(
        parent, status="in-progress", DialCallStatus="completed", DialCallSid=child, DialCallDuration="60")))
    assert [e.tag for e in xml(after)] == ["Hangup"]
    await rig.service.handle_status(signed("/twilio/status", voice_form(parent, status="completed", CallDuration="65")))
    [ended] = rig.of(CallEnded)
    assert isinstance(ended, CallEnded)
    assert (ended.call_id, ended.cause, ended.talk_seconds) == (call_id, EndCause.NORMAL, 60)
    assert rig.states() == [
        ("client:amina", AgentState.READY), ("client:brian", AgentState.READY),
        ("client:amina", AgentState.RINGING), ("client:amina", AgentState.ON_CALL),
        ("client:amina", AgentState.READY),
    ]
    assert {getattr(e, "carrier", None) for e in rig.events} == {"twilio"}


async def test_agent_not_answering_sends_the_call_to_the_next_agent(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    parent = call_sid()
    _, target, action, _ = dial_target(await ring_in(rig, parent))
    assert target == "amina"
    rig.clock.advance(20)
    answer = await rig.service.handle_dial_action(signed_url(action, voice_form(
        parent, status="in-progress", DialCallStatus="no-answer", DialCallSid=call_sid())))
    tag, target, action2, _ = dial_target(answer)
    assert (tag, target) == ("Client", "brian")
    assert parse_qs(urlsplit(action2).query)["device"] == ["client:brian"]
    # brian is busy too: nobody else is ready, the caller waits in the queue
    answer = await rig.service.handle_dial_action(signed_url(action2, voice_form(
        parent, status="in-progress", DialCallStatus="busy", DialCallSid=call_sid())))
    [enqueue] = xml(answer)
    assert (enqueue.tag, enqueue.text) == ("Enqueue", "collections")
    [queued] = rig.of(CallQueued)
    assert isinstance(queued, CallQueued) and queued.position == 1


async def test_no_ready_agent_enqueues_and_an_agent_turning_ready_is_connected(rig: Rig) -> None:
    await login(rig, "amina")
    await rig.carrier.queue_pause(None, "client:amina", True, "lunch")
    first, second = call_sid(), call_sid()
    answer = await ring_in(rig, first)
    await ring_in(rig, second, caller="+254711000999")
    [enqueue] = xml(answer)
    assert (enqueue.tag, enqueue.text) == ("Enqueue", "collections")
    wait_url = enqueue.attrib["waitUrl"]
    say, play = xml(await rig.service.handle_wait(signed_url(wait_url, {
        **voice_form(first, status="in-progress"), "QueuePosition": "1", "QueueTime": "5"})))
    assert (say.tag, say.text, play.tag) == ("Say", "You are number 1 in the queue.", "Play")

    await rig.carrier.queue_pause(None, "client:amina", False, None)
    await rig.service.drain()
    [update] = rig.api.requests
    assert update.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{first}.json"  # the longest waiting
    connect_url = update.value("Url") or ""
    assert connect_url.startswith(PUBLIC_URL + "/twilio/connect?")
    tag, target, _, _ = dial_target(await rig.service.handle_connect(signed_url(
        connect_url, voice_form(first, status="in-progress"))))
    assert (tag, target) == ("Client", "amina")
    assert rig.states()[-2:] == [("client:amina", AgentState.READY), ("client:amina", AgentState.RINGING)]
    # the second caller hears they are now first
    say, _ = xml(await rig.service.handle_wait(signed_url(
        wait_url.replace(first, second), voice_form(second, status="in-progress"))))
    assert say.text == "You are number 1 in the queue."


async def test_caller_leaving_the_queue_is_abandoned(rig: Rig) -> None:
    parent = call_sid()
    await ring_in(rig, parent)
    rig.clock.advance(42)
    await rig.service.handle_status(signed("/twilio/status", voice_form(parent, status="completed")))
    abandoned, ended = rig.events[-2:]
    assert isinstance(abandoned, CallAbandoned) and (abandoned.queue, abandoned.position, abandoned.hold_seconds) == (
        "collections", 1, 42)
    assert isinstance(ended, CallEnded) and ended.cause is EndCause.ABANDONED


async def test_duplicate_callbacks_change_nothing(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    parent, child = call_sid(), call_sid()
    _, _, action, status_url = dial_target(await ring_in(rig, parent))
    ringing = signed_url(status_url, child_form(parent, child, "ringing", SequenceNumber="1"))
    await rig.service.handle_status(ringing)
    count = len(rig.events)
    await rig.service.handle_status(ringing)
    assert len(rig.events) == count and len(rig.of(AgentRinging)) == 1
    no_answer = signed_url(action, voice_form(parent, status="in-progress", DialCallStatus="no-answer",
                                              DialCallSid=child))
    first = await rig.service.handle_dial_action(no_answer)
    count = len(rig.events)
    again = await rig.service.handle_dial_action(no_answer)
    assert again == first and len(rig.events) == count  # same answer, brian not offered twice
    ended = signed("/twilio/status", voice_form(parent, status="completed"))
    await rig.service.handle_status(ended)
    await rig.service.handle_status(ended)
    assert len(rig.of(CallEnded)) == 1
    repeat_voice = await ring_in(rig, parent)
    assert len(rig.of(CallOffered)) == 1 and repeat_voice


async def test_forged_unsigned_and_other_url_requests_are_refused(rig: Rig) -> None:
    await login(rig, "amina")
    before = len(rig.events)
    form = voice_form(call_sid())
    good = signed("/twilio/voice", form, "queue=collections")
    refused = [
        WebhookRequest(good.path, good.query, good.form, None),
        WebhookRequest(good.path, good.query, good.form, "Zm9yZ2Vk"),
        WebhookRequest("/twilio/status", good.query, good.form, good.signature),
        WebhookRequest(good.path, "queue=vip", good.form, good.signature),
        WebhookRequest(good.path, good.query, [*good.form, ("From", "+1999")], good.signature),
    ]
    for req in refused:
        for handler in (rig.service.handle_voice, rig.service.handle_status, rig.service.handle_dial_action,
                        rig.service.handle_wait, rig.service.handle_connect, rig.service.handle_outbound):
            with pytest.raises(SignatureInvalid):
                await handler(req)
    assert len(rig.events) == before
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]


async def test_signed_but_malformed_form_is_a_400(rig: Rig) -> None:
    form = voice_form(call_sid())
    del form["CallSid"]
    with pytest.raises(ProtocolViolation) as info:
        await rig.service.handle_voice(signed("/twilio/voice", form))
    assert info.value.status == 400 and "CallSid" in info.value.details


async def test_click_to_call_places_agent_first_and_joins_callbacks_to_one_call_id(rig: Rig) -> None:
    await login(rig, "amina")
    await rig.carrier.dial(DialRequested(call_id="sb-att-1", agent_device="client:amina",
                                         customer_number="+254711000111", carrier="twilio", timeout_seconds=25))
    [create] = rig.api.requests
    assert (create.value("To"), create.value("From"), create.value("Timeout")) == ("client:amina", OUR_NUMBER, "25")
    outbound_url, status_url = create.value("Url") or "", create.value("StatusCallback") or ""
    assert parse_qs(urlsplit(outbound_url).query)["call_id"] == ["sb-att-1"]
    assert parse_qs(urlsplit(status_url).query)["call_id"] == ["sb-att-1"]
    agent_leg, customer_leg = call_sid(), call_sid()

    def agent_form(status: str, seq: int) -> dict[str, str]:
        return voice_form(agent_leg, status=status, caller=OUR_NUMBER, to="client:amina",
                          direction="outbound-api", SequenceNumber=str(seq))

    for seq, status in enumerate(["initiated", "ringing", "in-progress"]):
        await rig.service.handle_status(signed_url(status_url, agent_form(status, seq)))
    tag, target, action, cust_status = dial_target(await rig.service.handle_outbound(
        signed_url(outbound_url, agent_form("in-progress", 9))))
    assert (tag, target) == ("Number", "+254711000111")
    [dial] = xml(await rig.service.handle_outbound(signed_url(outbound_url, agent_form("in-progress", 9))))
    assert dial.attrib["callerId"] == OUR_NUMBER
    await rig.service.handle_status(signed_url(cust_status, voice_form(
        customer_leg, status="in-progress", caller=OUR_NUMBER, to="+254711000111", direction="outbound-dial",
        ParentCallSid=agent_leg)))
    rig.clock.advance(30)
    hang = await rig.service.handle_dial_action(signed_url(action, voice_form(
        agent_leg, status="in-progress", caller=OUR_NUMBER, to="client:amina", direction="outbound-api",
        DialCallStatus="completed", DialCallSid=customer_leg)))
    assert [e.tag for e in xml(hang)] == ["Hangup"]
    await rig.service.handle_status(signed_url(status_url, agent_form("completed", 5)))

    call_events = [e for e in rig.events if hasattr(e, "call_id")]
    assert {e.call_id for e in call_events} == {"sb-att-1"}
    kinds = [type(e).__name__ for e in call_events]
    assert kinds == ["CallOffered", "AgentRinging", "AgentConnected", "DialResult", "CallEnded"]
    [result] = rig.of(DialResult)
    assert isinstance(result, DialResult) and result.outcome is DialOutcome.ANSWERED
    [ended] = rig.of(CallEnded)
    assert isinstance(ended, CallEnded) and ended.cause is EndCause.NORMAL and ended.talk_seconds == 30
    assert rig.states()[-3:] == [("client:amina", AgentState.RINGING), ("client:amina", AgentState.ON_CALL),
                                 ("client:amina", AgentState.READY)]


async def test_customer_not_answering_gives_a_dial_result(rig: Rig) -> None:
    await rig.carrier.dial(DialRequested(call_id="sb-att-2", agent_device="client:amina",
                                         customer_number="+254711000222", carrier="twilio"))
    outbound_url = rig.api.requests[0].value("Url") or ""
    agent_leg = call_sid()
    _, _, action, _ = dial_target(await rig.service.handle_outbound(signed_url(outbound_url, voice_form(
        agent_leg, status="in-progress", caller=OUR_NUMBER, to="client:amina", direction="outbound-api"))))
    await rig.service.handle_dial_action(signed_url(action, voice_form(
        agent_leg, status="in-progress", direction="outbound-api", DialCallStatus="no-answer")))
    [result] = rig.of(DialResult)
    assert isinstance(result, DialResult)
    assert (result.call_id, result.outcome) == ("sb-att-2", DialOutcome.NO_ANSWER)


async def test_500_on_dial_is_not_retried_and_state_waits_for_callbacks(rig: Rig) -> None:
    await login(rig, "amina")
    rig.api.answer_next(500)
    with pytest.raises(DialOutcomeUnknown):
        await rig.carrier.dial(DialRequested(call_id="sb-att-3", agent_device="client:amina",
                                             customer_number="+254711000333", carrier="twilio"))
    assert len(rig.api.requests) == 1
    assert rig.service.acd.agent("client:amina").state is AgentState.RINGING  # type: ignore[union-attr]
    # Twilio did dial after all: its callbacks reconcile the attempt under the same id
    status_url = rig.api.requests[0].value("StatusCallback") or ""
    await rig.service.handle_status(signed_url(status_url, voice_form(
        call_sid(), status="no-answer", caller=OUR_NUMBER, to="client:amina", direction="outbound-api")))
    [result] = rig.of(DialResult)
    assert isinstance(result, DialResult) and result.call_id == "sb-att-3"
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]


async def test_refused_dial_frees_the_agent(rig: Rig) -> None:
    await login(rig, "amina")
    rig.api.answer_next(400)
    with pytest.raises(CarrierRejected):
        await rig.carrier.dial(DialRequested(call_id="sb-att-4", agent_device="client:amina",
                                             customer_number="+254711000444", carrier="twilio"))
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]
    assert rig.service.acd.call("sb-att-4") is None


async def test_connect_to_a_caller_who_just_hung_up(rig: Rig) -> None:
    await login(rig, "amina")
    await rig.carrier.queue_pause(None, "client:amina", True, "lunch")
    parent = call_sid()
    await ring_in(rig, parent)
    rig.api.gone.add(parent)
    await rig.carrier.queue_pause(None, "client:amina", False, None)
    await rig.service.drain()
    assert len(rig.api.requests) == 1
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]
    assert rig.of(CallAbandoned) == []
    await rig.service.handle_status(signed("/twilio/status", voice_form(parent, status="completed")))
    [abandoned] = rig.of(CallAbandoned)
    [ended] = rig.of(CallEnded)
    assert abandoned.call_id == ended.call_id == f"twilio/{parent}"  # type: ignore[attr-defined]
    assert isinstance(ended, CallEnded) and ended.cause is EndCause.ABANDONED


async def test_connect_failing_offers_the_next_ready_agent(rig: Rig) -> None:
    await login(rig, "amina")
    await rig.carrier.queue_pause(None, "client:amina", True, "lunch")
    parent = call_sid()
    await ring_in(rig, parent)
    await login(rig, "brian")  # brian takes the caller first; the redirect fails
    rig.api.answer_next(503)
    await rig.service.drain()
    await rig.carrier.queue_pause(None, "client:amina", False, None)
    await rig.service.drain()
    first, second = rig.api.requests
    assert parse_qs(urlsplit(first.value("Url") or "").query)["device"] == ["client:brian"]
    assert parse_qs(urlsplit(second.value("Url") or "").query)["device"] == ["client:amina"]
