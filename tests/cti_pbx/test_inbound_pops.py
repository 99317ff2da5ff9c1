"""Inbound calls on the real Asterisk, through the whole app: screen-pop, call record, agent states.

The app runs for real (uvicorn, its AMI bridge logged in to the loopback test PBX, settings from
SWITCHBOARD_AMI__* variables); sipp plays the customer and the agents' phones; agents are real
HTTP + WebSocket clients. The full set runs on SQLite; the first test also runs on PostgreSQL
(the two-worker tests in test_two_workers.py run on PostgreSQL too).
"""

from __future__ import annotations

import asyncio

import pytest

from store.models import CallRecord
from tests.cti_pbx.conftest import Live
from tests.cti_pbx.support import (
    AMINA_E164,
    AMINA_PHONE,
    GUARANTOR_PHONE,
    AgentClient,
    Frame,
    call_record,
    member_paused,
    queue_members,
    rang,
    user_id,
)
from tests.pbx.fixtures import Phones
from tests.pbx.harness import DID_DIRECT

pytestmark = pytest.mark.pbx
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


async def _first_ringing(agents: list[AgentClient], within: float = 15) -> tuple[AgentClient, Frame]:
    async with asyncio.timeout(within):
        while True:
            for agent in agents:
                if frames := agent.of("call.ringing"):
                    return agent, frames[0]
            await asyncio.sleep(0.02)


def _ended(row: CallRecord) -> bool:
    return row.ended_at is not None


async def test_known_caller_pops_exactly_the_ringing_agent_then_answer_end_and_record(
        live: Live, phones: Phones) -> None:
    phone1, phone2 = phones.agent(1001), phones.agent(1002)
    agent1, agent2 = await live.agent("agent1"), await live.agent("agent2")
    caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, hold_seconds=1)

    popped, ringing = await _first_ringing([agent1, agent2])
    other = agent2 if popped is agent1 else agent1
    call_id = ringing["data"]["call_id"]
    data = ringing["data"]
    assert (data["direction"], data["caller_number"], data["queue"]) == ("inbound", AMINA_E164, "collections")
    assert data["dialed_number"].endswith("800123457")  # the DID (a toll-free number: kept as dialled)
    assert data["device"] == f"PJSIP/{popped.extension}"
    assert [(m["customer_id"], m["name"], m["relation"]) for m in data["matches"]] == [
        (live.amina_id, "Amina Wanjiru", "customer")]
    assert set(data["matches"][0]["summary"]) >= {"overdue_amount", "days_past_due", "open_promise",
                                                  "last_interaction"}

    answered = await popped.wait("call.answered", call_id)
    ended = await popped.wait("call.ended", call_id)
    assert ringing["seq"] < answered["seq"] < ended["seq"]
    assert ended["data"]["cause"] == "normal"
    caller.check(20)
    # the pop went to the agent whose phone rang, and that phone alone rang
    by_agent = {agent1.username: phone1, agent2.username: phone2}
    assert rang(by_agent[popped.username].messages(), popped.extension)
    assert not rang(by_agent[other.username].messages(), other.extension)
    await asyncio.sleep(0.3)
    assert [f["type"] for f in other.frames if f["type"].startswith("call.")] == []

    row = await call_record(live.database, call_id, lambda r: r.ended_at is not None and r.cause is not None)
    assert (row.direction, row.caller_number, row.queue, row.cause, row.cause_code) == (
        "inbound", AMINA_E164, "collections", "normal", 16)
    assert row.agent_id == await user_id(live.database, popped.username)
    assert row.device == f"PJSIP/{popped.extension}"
    assert row.answered_at is not None and row.ended_at is not None
    assert row.offered_at <= row.answered_at <= row.ended_at
    assert row.talk_seconds is not None and row.talk_seconds >= 1
    assert row.hold_seconds is not None and row.abandoned is False
    await call_record(live.database, call_id, lambda r: r.customer_id == live.amina_id)


@SQLITE_ONLY
async def test_guarantor_call_pops_the_customer_they_guarantee(live: Live, phones: Phones) -> None:
    phones.agent(1001)
    agent1 = await live.agent("agent1")
    caller = phones.customer_call(GUARANTOR_PHONE, DID_DIRECT, hold_seconds=0.5)
    ringing = await agent1.wait("call.ringing")
    assert ringing["data"]["caller_number"] == "+254722000111"
    assert [(m["customer_id"], m["name"], m["relation"]) for m in ringing["data"]["matches"]] == [
        (live.amina_id, "Amina Wanjiru", "guarantor")]
    await agent1.wait("call.ended", ringing["data"]["call_id"])
    caller.check(20)


@SQLITE_ONLY
async def test_caller_who_gives_up_while_the_agent_rings_is_recorded_as_abandoned(
        live: Live, phones: Phones) -> None:
    phones.agent(1001, scenario="uas_noanswer")
    agent1 = await live.agent("agent1")
    caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, scenario="uac_abandon", hold_seconds=1.5)
    ringing = await agent1.wait("call.ringing")
    call_id = ringing["data"]["call_id"]
    ended = await agent1.wait("call.ended", call_id)
    assert ended["data"]["cause"] == "abandoned"
    assert agent1.of("call.answered", call_id) == []
    caller.check(15)
    row = await call_record(live.database, call_id, lambda r: r.abandoned and r.ended_at is not None)
    assert (row.cause, row.answered_at, row.queue) == ("abandoned", None, "collections")
    # rang but never answered: straight back to ready, no wrap-up
    await agent1.wait_for(lambda f: f["type"] == "agent.state" and f["seq"] > ringing["seq"]
                          and f["data"]["state"] == "ready", 5, "agent.state ready after the ring")
    assert not [f for f in agent1.frames if f["type"] == "agent.state" and f["data"]["state"] == "wrap_up"]
    await member_paused("PJSIP/1001", False)


@SQLITE_ONLY
async def test_pause_and_ready_change_the_asterisk_queue_member(live: Live) -> None:
    agent1 = await live.agent("agent1")  # ready: QueueAdd, unpaused
    member = await member_paused("PJSIP/1001", False)
    assert member["Name"] in ("agent1", "PJSIP/1001")
    view = await agent1.set_state("paused", "lunch")
    assert (view["state"], view["reason"]) == ("paused", "lunch")
    member = await member_paused("PJSIP/1001", True)
    assert member.get("PausedReason") == "lunch"
    await agent1.set_state("ready")
    await member_paused("PJSIP/1001", False)
    await agent1.set_state("logged_out")
    for _ in range(50):
        if "PJSIP/1001" not in await queue_members():
            break
        await asyncio.sleep(0.2)
    assert "PJSIP/1001" not in await queue_members()
