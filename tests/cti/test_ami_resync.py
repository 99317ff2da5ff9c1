"""Resync after reconnect: CoreShowChannels / QueueStatus items restore the table, no duplicate pops."""

from __future__ import annotations

from cti.ami.calltable import CallTable
from cti.ami.framing import AmiMessage
from cti.ami.normaliser import normalise
from cti.ami.resync import resync_channels, resync_queue_status
from domain.events import AgentRinging, AgentState, AgentStateChanged, CallEnded, CallOffered, EndCause

SERVER = "pbx1"


def m(event: str, **fields: str) -> AmiMessage:
    return AmiMessage([("Event", event), *fields.items()])


def channel(uniqueid: str, linkedid: str, name: str, state: str, **extra: str) -> AmiMessage:
    return m("CoreShowChannel", ActionID="sb-9", Channel=name, Uniqueid=uniqueid, Linkedid=linkedid,
             ChannelState=state, **extra)


def popped_call(table: CallTable) -> None:
    for msg in [
        m("Newchannel", Uniqueid="1.1", Linkedid="1.1", CallerIDNum="0712", Exten="0800"),
        m("QueueCallerJoin", Uniqueid="1.1", Linkedid="1.1", Queue="collections", Position="1"),
        m("AgentCalled", Uniqueid="1.1", Linkedid="1.1", Queue="collections", Interface="PJSIP/1003"),
        m("Newchannel", Uniqueid="1.2", Linkedid="1.1", CallerIDNum="1003"),
        m("Newchannel", Uniqueid="2.1", Linkedid="2.1", CallerIDNum="0799", Exten="0800"),
    ]:
        normalise(table, msg, SERVER)


def test_resync_restores_without_duplicate_pops_and_ends_vanished_calls() -> None:
    table = CallTable()
    popped_call(table)
    assert ("pbx1/1.1", "PJSIP/1003") in table.rings
    items = [
        m("CoreShowChannelsComplete", EventList="Complete"),  # not an item: ignored
        channel("1.1", "1.1", "PJSIP/trunk-00000001", "6", Application="Queue",
                ApplicationData="collections,r,,,120", CallerIDNum="0712", Exten="queue"),
        channel("1.2", "1.1", "PJSIP/1003-00000002", "5"),  # still ringing: already popped
        channel("3.1", "3.1", "PJSIP/trunk-00000003", "6", Application="Queue",
                ApplicationData="customer_service", CallerIDNum="0733", Exten="0800123456"),
        channel("3.2", "3.1", "PJSIP/1004-00000004", "5"),  # a ring we never saw: pop it now
    ]
    events = resync_channels(table, items, SERVER)
    ended = [e for e in events if isinstance(e, CallEnded)]
    assert [(e.call_id, e.cause, e.cause_code) for e in ended] == [("pbx1/2.1", EndCause.FAILED, None)]
    offered = [e for e in events if isinstance(e, CallOffered)]
    assert [(e.call_id, e.caller_number, e.dialed_number) for e in offered] == [
        ("pbx1/3.1", "0733", "0800123456")
    ]
    rings = [e for e in events if isinstance(e, AgentRinging)]
    assert [(e.call_id, e.device, e.queue) for e in rings] == [("pbx1/3.1", "PJSIP/1004", "customer_service")]
    assert set(table.calls) == {"1.1", "3.1"}
    assert table.calls["1.1"].legs == {"1.1", "1.2"}
    # a second resync and the live AgentCalled that follows do not pop again
    assert [e for e in resync_channels(table, items, SERVER) if isinstance(e, AgentRinging)] == []
    again = m("AgentCalled", Uniqueid="3.1", Linkedid="3.1", Queue="customer_service", Interface="PJSIP/1004")
    assert normalise(table, again, SERVER) == []
    # the restored call ends normally with one CallEnded once both legs hang up
    out = normalise(table, m("Hangup", Uniqueid="3.2", Linkedid="3.1", Cause="16"), SERVER)
    out += normalise(table, m("Hangup", Uniqueid="3.1", Linkedid="3.1", Cause="17"), SERVER)
    assert [(type(e), getattr(e, "cause", None)) for e in out] == [(CallEnded, EndCause.BUSY)]


def test_resync_queue_status_members_and_entries() -> None:
    table = CallTable()
    normalise(table, m("Newchannel", Uniqueid="5.1", Linkedid="5.1", CallerIDNum="0700"), SERVER)
    items = [
        m("QueueParams", Queue="collections", Calls="1"),
        m("QueueMember", Queue="collections", Name="Agent 1001", Location="PJSIP/1001",
          StateInterface="PJSIP/1001", Status="1", Paused="1", PausedReason="lunch"),
        m("QueueMember", Queue="collections", Name="Agent 1002", Location="PJSIP/1002", Status="2",
          Paused="0"),
        m("QueueEntry", Queue="collections", Position="1", Uniqueid="5.1", CallerIDNum="0700"),
        m("QueueStatusComplete", EventList="Complete"),
    ]
    events = resync_queue_status(table, items, SERVER)
    assert [(e.device, e.state, e.reason, e.queue) for e in events if isinstance(e, AgentStateChanged)] == [
        ("PJSIP/1001", AgentState.PAUSED, "lunch", "collections"),
        ("PJSIP/1002", AgentState.ON_CALL, None, "collections"),
    ]
    assert len(events) == 2
    assert table.calls["5.1"].queue == "collections"
    # forced on resync even when unchanged; live duplicates stay quiet
    assert len(resync_queue_status(table, items, SERVER)) == 2
    live = m("QueueMemberStatus", Queue="collections", Interface="PJSIP/1002", Status="2", Paused="0")
    assert normalise(table, live, SERVER) == []
