"""Inbound calls through the webhook service: signed webhooks in, ACD decisions, events, TwiML out.

A customer given an agent joins the call's conference (``<Dial><Conference>``) and the agent is rung
into it through the Participants API of the local stand-in (:mod:`tests.twilio.fake_conferences`),
labelled ``agent``; the agent leg's status callbacks say how the ring went.
"""

from __future__ import annotations

import pytest

from cti.twilio.service import WebhookRequest
from domain.errors import ProtocolViolation, SignatureInvalid
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentState,
    CallAbandoned,
    CallEnded,
    CallOffered,
    CallQueued,
    Direction,
    EndCause,
)
from tests.twilio.helpers import ACCOUNT_SID, OUR_NUMBER, PUBLIC_URL, call_sid, signed, signed_url, voice_form
from tests.twilio.rig import (
    CUSTOMER,
    Rig,
    agent_form,
    conference_of,
    login,
    query,
    ring_in,
    ring_of,
    xml,
)


async def test_inbound_call_bridges_customer_and_agent_in_the_calls_conference(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    parent = call_sid()
    call_id = f"twilio/{parent}"
    room, action = conference_of(await ring_in(rig, parent))
    assert room == f"twilio-{parent}" and action.startswith(PUBLIC_URL + "/twilio/dial-action?")
    assert (query(action, "call_id"), query(action, "leg")) == (call_id, "caller")
    [offered] = rig.of(CallOffered)
    assert (offered.call_id, offered.direction, offered.caller_number) == (call_id, Direction.INBOUND, CUSTOMER)  # type: ignore[attr-defined]
    await rig.service.drain()
    [ring] = rig.rings()
    assert (ring.method, ring.user) == ("POST", ACCOUNT_SID)
    conference, device, status_url = ring_of(ring)
    assert (conference, device) == (room, "client:amina")  # the longest idle, by the conference's name
    assert dict(ring.form) == {
        "From": OUR_NUMBER, "To": "client:amina", "Label": "agent", "Timeout": "20", "Beep": "false",
        "EarlyMedia": "false", "StartConferenceOnEnter": "true", "EndConferenceOnExit": "true",
        "StatusCallback": status_url, "StatusCallbackMethod": "POST", "StatusCallbackEvent": "completed",
        "Record": "true", "RecordingChannels": "dual", "RecordingStatusCallbackMethod": "POST",
        "RecordingStatusCallback": f"{PUBLIC_URL}/twilio/recording?call_id={call_id.replace('/', '%2F')}&agent=amina",
        "RecordingStatusCallbackEvent": "completed"}
    assert ring.values("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    assert (query(status_url, "call_id"), query(status_url, "leg"), query(status_url, "device")) == (
        call_id, "agent", "client:amina")
    leg = rig.api.rooms[room].labels()["agent"]

    await rig.service.handle_status(signed_url(status_url, agent_form(leg, "initiated", SequenceNumber="0")))
    await rig.service.handle_status(signed_url(status_url, agent_form(leg, "ringing", SequenceNumber="1")))
    [ringing] = rig.of(AgentRinging)
    assert isinstance(ringing, AgentRinging)
    assert (ringing.call_id, ringing.device, ringing.member_name, ringing.queue) == (
        call_id, "client:amina", "amina", "collections")
    assert (ringing.caller_number, ringing.dialed_number, ringing.direction) == (CUSTOMER, OUR_NUMBER, Direction.INBOUND)

    rig.clock.advance(4)
    await rig.service.handle_status(signed_url(status_url, agent_form(leg, "in-progress", SequenceNumber="2")))
    [connected] = rig.of(AgentConnected)
    assert isinstance(connected, AgentConnected)
    assert (connected.call_id, connected.device, connected.hold_seconds) == (call_id, "client:amina", 4)

    rig.clock.advance(60)  # the agent hangs up: the conference ends, and the customer's <Dial> with it
    await rig.service.handle_status(signed_url(status_url, agent_form(leg, "completed", SequenceNumber="3")))
    after = await rig.service.handle_dial_action(signed_url(action, voice_form(
        parent, status="in-progress", DialCallStatus="completed")))
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
    assert len(rig.rings()) == 1 and [r for r in rig.api.requests if "/Calls/" in r.path] == []


async def test_agent_not_answering_rings_the_next_agent_then_the_queue(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    parent = call_sid()
    room, _ = conference_of(await ring_in(rig, parent))
    await rig.service.drain()
    _, device, status_url = ring_of(rig.rings()[0])
    assert device == "client:amina"
    rig.clock.advance(20)
    await rig.service.handle_status(signed_url(status_url, agent_form(call_sid(), "no-answer")))
    await rig.service.drain()
    conference, device, status_url2 = ring_of(rig.rings()[1])
    assert (conference, device, query(status_url2, "device")) == (room, "client:brian", "client:brian")
    # brian is busy too: nobody else is ready, the customer goes back to the queue
    await rig.service.handle_status(signed_url(status_url2, agent_form(call_sid(), "busy", to="client:brian")))
    await rig.service.drain()
    [queued] = rig.of(CallQueued)
    assert isinstance(queued, CallQueued) and queued.position == 1
    [back] = [r for r in rig.api.requests if r.path.endswith(f"/Calls/{parent}.json")]
    back_url = back.value("Url") or ""
    assert back_url.startswith(PUBLIC_URL + "/twilio/connect?")
    [enqueue] = xml(await rig.service.handle_connect(signed_url(back_url, voice_form(parent, status="in-progress"))))
    assert (enqueue.tag, enqueue.text) == ("Enqueue", "collections")
    assert rig.states()[-4:] == [("client:amina", AgentState.RINGING), ("client:amina", AgentState.READY),
                                 ("client:brian", AgentState.RINGING), ("client:brian", AgentState.READY)]


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
    update, ring = rig.api.requests
    assert update.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{first}.json"  # the longest waiting
    connect_url = update.value("Url") or ""
    assert connect_url.startswith(PUBLIC_URL + "/twilio/connect?")
    room, _ = conference_of(await rig.service.handle_connect(signed_url(
        connect_url, voice_form(first, status="in-progress"))))
    assert ring_of(ring)[:2] == (room, "client:amina") == (f"twilio-{first}", "client:amina")
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


async def test_caller_leaving_while_the_agent_rings_cancels_the_agent_leg(rig: Rig) -> None:
    await login(rig, "amina")
    parent = call_sid()
    await ring_in(rig, parent)
    await rig.service.drain()
    leg = rig.api.rooms[f"twilio-{parent}"].labels()["agent"]
    _, _, status_url = ring_of(rig.rings()[0])
    await rig.service.handle_status(signed_url(status_url, agent_form(leg, "ringing")))
    await rig.service.handle_status(signed("/twilio/status", voice_form(parent, status="completed")))
    await rig.service.drain()
    [cancel] = [r for r in rig.api.requests if r.path.endswith(f"/Calls/{leg}.json")]
    assert (cancel.method, cancel.value("Status")) == ("POST", "canceled")
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]
    await rig.service.handle_status(signed_url(status_url, agent_form(leg, "canceled")))
    assert len(rig.of(CallEnded)) == 1 and len(rig.rings()) == 1


async def test_a_refused_ring_moves_on_to_the_next_agent(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    rig.api.answer_next(400)
    parent = call_sid()
    await ring_in(rig, parent)
    await rig.service.drain()
    assert [ring_of(r)[1] for r in rig.rings()] == ["client:amina", "client:brian"]
    assert list(rig.api.rooms[f"twilio-{parent}"].labels()) == ["agent"]  # brian's leg only
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]


async def test_duplicate_callbacks_change_nothing(rig: Rig) -> None:
    await login(rig, "amina", "brian")
    parent, leg = call_sid(), call_sid()
    await ring_in(rig, parent)
    await rig.service.drain()
    _, _, status_url = ring_of(rig.rings()[0])
    ringing = signed_url(status_url, agent_form(leg, "ringing", SequenceNumber="1"))
    await rig.service.handle_status(ringing)
    count = len(rig.events)
    await rig.service.handle_status(ringing)
    assert len(rig.events) == count and len(rig.of(AgentRinging)) == 1
    no_answer = signed_url(status_url, agent_form(leg, "no-answer", SequenceNumber="2"))
    await rig.service.handle_status(no_answer)
    await rig.service.drain()
    count = len(rig.events)
    await rig.service.handle_status(no_answer)
    await rig.service.drain()
    assert len(rig.events) == count and len(rig.rings()) == 2  # brian not rung twice
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
    assert len(rig.events) == before and rig.api.requests == []
    assert rig.service.acd.agent("client:amina").state is AgentState.READY  # type: ignore[union-attr]


async def test_signed_but_malformed_form_is_a_400(rig: Rig) -> None:
    form = voice_form(call_sid())
    del form["CallSid"]
    with pytest.raises(ProtocolViolation) as info:
        await rig.service.handle_voice(signed("/twilio/voice", form))
    assert info.value.status == 400 and "CallSid" in info.value.details


async def test_connect_to_a_caller_who_just_hung_up(rig: Rig) -> None:
    await login(rig, "amina")
    await rig.carrier.queue_pause(None, "client:amina", True, "lunch")
    parent = call_sid()
    await ring_in(rig, parent)
    rig.api.gone.add(parent)
    await rig.carrier.queue_pause(None, "client:amina", False, None)
    await rig.service.drain()
    assert len(rig.api.requests) == 1 and rig.rings() == []
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
    first, second, ring = rig.api.requests
    assert query(first.value("Url") or "", "device") == "client:brian"
    assert query(second.value("Url") or "", "device") == "client:amina"
    assert ring_of(ring)[:2] == (f"twilio-{parent}", "client:amina")
