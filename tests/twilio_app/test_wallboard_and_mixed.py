"""The supervisor wallboard counts Twilio calls; Asterisk and Twilio agents and campaigns in one
deployment, each command going to the carrier that serves the agent's device or the campaign."""

from __future__ import annotations

from typing import Any

import websockets

from dialer.service import Dialer
from domain.events import AgentState, AgentStateRequested, CallQueued, DialRequested, DialResult
from tests.twilio.helpers import PUBLIC_URL, call_sid, voice_form
from tests.twilio_app.conftest import ASTERISK_CUSTOMER_NUMBER, CUSTOMER_NUMBER, TwilioWorld, until
from tests.twilio_app.support import acd_state, query, ready_in_acd, recv, rung, twiml

VOICE_URL = f"{PUBLIC_URL}/twilio/voice?queue=collections"


async def _collections(world: TwilioWorld) -> dict[str, Any]:
    """The ``collections`` row of GET /api/wallboard (empty before its first call is recorded)."""
    response = await world.http.get(f"{world.running.base_url}/api/wallboard", headers=world.auth("sup"))
    assert response.status_code == 200, response.text
    found = [q for q in response.json()["queues"] if q["queue"] == "collections"]
    return dict(found[0]) if found else {}


async def test_the_wallboard_counts_twilio_calls(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('sup')}&stream=wallboard") as ws:
        await recv(ws, "hello")
        # 1: answered by amina
        answered = call_sid()
        offer = await rung(world, (await world.twilio(VOICE_URL, voice_form(answered))).text)
        await world.twilio(offer.status_url, voice_form(offer.leg, status="in-progress", to="client:amina",
                                                        direction="outbound-api"))
        await world.twilio(offer.action, voice_form(answered, status="in-progress", DialCallStatus="completed"))
        await world.twilio(f"{PUBLIC_URL}/twilio/status", voice_form(answered, status="completed"))
        await until(lambda: acd_state(world, "client:amina") is AgentState.WRAP_UP, "amina in wrap-up")
        # 2: nobody free, the caller waits and hangs up; 3: still waiting
        gave_up, waiting = call_sid(), call_sid()
        for sid, caller in ((gave_up, "+254711000001"), (waiting, "+254711000002")):
            [verb] = twiml((await world.twilio(VOICE_URL, voice_form(sid, caller=caller))).text)
            assert verb.tag == "Enqueue"
        await world.twilio(f"{PUBLIC_URL}/twilio/status", voice_form(gave_up, status="completed",
                                                                     caller="+254711000001"))
        await until(lambda: sum(isinstance(e, CallQueued) for e in world.events) == 2, "two callers queued")

        async def figures() -> bool:
            q = await _collections(world)
            return (q.get("answered"), q.get("abandoned"), q.get("waiting")) == (1, 1, 1)

        await until(figures, "the wallboard's figures for collections")
        queue = await _collections(world)
        assert queue["abandon_rate"] == 0.5 and queue["longest_wait_seconds"] >= 0
        # the supervisors' socket got the same figures pushed
        while True:
            pushed = (await recv(ws, "wallboard.queue"))["data"]
            if (pushed["queue"], pushed["answered"], pushed["abandoned"], pushed["waiting"]) == (
                    "collections", 1, 1, 1):
                break


async def test_asterisk_and_twilio_agents_and_campaigns_in_one_deployment(
    twilio_app: TwilioWorld, dialer: Dialer
) -> None:
    world = twilio_app
    await world.set_state("otieno", "ready")  # PJSIP/1001: an Asterisk desk phone, idle the longest
    await ready_in_acd(world, "amina", "brian")

    def requested() -> dict[str, str]:
        return {e.username: e.carrier for e in world.events if isinstance(e, AgentStateRequested)}

    await until(lambda: len(requested()) == 3, "three agent commands on the bus")
    assert requested() == {"otieno": "asterisk", "amina": "twilio", "brian": "twilio"}
    assert acd_state(world, "PJSIP/1001") is None  # the Twilio ACD never sees an Asterisk agent

    # an inbound Twilio call goes to a Twilio agent, even though otieno has waited longer
    offer = await rung(world, (await world.twilio(VOICE_URL, voice_form(call_sid()))).text)
    assert offer.device == "client:amina"

    # each campaign dials through its own carrier
    await world.assign(world.customer_id, "brian")  # an agent dials their own customers (issue 15 item 4)
    await world.assign(world.asterisk_customer_id, "otieno")
    asterisk_call = await dialer.click_to_call("otieno", world.asterisk_customer_id)  # campaign collections
    twilio_call = await dialer.click_to_call("brian", world.customer_id)  # campaign mobile_collections
    await until(lambda: any(isinstance(e, DialResult) and e.call_id == twilio_call for e in world.events),
                "the Twilio dial's result")
    dials = {e.call_id: e for e in world.events if isinstance(e, DialRequested)}
    assert (dials[asterisk_call].carrier, dials[asterisk_call].agent_device,
            dials[asterisk_call].customer_number) == ("asterisk", "PJSIP/1001", ASTERISK_CUSTOMER_NUMBER)
    assert (dials[twilio_call].carrier, dials[twilio_call].agent_device) == ("twilio", "client:brian")
    [create] = [r for r in world.api.requests if r.path.endswith("/Calls.json")]  # only the Twilio campaign's
    assert (create.value("To"), query(create.value("Url") or "")["call_id"]) == ("client:brian", twilio_call)
    assert query(create.value("Url") or "")["dialed"] == CUSTOMER_NUMBER
    assert not any(isinstance(e, DialResult) and e.call_id == asterisk_call and e.carrier == "twilio"
                   for e in world.events)
