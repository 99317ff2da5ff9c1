"""The pure AMI normaliser over recorded streams and hand-built messages."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cti.ami.calltable import CallTable
from cti.ami.framing import AmiMessage, AmiParser
from cti.ami.normaliser import HANDLED_EVENTS, normalise
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
    DialResult,
    Direction,
    EndCause,
    Event,
    IvrInput,
)
from tests.cti.ami_streams import INBOUND, ORIGINATE, fixture_bytes

SERVER = "pbx1"


def run(table: CallTable, msgs: list[AmiMessage]) -> list[Event]:
    out: list[Event] = []
    for msg in msgs:
        out += normalise(table, msg, SERVER)
    return out


def stream(name: str) -> list[AmiMessage]:
    return AmiParser().feed(fixture_bytes(name))


def summary(events: list[Event]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for e in events:
        if isinstance(e, CallOffered):
            rows.append(("offered", e.call_id, e.direction, e.caller_number, e.dialed_number))
        elif isinstance(e, IvrInput):
            rows.append(("ivr", e.call_id, e.menu, e.digit))
        elif isinstance(e, CallQueued):
            rows.append(("queued", e.call_id, e.queue, e.position, e.caller_number))
        elif isinstance(e, AgentRinging):
            rows.append(("ringing", e.call_id, e.device, e.member_name, e.queue, e.caller_number,
                         e.dialed_number, e.direction, e.ivr))
        elif isinstance(e, AgentConnected):
            rows.append(("connected", e.call_id, e.device, e.queue, e.hold_seconds, e.ring_seconds))
        elif isinstance(e, CallEnded):
            rows.append(("ended", e.call_id, e.cause, e.cause_code, e.talk_seconds))
        elif isinstance(e, CallAbandoned):
            rows.append(("abandoned", e.call_id, e.queue, e.position, e.hold_seconds))
        elif isinstance(e, AgentStateChanged):
            rows.append(("agent", e.device, e.state, e.reason, e.queue))
        elif isinstance(e, DialResult):
            rows.append(("dial", e.call_id, e.outcome))
        else:  # pragma: no cover - would be a new event kind
            rows.append((type(e).__name__,))
    return rows


def msg(event: str, **fields: str) -> AmiMessage:
    return AmiMessage([("Event", event), *fields.items()])


def leg(event: str, uniqueid: str, linkedid: str, **fields: str) -> AmiMessage:
    return msg(event, Uniqueid=uniqueid, Linkedid=linkedid, **fields)


CALL = "pbx1/1795326761.18"


def test_inbound_queue_call_exact_sequence() -> None:
    table = CallTable(dtmf_as_ivr=True)  # this recording's IVR sends no UserEvent IvrChoice
    events = run(table, stream(INBOUND))
    assert summary(events) == [
        ("offered", CALL, Direction.INBOUND, "0712345678", "0800123456"),
        ("ivr", CALL, "from-trunk", "1"),
        ("queued", CALL, "collections", 1, "0712345678"),
        ("ringing", CALL, "PJSIP/1003", "Agent 1003", "collections", "0712345678", "0800123456",
         Direction.INBOUND, ("from-trunk:1",)),
        ("agent", "PJSIP/1003", AgentState.RINGING, None, "collections"),
        ("agent", "PJSIP/1003", AgentState.ON_CALL, None, "collections"),
        ("connected", CALL, "PJSIP/1003", "collections", 1, 1),
        ("ended", CALL, EndCause.NORMAL, 16, 5),
        ("agent", "PJSIP/1003", AgentState.READY, None, "collections"),
    ]
    assert {e.server for e in events if hasattr(e, "server")} == {SERVER}
    ringing = next(e for e in events if isinstance(e, AgentRinging))
    assert ringing.at.timestamp() == pytest.approx(1795326762.740898)
    assert table.calls == {}
    assert table.rings == set()


def test_inbound_without_dtmf_ivr_has_no_ivr_input() -> None:
    events = run(CallTable(), stream(INBOUND))
    assert not [e for e in events if isinstance(e, IvrInput)]
    assert len([e for e in events if isinstance(e, CallEnded)]) == 1


def test_originate_registered_exact_sequence() -> None:
    table = CallTable()
    table.register_originate("c2c-0001-agent", action_id="c2c-0001", customer_number="0712345678",
                             agent_device="PJSIP/1001", caller_id="0800123456")
    events = run(table, stream(ORIGINATE))
    cid = "c2c-0001-agent"
    assert summary(events) == [
        ("offered", cid, Direction.OUTBOUND, "0800123456", "0712345678"),
        ("ringing", cid, "PJSIP/1001", None, None, "0800123456", "0712345678", Direction.OUTBOUND, ()),
        ("agent", "PJSIP/1001", AgentState.RINGING, None, "collections"),
        ("dial", cid, DialOutcome.SENT),
        ("agent", "PJSIP/1001", AgentState.ON_CALL, None, "collections"),
        ("connected", cid, "PJSIP/1001", None, None, None),
        ("ended", cid, EndCause.NORMAL, 16, 5),  # talk from the customer leg's answer to hangup
        ("agent", "PJSIP/1001", AgentState.READY, None, "collections"),
    ]
    assert table.originates == {}


def test_originate_by_prefix_and_unknown_originate() -> None:
    ours = run(CallTable(own_prefixes=("sb-", "c2c-")), stream(ORIGINATE))
    ids = {e.call_id for e in ours if hasattr(e, "call_id")}
    assert ids == {"c2c-0001-agent"}
    offered = next(e for e in ours if isinstance(e, CallOffered))
    assert offered.direction is Direction.OUTBOUND
    foreign = run(CallTable(), stream(ORIGINATE))
    ids = {e.call_id for e in foreign if hasattr(e, "call_id")}
    assert ids == {"pbx1/c2c-0001-agent"}  # not ours: server-scoped, seen as inbound
    assert [type(e) for e in foreign if isinstance(e, CallEnded | DialResult)] == [DialResult, CallEnded]


def test_ivr_userevent_and_pop_carries_choices() -> None:
    table = CallTable()
    events = run(table, [
        leg("Newchannel", "1.1", "1.1", CallerIDNum="0711000111", Exten="0800123456"),
        leg("DTMFEnd", "1.1", "1.1", Digit="2", Direction="Received", Context="from-trunk"),
        leg("UserEvent", "1.1", "1.1", UserEvent="IvrChoice", Digit="2", Menu="main",
            Queue="customer_service"),
        leg("QueueCallerJoin", "1.1", "1.1", Queue="customer_service", Position="3"),
        leg("AgentCalled", "1.1", "1.1", Queue="customer_service", Interface="PJSIP/1002",
            MemberName="Amina"),
    ])
    assert summary(events) == [
        ("offered", "pbx1/1.1", Direction.INBOUND, "0711000111", "0800123456"),
        ("ivr", "pbx1/1.1", "main", "2"),
        ("queued", "pbx1/1.1", "customer_service", 3, "0711000111"),
        ("ringing", "pbx1/1.1", "PJSIP/1002", "Amina", "customer_service", "0711000111", "0800123456",
         Direction.INBOUND, ("main:2",)),
    ]


def test_abandoned_call() -> None:
    events = run(CallTable(), [
        leg("Newchannel", "2.1", "2.1", CallerIDNum="0711", Exten="0800123457"),
        leg("QueueCallerJoin", "2.1", "2.1", Queue="collections", Position="1"),
        leg("AgentCalled", "2.1", "2.1", Queue="collections", Interface="PJSIP/1001", MemberName="A"),
        leg("Newchannel", "2.2", "2.1", CallerIDNum="1001"),
        leg("QueueCallerAbandon", "2.1", "2.1", Queue="collections", Position="1", HoldTime="7"),
        leg("Hangup", "2.2", "2.1", Cause="26"),
        leg("Hangup", "2.1", "2.1", Cause="16"),
    ])
    assert summary(events)[-2:] == [
        ("abandoned", "pbx1/2.1", "collections", 1, 7),
        ("ended", "pbx1/2.1", EndCause.ABANDONED, 16, None),
    ]


@pytest.mark.parametrize(
    ("cause", "expected"),
    [("16", EndCause.NORMAL), ("17", EndCause.BUSY), ("18", EndCause.NO_ANSWER),
     ("19", EndCause.NO_ANSWER), ("21", EndCause.REJECTED), ("34", EndCause.FAILED),
     ("x", EndCause.NORMAL), ("", EndCause.NORMAL)],  # unreadable: falls back to the other leg's 16
)
def test_end_cause_from_customer_leg(cause: str, expected: EndCause) -> None:
    events = run(CallTable(), [
        leg("Newchannel", "3.1", "3.1", CallerIDNum="0711"),
        leg("Newchannel", "3.2", "3.1"),
        leg("Hangup", "3.1", "3.1", Cause=cause),
        leg("Hangup", "3.2", "3.1", Cause="16"),  # the agent leg's cause does not count
    ])
    ended = [e for e in events if isinstance(e, CallEnded)]
    assert len(ended) == 1
    assert ended[0].cause is expected


def test_no_readable_cause_is_failed() -> None:
    msgs = [leg("Newchannel", "4.1", "4.1"), leg("Hangup", "4.1", "4.1", Cause="?")]
    (_offered, ended) = run(CallTable(), msgs)
    assert isinstance(ended, CallEnded)
    assert (ended.cause, ended.cause_code) == (EndCause.FAILED, None)


def test_outbound_busy_customer_uses_customer_leg_cause() -> None:
    table = CallTable()
    events = run(table, [
        leg("Newchannel", "sb-42", "sb-42", Channel="PJSIP/1001-00000001", CallerIDNum="1001"),
        leg("Newstate", "sb-42", "sb-42", Channel="PJSIP/1001-00000001", ChannelState="5"),
        leg("Newstate", "sb-42", "sb-42", Channel="PJSIP/1001-00000001", ChannelState="6"),
        leg("Newchannel", "9.2", "sb-42", Channel="PJSIP/trunk-00000002"),
        leg("Hangup", "9.2", "sb-42", Cause="17"),
        leg("Hangup", "sb-42", "sb-42", Cause="16"),
        leg("Hangup", "sb-42", "sb-42", Cause="16"),  # duplicate/late: ignored
    ])
    assert summary(events) == [
        ("offered", "sb-42", Direction.OUTBOUND, "1001", ""),
        ("ringing", "sb-42", "PJSIP/1001", None, None, "1001", "", Direction.OUTBOUND, ()),
        ("ended", "sb-42", EndCause.BUSY, 17, None),
    ]


@pytest.mark.parametrize(
    ("status", "paused", "reason", "state", "expected_reason"),
    [("1", "0", "", AgentState.READY, None), ("1", "1", "lunch", AgentState.PAUSED, "lunch"),
     ("6", "0", "", AgentState.RINGING, None), ("2", "0", "", AgentState.ON_CALL, None),
     ("3", "0", "", AgentState.ON_CALL, None), ("5", "0", "", AgentState.LOGGED_OUT, None),
     ("0", "1", "", AgentState.PAUSED, None)],
)
def test_member_status_mapping(status: str, paused: str, reason: str, state: AgentState,
                               expected_reason: str | None) -> None:
    table = CallTable()
    m = msg("QueueMemberStatus", Queue="collections", Interface="PJSIP/1001", Status=status, Paused=paused,
            PausedReason=reason)
    expected = [("agent", "PJSIP/1001", state, expected_reason, "collections")]
    assert summary(normalise(table, m, SERVER)) == expected
    assert normalise(table, m, SERVER) == []  # unchanged: not repeated


def test_pause_added_removed() -> None:
    table = CallTable()
    events = run(table, [
        msg("QueueMemberAdded", Queue="q", Interface="PJSIP/1", Status="1", Paused="0"),
        msg("QueueMemberPause", Queue="q", Interface="PJSIP/1", Status="1", Paused="1", PausedReason="tea"),
        msg("QueueMemberPause", Queue="q", Interface="PJSIP/1", Status="1", Paused="0", PausedReason=""),
        msg("QueueMemberRemoved", Queue="q", Interface="PJSIP/1"),
    ])
    assert [(e.state, e.reason) for e in events if isinstance(e, AgentStateChanged)] == [
        (AgentState.READY, None), (AgentState.PAUSED, "tea"), (AgentState.READY, None),
        (AgentState.LOGGED_OUT, None),
    ]


@pytest.mark.parametrize(
    ("response", "reason", "outcome"),
    [("Success", "4", DialOutcome.SENT), ("Failure", "1", DialOutcome.NO_ANSWER),
     ("Failure", "3", DialOutcome.NO_ANSWER), ("Failure", "5", DialOutcome.BUSY),
     ("Failure", "8", DialOutcome.FAILED), ("Failure", "0", DialOutcome.FAILED),
     ("Failure", "", DialOutcome.FAILED)],
)
def test_originate_response(response: str, reason: str, outcome: DialOutcome) -> None:
    table = CallTable()
    table.register_originate("sb-7", action_id="act-7", customer_number="0712")
    (result,) = normalise(table, msg("OriginateResponse", ActionID="act-7", Response=response, Reason=reason,
                                     Uniqueid="<null>"), SERVER)
    assert isinstance(result, DialResult)
    assert (result.call_id, result.outcome) == ("sb-7", outcome)
    (by_uniqueid,) = normalise(CallTable(), msg("OriginateResponse", Response=response, Reason=reason,
                                                Uniqueid="sb-8"), SERVER)
    assert isinstance(by_uniqueid, DialResult)
    assert by_uniqueid.call_id == "sb-8"


def test_chatty_unknown_and_malformed_messages_are_ignored() -> None:
    table = CallTable()
    assert "VarSet" not in HANDLED_EVENTS
    for m in [msg("VarSet", Variable="X", Value="1", Linkedid="5.1"), msg("Newexten", Linkedid="5.1"),
              AmiMessage([("Response", "Success")]), AmiMessage(malformed="bad"), AmiMessage(banner="A"),
              msg("Newchannel"), msg("Hangup"), msg("AgentCalled", Linkedid=""),
              msg("QueueMemberStatus", Queue="q")]:
        assert normalise(table, m, SERVER) == []
    assert table.calls == {}


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_subsequences_and_dropped_headers_never_raise(data: st.DataObject) -> None:
    pool = [m for m in stream(INBOUND) + stream(ORIGINATE) if m.event in HANDLED_EVENTS]
    picks = data.draw(st.lists(st.sampled_from(pool), max_size=60))
    table = CallTable(dtmf_as_ivr=data.draw(st.booleans()))
    out: list[Event] = []
    for m in picks:
        drop = data.draw(st.sets(st.sampled_from([k for k, _ in m.fields])))
        noise = data.draw(st.sampled_from(["", "x", "-1", "1e309", "\ufffd"]))
        keep = [(k, v) for k, v in m.fields if k == "Event" or k not in drop or noise]
        fields = [(k, noise if k in drop and k != "Event" else v) for k, v in keep]
        out += normalise(table, AmiMessage(fields), SERVER)
    ended = Counter(e.call_id for e in out if isinstance(e, CallEnded))
    assert all(n == 1 for n in ended.values())
