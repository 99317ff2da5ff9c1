"""Outbound calls (click-to-call, the dialer) through the Twilio carrier and the webhook service:
the agent's leg first through the Calls API (the local stand-in), then the customer, every
callback joined to the attempt's ``call_id``; a 500 on create is never re-sent.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from domain.carrier import Carrier
from domain.errors import CarrierRejected, DialOutcomeUnknown
from domain.events import AgentState, CallEnded, DialOutcome, DialRequested, DialResult, EndCause
from tests.twilio.helpers import OUR_NUMBER, call_sid, signed_url, voice_form
from tests.twilio.rig import Rig, dial_target, login, xml


async def test_carrier_satisfies_the_port(rig: Rig) -> None:
    carrier: Carrier = rig.carrier
    assert carrier.name == "twilio"


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
