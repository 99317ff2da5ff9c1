"""Outbound calls (click-to-call, the dialer) through the Twilio carrier and the webhook service:
the agent's leg first through the Calls API (the local stand-in), then the customer, every
callback joined to the attempt's ``call_id``; a 500 on create is never re-sent.
"""

from __future__ import annotations

import pytest

from domain.carrier import Carrier
from domain.errors import CarrierRejected, DialOutcomeUnknown
from domain.events import AgentState, CallEnded, DialOutcome, DialRequested, DialResult, EndCause
from tests.twilio.helpers import OUR_NUMBER, call_sid, signed_url, voice_form
from tests.twilio.rig import CONFERENCES, Rig, login, query, xml


async def test_carrier_satisfies_the_port(rig: Rig) -> None:
    carrier: Carrier = rig.carrier
    assert carrier.name == "twilio"


def agent_leg_form(leg: str, status: str, seq: int) -> dict[str, str]:
    return voice_form(leg, status=status, caller=OUR_NUMBER, to="client:amina", direction="outbound-api",
                      SequenceNumber=str(seq))


async def answer_agent_leg(rig: Rig, call_id: str, customer: str) -> tuple[str, str, str, str]:
    """Place the click-to-call, let the agent answer; (agent leg, its status URL, the <Dial action> URL,
    the customer leg's status URL from the Participants API request that dialled the customer)."""
    await rig.carrier.dial(DialRequested(call_id=call_id, agent_device="client:amina", customer_number=customer,
                                         carrier="twilio", timeout_seconds=25))
    [create] = rig.api.requests
    assert (create.value("To"), create.value("From"), create.value("Timeout")) == ("client:amina", OUR_NUMBER, "25")
    outbound_url, status_url = create.value("Url") or "", create.value("StatusCallback") or ""
    assert query(outbound_url, "call_id") == query(status_url, "call_id") == call_id
    agent_leg = call_sid()
    for seq, status in enumerate(["initiated", "ringing", "in-progress"]):
        await rig.service.handle_status(signed_url(status_url, agent_leg_form(agent_leg, status, seq)))
    answer = await rig.service.handle_outbound(signed_url(outbound_url, agent_leg_form(agent_leg, "in-progress", 9)))
    again = await rig.service.handle_outbound(signed_url(outbound_url, agent_leg_form(agent_leg, "in-progress", 9)))
    assert again == answer  # Twilio asking twice dials the customer once
    [dial] = xml(answer)
    [conference] = dial
    assert (conference.tag, conference.text, conference.attrib["participantLabel"]) == ("Conference", call_id, "agent")
    assert conference.attrib["startConferenceOnEnter"] == conference.attrib["endConferenceOnExit"] == "true"
    await rig.service.drain()
    [customer_dial] = [r for r in rig.api.requests if r.value("Label") == "customer"]
    assert customer_dial.path == f"{CONFERENCES}/{call_id}/Participants.json"
    assert (customer_dial.value("To"), customer_dial.value("From"), customer_dial.value("EarlyMedia")) == (
        customer, OUR_NUMBER, "true")
    customer_status = customer_dial.value("StatusCallback") or ""
    assert (query(customer_status, "leg"), query(customer_status, "call_id")) == ("customer", call_id)
    return agent_leg, status_url, dial.attrib["action"], customer_status


async def test_click_to_call_places_agent_first_and_joins_callbacks_to_one_call_id(rig: Rig) -> None:
    await login(rig, "amina")
    agent_leg, status_url, action, customer_status = await answer_agent_leg(rig, "sb-att-1", "+254711000111")
    room = rig.api.rooms["sb-att-1"]
    customer_leg = room.labels()["customer"]
    await rig.service.handle_status(signed_url(customer_status, voice_form(
        customer_leg, status="in-progress", caller=OUR_NUMBER, to="+254711000111", direction="outbound-api")))
    rig.clock.advance(30)  # the customer hangs up: the conference ends, the agent's <Dial> with it
    await rig.service.handle_status(signed_url(customer_status, voice_form(
        customer_leg, status="completed", caller=OUR_NUMBER, to="+254711000111", direction="outbound-api")))
    hang = await rig.service.handle_dial_action(signed_url(action, voice_form(
        agent_leg, status="in-progress", caller=OUR_NUMBER, to="client:amina", direction="outbound-api",
        DialCallStatus="completed")))
    assert [e.tag for e in xml(hang)] == ["Hangup"]
    await rig.service.handle_status(signed_url(status_url, agent_leg_form(agent_leg, "completed", 5)))

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
    assert not [r for r in rig.api.requests if "/Calls/" in r.path]  # nothing to hang up by hand


async def test_customer_not_answering_gives_a_dial_result_and_frees_the_agent(rig: Rig) -> None:
    agent_leg, _, _, customer_status = await answer_agent_leg(rig, "sb-att-2", "+254711000222")
    customer_leg = rig.api.rooms["sb-att-2"].labels()["customer"]
    await rig.service.handle_status(signed_url(customer_status, voice_form(
        customer_leg, status="ringing", caller=OUR_NUMBER, to="+254711000222", direction="outbound-api")))
    await rig.service.handle_status(signed_url(customer_status, voice_form(
        customer_leg, status="no-answer", caller=OUR_NUMBER, to="+254711000222", direction="outbound-api")))
    await rig.service.drain()
    [result] = rig.of(DialResult)
    assert isinstance(result, DialResult)
    assert (result.call_id, result.outcome) == ("sb-att-2", DialOutcome.NO_ANSWER)
    [hangup] = [r for r in rig.api.requests if r.path.endswith(f"/Calls/{agent_leg}.json")]
    assert hangup.value("Status") == "completed"  # the agent waiting alone in the conference


async def test_the_agent_hanging_up_while_the_customer_rings_cancels_the_customer(rig: Rig) -> None:
    agent_leg, status_url, _, _ = await answer_agent_leg(rig, "sb-att-5", "+254711000555")
    customer_leg = rig.api.rooms["sb-att-5"].labels()["customer"]
    await rig.service.handle_status(signed_url(status_url, agent_leg_form(agent_leg, "completed", 5)))
    await rig.service.drain()
    [cancel] = [r for r in rig.api.requests if r.path.endswith(f"/Calls/{customer_leg}.json")]
    assert cancel.value("Status") == "canceled"
    assert len(rig.of(CallEnded)) == 1


async def test_a_refused_customer_dial_is_a_failed_dial_result(rig: Rig) -> None:
    await rig.carrier.dial(DialRequested(call_id="sb-att-6", agent_device="client:amina",
                                         customer_number="+254711000666", carrier="twilio"))
    outbound_url = rig.api.requests[0].value("Url") or ""
    agent_leg = call_sid()
    rig.api.answer_next(400)
    await rig.service.handle_outbound(signed_url(outbound_url, agent_leg_form(agent_leg, "in-progress", 1)))
    await rig.service.drain()
    [result] = rig.of(DialResult)
    assert isinstance(result, DialResult) and result.outcome is DialOutcome.FAILED
    [hangup] = [r for r in rig.api.requests if r.path.endswith(f"/Calls/{agent_leg}.json")]
    assert hangup.value("Status") == "completed"


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
