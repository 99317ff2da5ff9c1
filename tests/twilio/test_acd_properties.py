"""Random operation sequences keep the ACD consistent (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from cti.twilio.acd import Activity, DialStatus, Phase, TwilioAcd
from domain.events import AgentState

AGENTS = [f"client:a{i}" for i in range(3)]
QUEUES = ["q1", "q2"]
CALLS = [f"twilio/CA{i}" for i in range(4)]

ops = st.one_of(
    st.tuples(st.just("add"), st.sampled_from(QUEUES), st.sampled_from(AGENTS)),
    st.tuples(st.just("remove"), st.sampled_from(QUEUES), st.sampled_from(AGENTS)),
    st.tuples(st.just("pause"), st.sampled_from(AGENTS)),
    st.tuples(st.just("ready"), st.sampled_from(AGENTS)),
    st.tuples(st.just("incoming"), st.sampled_from(CALLS), st.sampled_from(QUEUES)),
    # the device is the one the call is offered to, or (stale callback) a random one
    st.tuples(st.just("dial"), st.sampled_from(CALLS), st.sampled_from([None, *AGENTS]),
              st.sampled_from(list(DialStatus))),
    st.tuples(st.just("answer"), st.sampled_from(CALLS), st.sampled_from([None, *AGENTS])),
    st.tuples(st.just("end"), st.sampled_from(CALLS)),
    st.tuples(st.just("tick"),),
    st.tuples(st.just("connect_failed"), st.sampled_from(CALLS), st.booleans()),
)


def _check(acd: TwilioAcd) -> None:
    waiting = {cid for q in QUEUES for cid in acd.waiting(q)}
    for cid in CALLS:
        call = acd.call(cid)
        if call is None:
            assert cid not in waiting
            continue
        assert (call.phase is Phase.WAITING) == (cid in waiting)
        if call.phase is Phase.WAITING:
            assert acd.position(cid) == acd.waiting(call.queue).index(cid) + 1
        if call.phase in (Phase.OFFERING, Phase.CONNECTED):
            assert call.agent is not None
            agent = acd.agent(call.agent)
            assert agent is not None and agent.call_id == cid
    for agent in acd.agents():
        if agent.activity in (Activity.RINGING, Activity.ON_CALL):
            assert agent.call_id is not None
            call = acd.call(agent.call_id)
            assert call is not None and call.agent == agent.device
        busy = [c for c in CALLS if (c_ := acd.call(c)) and c_.agent == agent.device
                and c_.phase in (Phase.OFFERING, Phase.CONNECTED)]
        assert len(busy) <= 1
        if agent.state is AgentState.READY:  # a ready agent never sits idle beside an eligible caller
            for q in agent.queues:
                for cid in acd.waiting(q):
                    call = acd.call(cid)
                    assert call is not None and agent.device in call.tried


def _device(acd: TwilioAcd, call_id: str, chosen: object) -> str:
    call = acd.call(call_id)
    if chosen is None and call is not None and call.agent:
        return call.agent
    return str(chosen or AGENTS[0])


@settings(max_examples=1500, deadline=None)
@given(st.lists(ops, max_size=60), st.integers(min_value=0, max_value=30))
def test_random_operations_keep_the_acd_consistent(steps: list[tuple[object, ...]], wrapup: int) -> None:
    acd = TwilioAcd(wrapup_seconds=wrapup)
    t0 = datetime(2024, 6, 11, tzinfo=UTC)
    for i, op in enumerate(steps):
        now = t0 + timedelta(seconds=5 * i)
        kind = op[0]
        if kind == "add":
            acd.queue_add(str(op[1]), str(op[2]), str(op[2])[7:], now)
        elif kind == "remove":
            acd.queue_remove(str(op[1]), str(op[2]), now)
        elif kind == "pause":
            acd.pause(str(op[1]), "break", now)
        elif kind == "ready":
            acd.on_agent_ready(str(op[1]), now)
        elif kind == "incoming":
            acd.on_incoming(str(op[1]), str(op[1])[7:], str(op[2]), "+254712000000", "+254709000000", now)
        elif kind == "dial":
            status = op[3]
            assert isinstance(status, DialStatus)
            acd.on_dial_result(str(op[1]), _device(acd, str(op[1]), op[2]), status, now)
        elif kind == "answer":
            acd.on_answered(str(op[1]), _device(acd, str(op[1]), op[2]), now)
        elif kind == "end":
            acd.on_call_ended(str(op[1]), now)
        elif kind == "tick":
            acd.expire_wrap_ups(now)
        else:
            acd.connect_failed(str(op[1]), now, call_gone=bool(op[2]))
        _check(acd)
