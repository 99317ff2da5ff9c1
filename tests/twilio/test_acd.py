"""The pure Twilio ACD: longest-idle first, next agent on no answer, FIFO queue, states as on Asterisk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cti.twilio.acd import DialStatus, TwilioAcd
from cti.twilio.decisions import Connect, Enqueue, Hangup, Offer, Step
from domain.errors import AgentNotAvailable
from domain.events import AgentState, AgentStateChanged, CallAbandoned, CallQueued

T0 = datetime(2024, 6, 11, 9, 0, tzinfo=UTC)
Q = "collections"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def states(step: Step) -> list[tuple[str, AgentState]]:
    return [(e.device, e.state) for e in step.events if isinstance(e, AgentStateChanged)]


def login(acd: TwilioAcd, *names_and_times: tuple[str, float]) -> None:
    for name, t in names_and_times:
        acd.queue_add(Q, f"client:{name}", name, at(t))


def incoming(acd: TwilioAcd, n: int, t: float, queue: str = Q) -> Step:
    return acd.on_incoming(f"twilio/CA{n}", f"CA{n}", queue, f"+25471200000{n}", "+254709000000", at(t))


def test_login_makes_the_agent_ready() -> None:
    acd = TwilioAcd()
    step = acd.queue_add(Q, "client:amina", "amina", at(0))
    assert states(step) == [("client:amina", AgentState.READY)]
    assert step.events[0].carrier == "twilio"  # type: ignore[attr-defined]


def test_incoming_goes_to_the_longest_idle_ready_agent() -> None:
    acd = TwilioAcd()
    login(acd, ("brian", 5), ("amina", 1), ("chao", 3))
    step = incoming(acd, 1, 10)
    assert isinstance(step.decision, Offer)
    assert step.decision.agent.device == "client:amina" and step.decision.agent.username == "amina"
    assert states(step) == [("client:amina", AgentState.RINGING)]
    nxt = incoming(acd, 2, 11)
    assert isinstance(nxt.decision, Offer) and nxt.decision.agent.device == "client:chao"


def test_paused_and_other_queue_agents_are_skipped() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 1), ("brian", 2))
    acd.queue_add("customer_service", "client:zed", "zed", at(0))
    step = acd.pause("client:amina", "lunch", at(3))
    assert [(e.state, e.reason) for e in step.events if isinstance(e, AgentStateChanged)] == [
        (AgentState.PAUSED, "lunch")]
    offer = incoming(acd, 1, 10)
    assert isinstance(offer.decision, Offer) and offer.decision.agent.device == "client:brian"


def test_no_answer_goes_to_the_next_agent_then_enqueues() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 1), ("brian", 2))
    first = incoming(acd, 1, 10)
    assert isinstance(first.decision, Offer) and first.decision.agent.device == "client:amina"
    second = acd.on_dial_result("twilio/CA1", "client:amina", DialStatus.NO_ANSWER, at(30))
    assert isinstance(second.decision, Offer) and second.decision.agent.device == "client:brian"
    assert states(second) == [("client:amina", AgentState.READY), ("client:brian", AgentState.RINGING)]
    third = acd.on_dial_result("twilio/CA1", "client:brian", DialStatus.BUSY, at(50))
    assert isinstance(third.decision, Enqueue) and third.decision.position == 1
    [queued] = [e for e in third.events if isinstance(e, CallQueued)]
    assert (queued.queue, queued.position, queued.call_id) == (Q, 1, "twilio/CA1")
    assert acd.waiting(Q) == ["twilio/CA1"]


def test_no_ready_agent_enqueues_fifo_and_ready_agent_takes_the_longest_waiting() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    acd.pause("client:amina", "training", at(1))
    steps = [incoming(acd, n, 10 + n) for n in (1, 2, 3)]
    assert [s.decision.position for s in steps if isinstance(s.decision, Enqueue)] == [1, 2, 3]
    assert acd.position("twilio/CA3") == 3
    ready = acd.on_agent_ready("client:amina", at(20))
    [connect] = ready.connects
    assert isinstance(connect, Connect)
    assert (connect.call.call_id, connect.call.call_sid, connect.agent.device) == ("twilio/CA1", "CA1", "client:amina")
    assert states(ready) == [("client:amina", AgentState.READY), ("client:amina", AgentState.RINGING)]
    assert acd.waiting(Q) == ["twilio/CA2", "twilio/CA3"]
    assert acd.position("twilio/CA3") == 2


def test_ready_agent_in_two_queues_takes_the_oldest_caller_across_them() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    acd.queue_add("customer_service", "client:amina", "amina", at(0))
    acd.pause("client:amina", None, at(0))
    incoming(acd, 2, 5, queue=Q)
    incoming(acd, 1, 1, queue="customer_service")
    step = acd.on_agent_ready("client:amina", at(10))
    assert [c.call.call_id for c in step.connects] == ["twilio/CA1"]
    assert acd.waiting(Q) == ["twilio/CA2"]


def test_answer_then_completed_goes_to_wrap_up_then_ready() -> None:
    acd = TwilioAcd(wrapup_seconds=30)
    login(acd, ("amina", 0))
    incoming(acd, 1, 10)
    assert states(acd.on_answered("twilio/CA1", "client:amina", at(14))) == [("client:amina", AgentState.ON_CALL)]
    end = acd.on_dial_result("twilio/CA1", "client:amina", DialStatus.COMPLETED, at(74))
    assert isinstance(end.decision, Hangup)
    assert states(end) == [("client:amina", AgentState.WRAP_UP)]
    ended = acd.on_call_ended("twilio/CA1", at(75))
    assert ended.ended is not None and not ended.ended.abandoned and ended.ended.talk_seconds == 61
    incoming(acd, 2, 80)  # waits: amina is in wrap-up
    assert acd.waiting(Q) == ["twilio/CA2"]
    assert acd.expire_wrap_ups(at(90)).events == ()  # 16 s < 30 s
    expired = acd.expire_wrap_ups(at(104))
    assert states(expired) == [("client:amina", AgentState.READY), ("client:amina", AgentState.RINGING)]
    assert [c.call.call_id for c in expired.connects] == ["twilio/CA2"]


def test_caller_hanging_up_while_waiting_is_abandoned() -> None:
    acd = TwilioAcd()
    incoming(acd, 1, 0)
    incoming(acd, 2, 5)
    step = acd.on_call_ended("twilio/CA2", at(35))
    [abandoned] = [e for e in step.events if isinstance(e, CallAbandoned)]
    assert (abandoned.queue, abandoned.position, abandoned.hold_seconds) == (Q, 2, 30)
    assert step.ended is not None and step.ended.abandoned
    assert acd.waiting(Q) == ["twilio/CA1"]


def test_caller_hanging_up_while_agent_rings_frees_the_agent() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    incoming(acd, 1, 10)
    canceled = acd.on_dial_result("twilio/CA1", "client:amina", DialStatus.CANCELED, at(12))
    assert isinstance(canceled.decision, Hangup)
    assert states(canceled) == [("client:amina", AgentState.READY)]
    step = acd.on_call_ended("twilio/CA1", at(12))
    assert step.ended is not None and step.ended.abandoned


def test_stale_dial_result_changes_nothing() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0), ("brian", 1))
    incoming(acd, 1, 10)
    step = acd.on_dial_result("twilio/CA1", "client:brian", DialStatus.NO_ANSWER, at(12))
    assert isinstance(step.decision, Hangup) and step.events == ()
    assert acd.agent("client:amina").state is AgentState.RINGING  # type: ignore[union-attr]


def test_autopause_on_no_answer() -> None:
    acd = TwilioAcd(autopause_on_no_answer=True)
    login(acd, ("amina", 0))
    incoming(acd, 1, 10)
    step = acd.on_dial_result("twilio/CA1", "client:amina", DialStatus.NO_ANSWER, at(30))
    assert isinstance(step.decision, Enqueue)
    agent = acd.agent("client:amina")
    assert agent is not None and (agent.state, agent.reason) == (AgentState.PAUSED, "no-answer")


def test_tried_agent_pressing_ready_again_gets_the_caller() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    incoming(acd, 1, 10)
    acd.on_dial_result("twilio/CA1", "client:amina", DialStatus.NO_ANSWER, at(30))
    assert acd.waiting(Q) == ["twilio/CA1"]
    step = acd.on_agent_ready("client:amina", at(40))
    assert [c.call.call_id for c in step.connects] == ["twilio/CA1"]


def test_pause_during_a_call_applies_after_it() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    incoming(acd, 1, 10)
    acd.on_answered("twilio/CA1", "client:amina", at(12))
    assert acd.pause("client:amina", "break", at(20)).events == ()  # still shows on call
    step = acd.on_call_ended("twilio/CA1", at(60))
    assert states(step) == [("client:amina", AgentState.PAUSED)]


def test_outbound_reserves_the_agent() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    step = acd.on_outbound("sb-1", "client:amina", "amina", "+254711000111", "+254709000000", at(5))
    assert states(step) == [("client:amina", AgentState.RINGING)]
    assert isinstance(incoming(acd, 1, 6).decision, Enqueue)  # amina is busy
    with pytest.raises(AgentNotAvailable):
        acd.on_outbound("sb-2", "client:amina", "amina", "+254711000222", "+254709000000", at(7))
    acd.on_answered("sb-1", "client:amina", at(9))
    ended = acd.on_call_ended("sb-1", at(69))
    assert ended.ended is not None and not ended.ended.abandoned and ended.ended.talk_seconds == 60
    assert not [e for e in ended.events if isinstance(e, CallAbandoned)]
    assert [c.call.call_id for c in ended.connects] == ["twilio/CA1"]


def test_queue_remove_logs_out() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    assert states(acd.queue_remove(Q, "client:amina", at(5))) == [("client:amina", AgentState.LOGGED_OUT)]
    assert isinstance(incoming(acd, 1, 6).decision, Enqueue)


def test_repeated_incoming_webhook_gives_the_same_decision() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0), ("brian", 1))
    first = incoming(acd, 1, 10)
    again = incoming(acd, 1, 11)
    assert isinstance(first.decision, Offer) and isinstance(again.decision, Offer)
    assert first.decision.agent == again.decision.agent and again.events == ()


def test_agent_released_by_no_answer_takes_another_waiting_caller() -> None:
    acd = TwilioAcd()
    login(acd, ("amina", 0))
    incoming(acd, 1, 10)  # offered to amina
    incoming(acd, 2, 11)  # waits
    step = acd.on_dial_result("twilio/CA1", "client:amina", DialStatus.NO_ANSWER, at(30))
    assert isinstance(step.decision, Enqueue)  # amina already tried for CA1
    assert [c.call.call_id for c in step.connects] == ["twilio/CA2"]  # but CA2 never tried her
    assert acd.waiting(Q) == ["twilio/CA1"]
