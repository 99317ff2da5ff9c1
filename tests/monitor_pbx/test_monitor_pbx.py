"""Live monitoring on the real test PBX (issue 22): who hears whom, with real RTP on every leg.

A sipp customer talks to the sipp agent 1001 through the collections queue (customer 440 Hz, agent
1000 Hz). ``MonitorRequested`` goes through the real AMI handler (``cti.ami.pbx_commands``): an
``Originate`` rings the supervisor's phone 1003 into the ``switchboard-monitor`` context, whose
``ChanSpy`` joins the agent's channel (supervisor 1800 Hz). Then, measured on the RTP each party
receives:

* listen: the supervisor hears both the customer and the agent; neither hears the supervisor;
* whisper: the agent hears the supervisor, the customer does not;
* barge: the customer hears the supervisor too.

Between modes ``MonitorStopRequested`` hangs the supervisor's leg up (AMI ``Hangup`` of the channel
whose Uniqueid is the request id) and the next mode is a new origination.
"""

from __future__ import annotations

import asyncio
import time

from domain.events import MonitorMode, MonitorRequested, MonitorStopRequested
from tests.monitor_pbx.rig import (
    AGENT,
    AGENT_HZ,
    CUSTOMER_HZ,
    SUPERVISOR,
    SUPERVISOR_HZ,
    Rig,
    ToneParty,
    asterisk_port,
    rig,
    uas,
)
from tests.pbx.harness import Pbx

PRESENT, ABSENT = 20.0, 2.0  # mean Goertzel power x 1e4 of a tone there / not there (measured: ~180 / <0.1)


async def _monitor(r: Rig, call_id: str, mode: MonitorMode, n: int) -> tuple[ToneParty, str]:
    """Ring the supervisor's phone into ``mode``; returns their party once audio flows both ways."""
    sup = await r.party(SUPERVISOR_HZ)
    phone = r.keep(uas(SUPERVISOR, sup))
    request_id = f"mon-test-{mode.value}-{n}"
    await r.bus.publish(MonitorRequested(request_id=request_id, call_id=call_id, agent_device=f"PJSIP/{AGENT}",
                                         supervisor_device=f"PJSIP/{SUPERVISOR}", mode=mode,
                                         caller_id=f"{mode.value.title()}: Agent {AGENT}"))
    done = await r.result(request_id, "monitor")
    assert done.ok, done.message
    assert done.command == "monitor" and done.call_id == call_id
    sup.send_to(await asterisk_port(phone, sup.port))
    return sup, request_id


async def _window(seconds: float = 2.0) -> tuple[float, float]:
    await asyncio.sleep(0.8)  # the spy joins, the jitter settles
    t0 = time.time()
    await asyncio.sleep(seconds)
    return t0, time.time()


async def _stop(r: Rig, call_id: str, request_id: str) -> None:
    await r.bus.publish(MonitorStopRequested(request_id=request_id, call_id=call_id,
                                             supervisor_device=f"PJSIP/{SUPERVISOR}"))
    done = await r.result(request_id, "monitor_stop")
    assert done.ok
    phone = r.phones[-1]
    for _ in range(100):  # the supervisor's sipp got its BYE and ended
        if phone.returncode is not None:
            break
        await asyncio.sleep(0.05)
    assert phone.returncode == 0, phone.logs()
    phone.cleanup()
    r.phones.remove(phone)


async def test_listen_whisper_and_barge_reach_the_right_ears(pbx_clean: Pbx) -> None:
    async with rig(pbx_clean) as r:
        customer, agent = await r.party(CUSTOMER_HZ), await r.party(AGENT_HZ)
        call_id = await r.talking_call(customer, agent)

        # listen: the supervisor hears both sides; nobody hears the supervisor
        sup, listen_id = await _monitor(r, call_id, MonitorMode.LISTEN, 1)
        t0, t1 = await _window()
        assert len(sup.since(t0, t1)) >= 50, "no audio reached the supervisor"
        assert sup.heard(CUSTOMER_HZ, t0, t1) >= PRESENT, "the supervisor does not hear the customer"
        assert sup.heard(AGENT_HZ, t0, t1) >= PRESENT, "the supervisor does not hear the agent"
        assert agent.heard(SUPERVISOR_HZ, t0, t1) <= ABSENT, "the agent hears a listening supervisor"
        assert customer.heard(SUPERVISOR_HZ, t0, t1) <= ABSENT, "the customer hears a listening supervisor"
        assert customer.heard(AGENT_HZ, t0, t1) >= PRESENT and agent.heard(CUSTOMER_HZ, t0, t1) >= PRESENT
        await _stop(r, call_id, listen_id)

        # whisper: the agent hears the supervisor, the customer does not
        sup, whisper_id = await _monitor(r, call_id, MonitorMode.WHISPER, 2)
        t0, t1 = await _window()
        assert agent.heard(SUPERVISOR_HZ, t0, t1) >= PRESENT, "the agent does not hear the whisper"
        assert customer.heard(SUPERVISOR_HZ, t0, t1) <= ABSENT, "the customer hears the whisper"
        assert sup.heard(CUSTOMER_HZ, t0, t1) >= PRESENT
        await _stop(r, call_id, whisper_id)

        # barge: all three talk
        sup, _barge_id = await _monitor(r, call_id, MonitorMode.BARGE, 3)
        t0, t1 = await _window()
        assert agent.heard(SUPERVISOR_HZ, t0, t1) >= PRESENT, "the agent does not hear the barging supervisor"
        assert customer.heard(SUPERVISOR_HZ, t0, t1) >= PRESENT, "the customer does not hear the barging supervisor"
        assert sup.heard(CUSTOMER_HZ, t0, t1) >= PRESENT and sup.heard(AGENT_HZ, t0, t1) >= PRESENT


async def test_a_call_without_the_agents_leg_is_refused(pbx_clean: Pbx) -> None:
    async with rig(pbx_clean) as r:
        await r.bus.publish(MonitorRequested(request_id="mon-test-gone", call_id="default/1.1",
                                             agent_device=f"PJSIP/{AGENT}", supervisor_device=f"PJSIP/{SUPERVISOR}",
                                             mode=MonitorMode.LISTEN))
        done = await r.result("mon-test-gone", "monitor")
        assert not done.ok and done.message == "the agent's leg of this call is gone"
