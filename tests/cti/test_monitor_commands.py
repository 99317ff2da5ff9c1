"""Live monitoring's AMI side (issue 22) against the loopback fake AMI server: the Originate that
rings the supervisor into the ChanSpy context, the Hangup that ends it, and the monitoring legs
left out of the calls (the normaliser and the resync skip a Linkedid ``mon-...``)."""

from __future__ import annotations

from cti.ami.calltable import CallTable
from cti.ami.framing import AmiMessage
from cti.ami.normaliser import normalise
from cti.ami.resync import resync_channels
from domain.events import MonitorLegEnded, MonitorMode, MonitorRequested, MonitorStopRequested
from tests.cti.test_pbx_commands import LINKED, World, world
from tests.monitor.world import eventually

__all__ = ["world"]


def _ask(mode: MonitorMode, request_id: str = "mon-abc", call_id: str = f"pbx1/{LINKED}") -> MonitorRequested:
    return MonitorRequested(request_id=request_id, call_id=call_id, agent_device="PJSIP/2001",
                            supervisor_device="PJSIP/2009", mode=mode, server="pbx1", caller_id='Whisper: "Amina"\n',
                            context="switchboard-monitor", ring_seconds=20)


async def test_monitoring_originates_the_supervisor_into_chanspy_on_the_agents_channel(world: World) -> None:
    w = world
    await w.bus.publish(_ask(MonitorMode.WHISPER))
    await eventually(lambda: len(w.done) == 1)
    [done] = w.done
    assert (done.request_id, done.command, done.ok, done.call_id, done.server) == (
        "mon-abc", "monitor", True, f"pbx1/{LINKED}", "pbx1")
    [originate] = [r for r in w.fake.received if r.action == "Originate"]
    fields = originate.fields
    assert (fields["Channel"], fields["Context"], fields["Exten"], fields["Priority"]) == (
        "PJSIP/2009", "switchboard-monitor", "whisper", "1")
    assert (fields["ChannelId"], fields["Timeout"], fields["Async"]) == ("mon-abc", "20000", "true")
    assert fields["Variable"] == "SPY_CHANNEL=PJSIP/2001-00000002"  # the agent's channel, not the customer's
    assert fields["CallerID"] == '"Whisper: Amina " <monitor>'  # no quote or line break reaches AMI


async def test_a_call_without_the_agents_leg_or_a_refusal_is_reported(world: World) -> None:
    w = world
    await w.bus.publish(_ask(MonitorMode.LISTEN, "mon-gone", "pbx1/9999.9"))
    w.fake.refuse_action = "Originate"
    await w.bus.publish(_ask(MonitorMode.BARGE, "mon-refused"))
    await eventually(lambda: len(w.done) == 2)
    answers = {d.request_id: (d.ok, d.message) for d in w.done}
    assert answers == {"mon-gone": (False, "the agent's leg of this call is gone"),
                       "mon-refused": (False, "Originate refused: No such channel")}
    other = MonitorRequested(request_id="mon-tw", call_id="twilio/CA1", agent_device="client:a",
                             supervisor_device="client:s", mode=MonitorMode.LISTEN, carrier="twilio")
    await w.bus.publish(other)  # Twilio's to answer, not the PBX's
    await w.bus.publish(_ask(MonitorMode.LISTEN, "mon-last"))
    await eventually(lambda: len(w.done) == 3)
    assert w.done[-1].request_id == "mon-last"


async def test_stopping_hangs_up_the_supervisors_leg_found_by_its_uniqueid(world: World) -> None:
    w = world
    w.fake.channels.append(("PJSIP/2009-00000009", "mon-abc", "mon-abc"))
    await w.bus.publish(MonitorStopRequested(request_id="mon-abc", call_id=f"pbx1/{LINKED}",
                                             supervisor_device="PJSIP/2009", server="pbx1"))
    await w.bus.publish(MonitorStopRequested(request_id="mon-old", call_id=f"pbx1/{LINKED}",
                                             supervisor_device="PJSIP/2009", server="pbx1"))
    await eventually(lambda: len(w.done) == 2)
    answers = {d.request_id: (d.command, d.ok) for d in w.done}
    assert answers == {"mon-abc": ("monitor_stop", True), "mon-old": ("monitor_stop", True)}
    assert next(d for d in w.done if d.request_id == "mon-old").message == "the supervisor's leg had already ended"
    [hangup] = [r for r in w.fake.received if r.action == "Hangup"]
    assert hangup.fields["Channel"] == "PJSIP/2009-00000009"


def test_a_monitoring_leg_is_not_a_call() -> None:
    table = CallTable()
    leg = ("Uniqueid: mon-abc\r\nLinkedid: mon-abc\r\nChannel: PJSIP/2009-00000009\r\nCallerIDNum: 2009\r\n"
           "Exten: whisper\r\nTimestamp: 1765000000.1")
    for event in ("Newchannel", "Newstate", "DialEnd", "OriginateResponse"):
        assert normalise(table, AmiMessage.from_text(f"Event: {event}\r\n{leg}\r\nResponse: Success"), "pbx1") == []
    [ended] = normalise(table, AmiMessage.from_text(f"Event: Hangup\r\n{leg}\r\nCause: 16"), "pbx1")
    assert ended == MonitorLegEnded(request_id="mon-abc", server="pbx1", at=ended.at)  # the supervisor hung up
    assert table.calls == {}
    items = [AmiMessage.from_text(f"Event: CoreShowChannel\r\n{leg}")]
    assert resync_channels(table, items, "pbx1") == [] and table.calls == {}
    call = AmiMessage.from_text("Event: Newchannel\r\nUniqueid: 1765.1\r\nLinkedid: 1765.1\r\nChannel: PJSIP/trunk-1\r\n"
                                "CallerIDNum: 0712345678\r\nExten: 0800123457\r\nTimestamp: 1765000000.1")
    assert [type(e).__name__ for e in normalise(table, call, "pbx1")] == ["CallOffered"]  # a real call still is
