"""Inbound Twilio calls through the real app: the pop, the call record, the queue, the next agent."""

from __future__ import annotations

import asyncio
from email.utils import format_datetime

import websockets

from domain.events import AgentState, utcnow
from tests.twilio.helpers import ACCOUNT_SID, OUR_NUMBER, PUBLIC_URL, call_sid, voice_form
from tests.twilio_app.conftest import CUSTOMER_NUMBER, TwilioWorld, until
from tests.twilio_app.support import (
    acd_state,
    desktop_state,
    outbox_types,
    query,
    ready_in_acd,
    recv,
    rung,
    twiml,
)

VOICE_URL = f"{PUBLIC_URL}/twilio/voice?queue=collections"


def child_form(parent: str, child: str, status: str, to: str, seq: int) -> dict[str, str]:
    """A status callback of the agent's leg, rung into the conference of ``parent``'s call (issue 22) through
    the Participants API: a call of its own (``outbound-api``), joined to the call by its callback URL."""
    assert parent
    return voice_form(child, status=status, caller=OUR_NUMBER, to=to, direction="outbound-api",
                      SequenceNumber=str(seq), Timestamp=format_datetime(utcnow()))


async def test_inbound_call_pops_the_chosen_agent_and_is_recorded_with_its_times(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina", "brian")  # amina has been idle longest
    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('amina')}") as ws:
        await recv(ws, "hello")
        parent, child = call_sid(), call_sid()
        response = await world.twilio(VOICE_URL, voice_form(parent, caller=CUSTOMER_NUMBER))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        offer = await rung(world, response.text)
        action, status_url = offer.action, offer.status_url
        call_id = f"twilio/{parent}"
        assert (offer.room, offer.device) == (f"twilio-{parent}", "client:amina")  # the call's conference
        assert query(action)["call_id"] == query(status_url)["call_id"] == call_id
        assert action.startswith(f"{PUBLIC_URL}/twilio/dial-action?")

        for seq, status in enumerate(("initiated", "ringing")):
            assert (await world.twilio(status_url, child_form(parent, child, status, "client:amina", seq))
                    ).status_code == 200
        pop = (await recv(ws, "call.ringing"))["data"]
        assert (pop["call_id"], pop["carrier"], pop["device"]) == (call_id, "twilio", "client:amina")
        assert (pop["caller_number"], pop["dialed_number"], pop["queue"]) == (
            CUSTOMER_NUMBER, OUR_NUMBER, "collections")
        [match] = pop["matches"]
        assert (match["customer_id"], match["name"], match["relation"]) == (
            world.customer_id, "Wanjiku Kamau", "customer")
        assert match["summary"], "the pop carries the customer's summary"
        await desktop_state(world, "amina", "ringing")

        await asyncio.sleep(1.1)  # a measurable hold time
        await world.twilio(status_url, child_form(parent, child, "in-progress", "client:amina", 2))
        answered = (await recv(ws, "call.answered"))["data"]
        assert answered["call_id"] == call_id and answered["hold_seconds"] >= 1
        await desktop_state(world, "amina", "on_call")

        await asyncio.sleep(1.1)  # a measurable talk time
        after = await world.twilio(action, voice_form(parent, status="in-progress", DialCallStatus="completed",
                                                      DialCallSid=child, DialCallDuration="1"))
        assert [verb.tag for verb in twiml(after.text)] == ["Hangup"]
        await world.twilio(f"{PUBLIC_URL}/twilio/status", voice_form(
            parent, status="completed", caller=CUSTOMER_NUMBER, CallDuration="3", SequenceNumber="3",
            Timestamp=format_datetime(utcnow())))
        ended = (await recv(ws, "call.ended"))["data"]
        assert (ended["call_id"], ended["cause"]) == (call_id, "normal")
    assert "call.ringing" not in await outbox_types(world, "agent:brian")  # only the chosen agent pops

    async def recorded() -> bool:
        row = await world.record(call_id)
        return row is not None and row.ended_at is not None and row.customer_id is not None

    await until(recorded, "the call record is complete")
    row = await world.record(call_id)
    assert row is not None and row.offered_at and row.answered_at and row.ended_at
    assert (row.carrier, row.direction, row.queue, row.cause) == ("twilio", "inbound", "collections", "normal")
    assert (row.agent_id, row.device, row.customer_id) == (world.users["amina"].id, "client:amina",
                                                           world.customer_id)
    assert (row.caller_number, row.dialed_number) == (CUSTOMER_NUMBER, OUR_NUMBER)
    assert row.offered_at <= row.answered_at <= row.ended_at
    assert row.hold_seconds is not None and row.hold_seconds >= 1
    assert row.talk_seconds is not None and row.talk_seconds >= 1 and not row.abandoned

    # wrap-up, as on Asterisk: no next call until the outcome is saved; saving it makes amina ready
    await desktop_state(world, "amina", "wrap_up")
    assert acd_state(world, "client:amina") is AgentState.WRAP_UP
    saved = await world.http.post(f"{world.running.base_url}/api/customers/{world.customer_id}/interactions",
                                  json={"channel": "call", "call_id": call_id, "comments": "Promised Friday"},
                                  headers=world.auth("amina"))
    assert saved.status_code == 201, saved.text  # the pop opened the record to amina for this call
    await until(lambda: acd_state(world, "client:amina") is AgentState.READY, "amina ready in the ACD after saving")
    await desktop_state(world, "amina", "ready")


async def test_no_ready_agent_enqueues_and_an_agent_turning_ready_is_connected(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    await world.set_state("amina", "paused", "lunch")
    await until(lambda: acd_state(world, "client:amina") is AgentState.PAUSED,
                "amina paused in the ACD")
    first, second = call_sid(), call_sid()
    answer = await world.twilio(VOICE_URL, voice_form(first, caller=CUSTOMER_NUMBER))
    await world.twilio(VOICE_URL, voice_form(second, caller="+254711000999"))
    [enqueue] = twiml(answer.text)
    assert (enqueue.tag, enqueue.text) == ("Enqueue", "collections")
    wait_url = enqueue.attrib["waitUrl"]
    say, play = twiml((await world.twilio(wait_url, {**voice_form(first, status="in-progress"),
                                                     "QueuePosition": "1", "QueueTime": "3"})).text)
    assert (say.tag, say.text, play.tag) == ("Say", "You are number 1 in the queue.", "Play")
    assert play.text == world.running.services.settings.twilio.hold_music_url
    assert world.api.requests == []

    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('amina')}") as ws:
        await recv(ws, "hello")
        await world.set_state("amina", "ready")
        await until(lambda: len(world.api.requests) >= 1, "the Calls API update")
        update = world.api.requests[0]
        assert (update.method, update.path, update.user) == (
            "POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{first}.json", ACCOUNT_SID)  # longest waiting
        connect_url = update.value("Url") or ""
        assert connect_url.startswith(f"{PUBLIC_URL}/twilio/connect?") and update.value("Method") == "POST"
        assert query(connect_url)["device"] == "client:amina"
        connected = await world.twilio(connect_url, voice_form(first, status="in-progress", caller=CUSTOMER_NUMBER))
        offer = await rung(world, connected.text)
        assert (offer.room, offer.device) == (f"twilio-{first}", "client:amina")
        await world.twilio(offer.status_url, child_form(first, call_sid(), "ringing", "client:amina", 1))
        pop = (await recv(ws, "call.ringing"))["data"]
        assert pop["call_id"] == f"twilio/{first}" and pop["matches"][0]["customer_id"] == world.customer_id
    # the second caller is now first in line
    say, _ = twiml((await world.twilio(wait_url.replace(first, second), voice_form(second, status="in-progress"))).text)
    assert say.text == "You are number 1 in the queue."


async def test_an_agent_who_does_not_answer_sends_the_call_to_the_next_agent(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina", "wanjiru")  # wanjiru answers on her mobile phone
    parent = call_sid()
    answer = (await world.twilio(VOICE_URL, voice_form(parent))).text
    first = await rung(world, answer)
    status_url, amina_leg = first.status_url, first.leg
    assert first.device == "client:amina"
    await world.twilio(status_url, child_form(parent, amina_leg, "ringing", "client:amina", 1))
    await until(lambda: acd_state(world, "client:amina") is AgentState.RINGING,
                "amina ringing")
    await world.twilio(status_url, child_form(parent, amina_leg, "no-answer", "client:amina", 2))
    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('wanjiru')}") as ws:
        await recv(ws, "hello")
        second = await rung(world, answer, nth=1)  # amina's leg ended unanswered: the next agent, same conference
        status_url2 = second.status_url
        assert second.device == "+254733555666" and query(status_url2)["device"] == "+254733555666"
        await world.twilio(status_url2, child_form(parent, call_sid(), "ringing", "+254733555666", 1))
        pop = (await recv(ws, "call.ringing"))["data"]
        assert (pop["call_id"], pop["device"]) == (f"twilio/{parent}", "+254733555666")
        assert pop["matches"][0]["customer_id"] == world.customer_id
    await desktop_state(world, "wanjiru", "ringing")
    await until(lambda: acd_state(world, "client:amina") is AgentState.READY,
                "amina back to ready in the ACD")
    await desktop_state(world, "amina", "ready")
