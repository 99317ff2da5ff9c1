"""The AMI bridge against a real Asterisk that dies, or stops answering, in the middle of the day.

- Asterisk killed (SIGKILL) and started again: the bridge reconnects, the agents' queue
  memberships (lost with Asterisk's memory) are put back, and the next call pops.
- Asterisk frozen (SIGSTOP: the TCP link stays up but nothing comes back, a half-open link) while
  an agent's phone rings: the bridge's dead-link detection sees it within dead_after (4 s here,
  15 s is the requirement), reconnects once Asterisk runs again, resyncs the still-ringing call
  and publishes no second AgentRinging: the agent has exactly one pop for the call.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest

from domain.events import AgentRinging
from tests.cti_pbx.conftest import Live
from tests.cti_pbx.support import AMINA_PHONE, member_paused, until
from tests.pbx.fixtures import Phones
from tests.pbx.harness import DID_DIRECT

pytestmark = [pytest.mark.pbx, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
DETECT_WITHIN = 15.0


def _asterisk_pid() -> int:
    state = Path(os.environ.get("SWITCHBOARD_PBX_STATE", "/run/switchboard-pbx"))
    return int((state / "asterisk.pid").read_text().strip())


async def _link_dropped(live: Live) -> float:
    """Seconds until the bridge's event connection is seen down."""
    started = time.monotonic()

    async def down() -> bool:
        events = live.bridge.events
        return events is None or not events.connected

    await until(down, DETECT_WITHIN, "the bridge to declare the AMI link dead", every=0.05)
    return time.monotonic() - started


async def test_asterisk_killed_and_restarted_then_the_next_call_pops(live: Live, phones: Phones) -> None:
    agent1 = await live.agent("agent1")
    events = live.bridge.events
    assert events is not None
    connects = events.connects
    await asyncio.to_thread(live.pbx.kill)
    await _link_dropped(live)
    await asyncio.to_thread(live.pbx.start)
    await live.wait_bridge_up(30)  # bounds for a loaded CI machine: Asterisk's start and the resync take longer
    assert live.bridge.events is not None and live.bridge.events.connects == connects + 1
    # Asterisk forgot its dynamic queue members; the agent is still ready and is put back
    await member_paused("PJSIP/1001", False, within=45)

    phones.agent(1001)
    caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, hold_seconds=0.5)
    ringing = await agent1.wait("call.ringing", within=15)
    assert [m["name"] for m in ringing["data"]["matches"]] == ["Amina Wanjiru"]
    await agent1.wait("call.ended", ringing["data"]["call_id"])
    await asyncio.to_thread(caller.check, 20)


async def test_half_open_link_is_detected_and_resync_does_not_pop_twice(live: Live, phones: Phones) -> None:
    bus = live.app.services.bus
    assert bus is not None
    rings: list[AgentRinging] = []

    async def count(ev: AgentRinging) -> None:
        rings.append(ev)

    bus.subscribe(AgentRinging, count, group="test-ring-counter")
    phones.agent(1001, scenario="uas_noanswer")
    agent1 = await live.agent("agent1")
    caller = phones.customer_call(AMINA_PHONE, DID_DIRECT, scenario="uac_abandon", hold_seconds=10)
    ringing = await agent1.wait("call.ringing")
    call_id = ringing["data"]["call_id"]

    pid = _asterisk_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        detected = await _link_dropped(live)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert detected <= DETECT_WITHIN
    await live.wait_bridge_up(10)
    events = live.bridge.events
    assert events is not None and events.connects == 2
    # the resync ran while the agent's phone was still ringing for this call ...
    assert any(call.call_id == call_id for call in live.bridge.table.calls.values())
    ended = await agent1.wait("call.ended", call_id, within=20)
    assert ended["data"]["cause"] == "abandoned"
    # ... and neither the bridge nor the pop repeated the ring
    assert [(r.call_id, r.device) for r in rings] == [(call_id, "PJSIP/1001")]
    assert len(agent1.of("call.ringing", call_id)) == 1
    await asyncio.to_thread(caller.check, 20)
