"""Failover reconciliation, the pure part (cti/ami/reconcile.py, cti/ami/resync.py).

A new lease holder's table is empty: the calls the store has open (or has agents on) that Asterisk
no longer lists are ended with ``ended_during_failover``; those it still lists are re-offered with
the fields of their shared record; what the table already accounts for is left to it; and a
resync ends only the table's calls that existed when CoreShowChannels was sent.
"""

from __future__ import annotations

from cti.ami.calltable import CallTable, KnownCall
from cti.ami.framing import AmiMessage
from cti.ami.normaliser import normalise
from cti.ami.reconcile import SharedState, belongs, ended_events, linkedid_of, live_linkedids, stale_calls
from cti.ami.resync import resync_channels
from domain.events import AgentConnected, AgentRinging, CallEnded, CallOffered, Direction, EndCause
from store.repositories.open_calls import BusyAgent, OpenCall

SERVER = "pbx1"


def m(event: str, **fields: str) -> AmiMessage:
    return AmiMessage([("Event", event), *fields.items()])


def channel(uniqueid: str, linkedid: str, name: str, state: str, **extra: str) -> AmiMessage:
    return m("CoreShowChannel", Channel=name, Uniqueid=uniqueid, Linkedid=linkedid, ChannelState=state, **extra)


def call(call_id: str, *, dialed: str = "+254800123457", answered: bool = True) -> OpenCall:
    return OpenCall(call_id, "inbound", "+254712345678", dialed, "collections", answered)


def agent(username: str, call_id: str, state: str = "on_call", *, server: str | None = SERVER,
          carrier: str | None = "asterisk") -> BusyAgent:
    return BusyAgent(username, state, call_id, carrier, server)


def test_call_ids_and_linkedids() -> None:
    assert linkedid_of("pbx1/1765012345.12", SERVER) == "1765012345.12"
    assert linkedid_of("sb-4f0c", SERVER) == "sb-4f0c"
    items = [channel("1.1", "1.1", "PJSIP/trunk-1", "6"), channel("1.2", "1.1", "PJSIP/1001-2", "6"),
             m("CoreShowChannelsComplete")]
    assert live_linkedids(items) == {"1.1"}


def test_which_busy_agents_are_this_servers() -> None:
    assert belongs(agent("a", "pbx1/1.1"), SERVER, carrier="asterisk", default=False)
    assert not belongs(agent("a", "pbx2/1.1", server="pbx2"), SERVER, carrier="asterisk", default=True)
    assert not belongs(agent("a", "CA123", server="default", carrier="twilio"), SERVER, carrier="asterisk",
                       default=True)
    # no record yet: by the id; our own dial belongs to the default server, on its carrier only
    assert belongs(agent("a", "pbx1/7.7", server=None, carrier=None), SERVER, carrier="asterisk", default=False)
    assert belongs(agent("a", "sb-1", server=None), SERVER, carrier="asterisk", default=True)
    assert not belongs(agent("a", "sb-1", server=None), SERVER, carrier="asterisk", default=False)
    assert not belongs(agent("a", "sb-1", server=None, carrier="twilio"), SERVER, carrier="asterisk", default=True)


def test_a_new_holder_ends_what_asterisk_no_longer_has_and_keeps_the_rest() -> None:
    table = CallTable()  # a new holder: empty
    state = SharedState(SERVER, calls=[call("pbx1/1.1"), call("pbx1/2.1"), call("sb-abc")],
                        agents=[agent("agent1", "pbx1/1.1"), agent("agent2", "pbx1/3.1", "ringing")])
    # the candidates: everything, the table knows nothing
    assert [s.call_id for s in stale_calls(state, table)] == ["pbx1/1.1", "pbx1/2.1", "pbx1/3.1", "sb-abc"]
    stale = stale_calls(state, table, live={"2.1", "sb-abc"})
    assert [(s.call_id, s.agents) for s in stale] == [("pbx1/1.1", ("agent1",)), ("pbx1/3.1", ("agent2",))]
    [first, second] = ended_events(stale, SERVER)
    assert (first.call_id, first.cause, first.cause_code, first.server) == (
        "pbx1/1.1", EndCause.ENDED_DURING_FAILOVER, None, SERVER)
    assert second.call_id == "pbx1/3.1"


def test_what_the_table_accounts_for_is_not_stale() -> None:
    table = CallTable()
    normalise(table, m("Newchannel", Uniqueid="4.1", Linkedid="4.1", CallerIDNum="0712345678", Exten="0800"), SERVER)
    table.mark_ended("5.1")  # ended by the table: its CallEnded is on the bus, the record lags
    state = SharedState(SERVER, calls=[call("pbx1/4.1"), call("pbx1/5.1")], agents=[agent("agent1", "pbx1/5.1")])
    assert stale_calls(state, table) == []  # nothing to ask Asterisk: the periodic pass stops here
    assert stale_calls(state, table, live=set()) == []


def test_a_re_offered_call_takes_its_fields_from_the_shared_record() -> None:
    table = CallTable()
    items = [channel("6.1", "6.1", "PJSIP/trunk-6", "6", Application="Queue", ApplicationData="collections,r",
                     CallerIDNum="0712345678", Exten="queue"),  # the channel is in the queue's dialplan now
             channel("6.2", "6.1", "PJSIP/1001-7", "5")]
    records = {"pbx1/6.1": KnownCall(Direction.INBOUND, "+254712345678", "+254800123457", "collections")}
    events = resync_channels(table, items, SERVER, records=records)
    [offered] = [e for e in events if isinstance(e, CallOffered)]
    assert (offered.caller_number, offered.dialed_number) == ("+254712345678", "+254800123457")
    [ring] = [e for e in events if isinstance(e, AgentRinging)]
    assert (ring.dialed_number, ring.queue, ring.device) == ("+254800123457", "collections", "PJSIP/1001")
    # without the record, the channel's position is all there is (what the issue saw)
    bare = [e for e in resync_channels(CallTable(), items, SERVER) if isinstance(e, CallOffered)]
    assert bare[0].dialed_number == "queue"


def test_a_resync_ends_only_the_calls_the_table_had_when_it_asked() -> None:
    table = CallTable()
    normalise(table, m("Newchannel", Uniqueid="8.1", Linkedid="8.1", CallerIDNum="0711", Exten="0800"), SERVER)
    before = set(table.calls)
    # a call that started after the snapshot was taken (its events were applied meanwhile)
    normalise(table, m("Newchannel", Uniqueid="9.1", Linkedid="9.1", CallerIDNum="0722", Exten="0800"), SERVER)
    events = resync_channels(table, [], SERVER, only=before)
    assert [e.call_id for e in events if isinstance(e, CallEnded)] == ["pbx1/8.1"]
    assert "9.1" in table.calls


def test_a_call_answered_in_the_gap_pops_once_and_is_announced_answered() -> None:
    table = CallTable()
    items = [channel("10.1", "10.1", "PJSIP/trunk-10", "6", Application="Queue", ApplicationData="collections",
                     CallerIDNum="0712345678", Exten="0800123457", BridgeId="b-1"),
             channel("10.2", "10.1", "PJSIP/1001-11", "6", Application="AppQueue", BridgeId="b-1")]
    events = resync_channels(table, items, SERVER)
    assert [type(e).__name__ for e in events] == ["CallOffered", "AgentRinging", "AgentConnected"]
    ring, answer = events[1], events[2]
    assert isinstance(ring, AgentRinging) and isinstance(answer, AgentConnected)
    assert (ring.device, answer.device, answer.queue) == ("PJSIP/1001", "PJSIP/1001", "collections")
    assert resync_channels(table, items, SERVER) == []  # a second resync: nothing new
    # its end is seen like any other call's
    out = normalise(table, m("Hangup", Uniqueid="10.2", Linkedid="10.1", Cause="16"), SERVER)
    out += normalise(table, m("Hangup", Uniqueid="10.1", Linkedid="10.1", Cause="16"), SERVER)
    assert [(e.call_id, e.cause) for e in out if isinstance(e, CallEnded)] == [("pbx1/10.1", EndCause.NORMAL)]


def test_an_answer_seen_live_after_a_ring_missed_in_the_gap_pops_first() -> None:
    table = CallTable()  # logged in while the agent's phone rang; the answer is the first event seen
    out = normalise(table, m("AgentConnect", Uniqueid="11.1", Linkedid="11.1", Queue="collections",
                             Interface="PJSIP/1001", MemberName="agent1", HoldTime="3", RingTime="1",
                             CallerIDNum="0712345678", Exten="0800123457"), SERVER)
    assert [type(e).__name__ for e in out] == ["CallOffered", "AgentRinging", "AgentConnected"]
    ring = out[1]
    assert isinstance(ring, AgentRinging) and (ring.device, ring.queue) == ("PJSIP/1001", "collections")
    # a ring this table did see is not announced twice
    table2 = CallTable()
    normalise(table2, m("Newchannel", Uniqueid="12.1", Linkedid="12.1", CallerIDNum="0712", Exten="0800"), SERVER)
    normalise(table2, m("AgentCalled", Uniqueid="12.1", Linkedid="12.1", Queue="collections",
                        Interface="PJSIP/1001"), SERVER)
    again = normalise(table2, m("AgentConnect", Uniqueid="12.1", Linkedid="12.1", Queue="collections",
                                Interface="PJSIP/1001"), SERVER)
    assert [type(e).__name__ for e in again] == ["AgentConnected"]
