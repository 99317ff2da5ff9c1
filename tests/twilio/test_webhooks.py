"""The sans-I/O webhook parser: forms in, typed events out; duplicates dropped; bad forms refused."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from cti.twilio.webhooks import (
    CallbackContext,
    CallbackDeduper,
    Leg,
    callback_url,
    offered_events,
    parse_callback,
    parse_context,
    status_events,
)
from domain.errors import ProtocolViolation
from domain.events import (
    AgentConnected,
    AgentRinging,
    CallEnded,
    CallOffered,
    DialOutcome,
    DialResult,
    Direction,
    EndCause,
)
from tests.twilio.helpers import OUR_NUMBER, PUBLIC_URL, call_sid, voice_form

NOW = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)


def _query(ctx: CallbackContext) -> dict[str, str]:
    return dict(parse_qsl(ctx.query()))


def test_inbound_call_id_is_the_callers_call_sid() -> None:
    sid = call_sid()
    cb = parse_callback(voice_form(sid))
    assert cb.call_id == f"twilio/{sid}"
    assert cb.leg is Leg.CALLER and cb.direction is Direction.INBOUND
    [offered] = offered_events(cb, NOW)
    assert isinstance(offered, CallOffered)
    assert (offered.call_id, offered.carrier, offered.direction) == (f"twilio/{sid}", "twilio", Direction.INBOUND)
    assert (offered.caller_number, offered.dialed_number) == ("+254712345678", OUR_NUMBER)


def test_child_leg_without_context_joins_its_parent() -> None:
    parent, child = call_sid(), call_sid()
    cb = parse_callback(voice_form(child, direction="outbound-dial", ParentCallSid=parent))
    assert cb.call_id == f"twilio/{parent}"
    assert cb.leg is Leg.AGENT


def test_outbound_callbacks_join_our_attempt_id() -> None:
    ctx = CallbackContext(call_id="sb-77", leg=Leg.AGENT, device="client:amina", agent="amina",
                          caller=OUR_NUMBER, dialed="+254711000111", direction=Direction.OUTBOUND)
    agent_leg, customer_leg = call_sid(), call_sid()
    initiated = parse_callback(voice_form(agent_leg, status="initiated", direction="outbound-api",
                                          caller=OUR_NUMBER, to="client:amina"), _query(ctx))
    ringing = parse_callback(voice_form(agent_leg, status="ringing", direction="outbound-api",
                                        caller=OUR_NUMBER, to="client:amina"), _query(ctx))
    cust_ctx = dataclasses.replace(ctx, leg=Leg.CUSTOMER)
    answered = parse_callback(voice_form(customer_leg, status="in-progress", direction="outbound-dial",
                                         ParentCallSid=agent_leg), _query(cust_ctx))
    events = [*status_events(initiated, NOW), *status_events(ringing, NOW), *status_events(answered, NOW)]
    assert {getattr(e, "call_id", None) for e in events} == {"sb-77"}
    offered, ringing_ev, connected, result = events
    assert isinstance(offered, CallOffered) and offered.direction is Direction.OUTBOUND
    assert offered.dialed_number == "+254711000111"
    assert isinstance(ringing_ev, AgentRinging) and ringing_ev.device == "client:amina"
    assert ringing_ev.member_name == "amina" and ringing_ev.direction is Direction.OUTBOUND
    assert isinstance(connected, AgentConnected) and connected.device == "client:amina"
    assert isinstance(result, DialResult) and result.outcome is DialOutcome.ANSWERED


def test_agent_ringing_on_inbound_offer_carries_the_callers_context() -> None:
    parent = call_sid()
    ctx = CallbackContext(call_id=f"twilio/{parent}", leg=Leg.AGENT, device="client:amina", agent="amina",
                          queue="collections", caller="+254712345678", dialed=OUR_NUMBER,
                          direction=Direction.INBOUND)
    cb = parse_callback(voice_form(call_sid(), caller="+254712345678", to="client:amina",
                                   direction="outbound-dial", ParentCallSid=parent), _query(ctx))
    [ev] = status_events(cb, NOW)
    assert isinstance(ev, AgentRinging)
    assert (ev.call_id, ev.queue, ev.caller_number, ev.dialed_number) == (
        f"twilio/{parent}", "collections", "+254712345678", OUR_NUMBER)


@pytest.mark.parametrize(("status", "cause"), [
    ("completed", EndCause.NORMAL), ("busy", EndCause.BUSY), ("no-answer", EndCause.NO_ANSWER),
    ("failed", EndCause.FAILED), ("canceled", EndCause.ABANDONED),
])
def test_caller_leg_end_cause(status: str, cause: EndCause) -> None:
    cb = parse_callback(voice_form(call_sid(), status=status, CallDuration="42", SipResponseCode="487"))
    [ev] = status_events(cb, NOW, talk_seconds=30)
    assert isinstance(ev, CallEnded)
    assert (ev.cause, ev.talk_seconds, ev.cause_code) == (cause, 30, 487)


def test_completed_while_waiting_is_abandoned() -> None:
    cb = parse_callback(voice_form(call_sid(), status="completed"))
    [ev] = status_events(cb, NOW, abandoned=True)
    assert isinstance(ev, CallEnded) and ev.cause is EndCause.ABANDONED


def test_outbound_agent_leg_not_answered_ends_and_reports_failure() -> None:
    ctx = CallbackContext(call_id="sb-9", leg=Leg.AGENT, device="client:amina", direction=Direction.OUTBOUND)
    cb = parse_callback(voice_form(call_sid(), status="no-answer", direction="outbound-api"), _query(ctx))
    ended, result = status_events(cb, NOW)
    assert isinstance(ended, CallEnded) and ended.cause is EndCause.NO_ANSWER
    assert isinstance(result, DialResult) and result.outcome is DialOutcome.FAILED
    assert result.reason == "agent leg no-answer"


@pytest.mark.parametrize(("status", "outcome"), [
    ("no-answer", DialOutcome.NO_ANSWER), ("busy", DialOutcome.BUSY), ("failed", DialOutcome.FAILED),
    ("canceled", DialOutcome.FAILED),
])
def test_an_unanswered_outbound_customer_leg_gives_the_dial_result(status: str, outcome: DialOutcome) -> None:
    """The customer is dialled into the call's conference (issue 22): their leg's own status callback says
    how the dial ended."""
    ctx = CallbackContext(call_id="sb-5", leg=Leg.CUSTOMER, direction=Direction.OUTBOUND)
    cb = parse_callback(voice_form(call_sid(), status=status, direction="outbound-api"), _query(ctx))
    [ev] = status_events(cb, NOW)
    assert isinstance(ev, DialResult) and (ev.call_id, ev.outcome, ev.reason) == ("sb-5", outcome, f"customer {status}")
    completed = parse_callback(voice_form(call_sid(), status="completed", direction="outbound-api"), _query(ctx))
    assert status_events(completed, NOW) == []  # a customer who talked and hung up: the agent's leg ends the call


def test_twilio_timestamp_is_the_event_time() -> None:
    cb = parse_callback(voice_form(call_sid(), status="completed", Timestamp="Tue, 11 Jun 2024 09:01:02 +0000"))
    [ev] = status_events(cb, NOW)
    assert ev.at == datetime(2024, 6, 11, 9, 1, 2, tzinfo=UTC)


def test_callback_url_round_trips_the_context() -> None:
    ctx = CallbackContext(call_id="sb-1", leg=Leg.AGENT, device="client:amina", agent="amina",
                          queue="collections", caller="+254712345678", dialed=OUR_NUMBER,
                          direction=Direction.INBOUND)
    url = callback_url(PUBLIC_URL + "/", "/twilio/status", ctx)
    assert url.startswith(PUBLIC_URL + "/twilio/status?call_id=sb-1&leg=agent&device=client%3Aamina")
    assert parse_context(_query(ctx)) == ctx


@pytest.mark.parametrize(("form_change", "field"), [
    ({"CallSid": None}, "CallSid"),
    ({"CallSid": "CA123"}, "CallSid"),
    ({"CallStatus": None}, "CallStatus"),
    ({"CallStatus": "exploded"}, "CallStatus"),
    ({"AccountSid": None}, "AccountSid"),
    ({"SequenceNumber": "-1"}, "SequenceNumber"),
    ({"ParentCallSid": "XX"}, "ParentCallSid"),
    ({"Timestamp": "yesterday"}, "Timestamp"),
    ({"From": "9" * 300}, "From"),
])
def test_bad_forms_are_protocol_violations(form_change: dict[str, str | None], field: str) -> None:
    form: dict[str, str] = voice_form(call_sid())
    for key, value in form_change.items():
        if value is None:
            form.pop(key)
        else:
            form[key] = value
    with pytest.raises(ProtocolViolation) as info:
        parse_callback(form)
    assert info.value.status == 400
    assert field in info.value.details


@pytest.mark.parametrize("query", [{"call_id": "robert'); drop"}, {"leg": "ghost"}, {"direction": "up"}])
def test_bad_context_is_refused(query: dict[str, str]) -> None:
    with pytest.raises(ProtocolViolation):
        parse_callback(voice_form(call_sid()), query)


def test_deduper_drops_a_repeat_by_status_or_sequence() -> None:
    dedupe = CallbackDeduper()
    sid = call_sid()
    ringing = parse_callback(voice_form(sid, status="ringing", SequenceNumber="1"))
    assert dedupe.first_time("status", ringing)
    assert not dedupe.first_time("status", ringing)
    same_seq_other_status = parse_callback(voice_form(sid, status="in-progress", SequenceNumber="1"))
    assert not dedupe.first_time("status", same_seq_other_status)
    answered = parse_callback(voice_form(sid, status="in-progress", SequenceNumber="2"))
    assert dedupe.first_time("status", answered)
    assert dedupe.first_time("dial", answered)  # another kind of request is not a repeat
    other_call = parse_callback(voice_form(call_sid(), status="ringing", SequenceNumber="1"))
    assert dedupe.first_time("status", other_call)


def test_deduper_is_bounded() -> None:
    dedupe = CallbackDeduper(max_entries=10)
    for _ in range(50):
        dedupe.first_time("status", parse_callback(voice_form(call_sid())))
    assert len(dedupe) == 10
