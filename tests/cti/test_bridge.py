"""The Asterisk bridge's command side against the fake AMI server of test_connection.py.

DialRequested on the bus -> one Originate -> DialResult: SENT when Asterisk queued it, FAILED when
it refused, NOT_SENT when the link was down (nothing went out) or the request is stale, UNKNOWN when
the link died with the Originate in flight (never re-sent after the reconnect). A redelivered
DialRequested (same call_id), on the same worker or another one, is not dialled twice. Exactly one
of several workers opens the event connection (the lease); every worker has an action connection.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from bus.lease import MemoryLease
from bus.memory import InProcessBus
from config.settings import AmiSettings
from cti.ami.bridge import AsteriskBridge
from cti.ami.connection import AmiConnection
from domain.events import AgentState, AgentStateRequested, DialOutcome, DialRequested, DialResult, utcnow
from runtime.supervisor import TaskSupervisor
from tests.cti.test_connection import FakeAmi, eventually, fake_ami

__all__ = ["fake_ami"]  # the fixture, re-used from test_connection


@dataclass
class Worker:
    bus: InProcessBus
    bridge: AsteriskBridge
    supervisor: TaskSupervisor
    results: list[DialResult] = field(default_factory=list)


def _bridge(fake: FakeAmi, lease: MemoryLease, worker_id: str) -> Worker:
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    settings = AmiSettings(host="127.0.0.1", port=fake.port, ping_interval=0.5, dead_after=3,
                           reconnect_max_backoff=0.1, lease_seconds=1)
    bridge = AsteriskBridge(fake.server("pbx1"), settings, dial_template="PJSIP/{national}@trunk", bus=bus,
                            lease=lease, supervisor=supervisor, worker_id=worker_id,
                            connection_factory=functools.partial(AmiConnection, min_backoff=0.01))
    worker = Worker(bus, bridge, supervisor)

    async def collect(ev: DialResult) -> None:
        worker.results.append(ev)

    bus.subscribe(DialResult, collect, group="test-results")
    bridge.subscribe(bus)
    return worker


@pytest.fixture
async def cluster(fake_ami: FakeAmi) -> AsyncIterator[list[Worker]]:
    """Two workers (one lease store, like Redis shared by two processes), both logged in."""
    lease = MemoryLease()
    workers = [_bridge(fake_ami, lease, f"w{i}") for i in (1, 2)]
    for worker in workers:
        await worker.bus.start()
        worker.bridge.start()
    try:
        await eventually(lambda: all(w.bridge.actions.connected for w in workers), 5, "action links")
        await eventually(lambda: any(w.bridge.events is not None and w.bridge.events.connected
                                     for w in workers), 5, "the event link")
        yield workers
    finally:
        for worker in workers:
            await worker.bus.stop()
            await worker.supervisor.stop()


def _dial(call_id: str = "sb-call-1", **kw: object) -> DialRequested:
    return DialRequested(call_id=call_id, agent_device="PJSIP/1001", customer_number="+254712345678",
                         server="pbx1", **kw)  # type: ignore[arg-type]


async def _result(worker: Worker, count: int = 1) -> list[DialResult]:
    await eventually(lambda: len(worker.results) >= count, 10, f"{count} DialResult(s)")
    return worker.results


async def test_one_worker_holds_the_event_link_every_worker_has_an_action_link(
        cluster: list[Worker], fake_ami: FakeAmi) -> None:
    logins = fake_ami.actions("Login")
    assert sorted(r.fields["Events"] for r in logins) == ["off", "off", "on"]
    assert sum(w.bridge.events is not None for w in cluster) == 1
    # the holder resynced after its login (the resync runs beside the read loop: wait for it)
    await eventually(lambda: len(fake_ami.actions("QueueStatus")) == 1, 5, "the resync")
    assert len(fake_ami.actions("CoreShowChannels")) == 1 and len(fake_ami.actions("QueueStatus")) == 1


async def test_dial_sent_once_with_the_call_id(cluster: list[Worker], fake_ami: FakeAmi) -> None:
    worker = cluster[1]
    await worker.bus.publish(_dial())
    [result] = await _result(worker)
    assert (result.call_id, result.outcome) == ("sb-call-1", DialOutcome.SENT)
    [originate] = fake_ami.actions("Originate")
    assert originate.action_id == "orig-sb-call-1"
    fields = originate.fields
    assert (fields["Channel"], fields["ChannelId"], fields["Data"]) == (
        "PJSIP/1001", "sb-call-1", "PJSIP/0712345678@trunk,30")


async def test_dial_refused_by_asterisk_is_failed(cluster: list[Worker], fake_ami: FakeAmi) -> None:
    fake_ami.on_originate = "error"
    await cluster[0].bus.publish(_dial())
    [result] = await _result(cluster[0])
    assert result.outcome is DialOutcome.FAILED and "Extension does not exist" in (result.reason or "")


async def test_dial_while_asterisk_is_down_is_not_sent(fake_ami: FakeAmi) -> None:
    await fake_ami.stop()  # nothing listens: the action link never comes up
    worker = _bridge(fake_ami, MemoryLease(), "w1")
    await worker.bus.start()
    worker.bridge.start()
    try:
        await worker.bus.publish(_dial())
        [result] = await _result(worker)
        assert result.outcome is DialOutcome.NOT_SENT
    finally:
        await worker.bus.stop()
        await worker.supervisor.stop()
    assert fake_ami.actions("Originate") == []


async def test_stale_request_is_not_sent(cluster: list[Worker], fake_ami: FakeAmi) -> None:
    await cluster[0].bus.publish(_dial(at=utcnow() - timedelta(seconds=120)))
    [result] = await _result(cluster[0])
    assert result.outcome is DialOutcome.NOT_SENT
    assert fake_ami.actions("Originate") == []


@pytest.mark.parametrize("mode", ["abort", "close", "partial"])
async def test_link_killed_mid_originate_is_unknown_and_never_resent(
        cluster: list[Worker], fake_ami: FakeAmi, mode: str) -> None:
    fake_ami.on_originate = mode
    worker = cluster[0]
    connects = worker.bridge.actions.connects
    await worker.bus.publish(_dial())
    [result] = await _result(worker)
    assert result.outcome is DialOutcome.UNKNOWN
    fake_ami.on_originate = "success"
    await eventually(lambda: worker.bridge.actions.connects > connects and worker.bridge.actions.connected,
                     5, "the action link back")
    await asyncio.sleep(0.5)
    assert [r.action_id for r in fake_ami.actions("Originate")] == ["orig-sb-call-1"]


async def test_redelivered_dial_is_not_dialled_twice_on_any_worker(
        cluster: list[Worker], fake_ami: FakeAmi) -> None:
    request = _dial("sb-call-2")
    await cluster[0].bus.publish(request)
    [first] = await _result(cluster[0])
    await cluster[0].bus.publish(request)  # redelivered to the same worker
    await cluster[1].bus.publish(request)  # ... and to another one
    [_, again] = await _result(cluster[0], 2)
    [elsewhere] = await _result(cluster[1])
    assert first.outcome is DialOutcome.SENT
    assert again.outcome is DialOutcome.UNKNOWN and elsewhere.outcome is DialOutcome.UNKNOWN
    assert "duplicate" in (again.reason or "")
    assert len(fake_ami.actions("Originate")) == 1


async def test_agent_state_requests_become_queue_add_and_pause(cluster: list[Worker], fake_ami: FakeAmi) -> None:
    await cluster[1].bus.publish(AgentStateRequested(username="agent1", device="PJSIP/1001", state="paused",
                                                     reason="lunch", queues=("collections",)))
    await eventually(lambda: bool(fake_ami.actions("QueuePause")), 5, "QueuePause")
    [add] = fake_ami.actions("QueueAdd")
    assert (add.fields["Queue"], add.fields["Interface"], add.fields["Paused"]) == (
        "collections", "PJSIP/1001", "true")  # a paused agent joins paused
    [pause] = fake_ami.actions("QueuePause")
    assert (pause.fields["Paused"], pause.fields["Reason"]) == ("true", "lunch")


async def test_member_command_waits_for_asterisk_to_finish_loading(cluster: list[Worker], fake_ami: FakeAmi) -> None:
    """Just after a restart, Asterisk answers AMI logins before app_queue has loaded: QueueAdd is
    an unknown command for a moment. The agent is put back once it loads, not left out of the queue."""
    fake_ami.loading = 2
    await cluster[0].bus.publish(AgentStateRequested(username="agent1", device="PJSIP/1001", state=AgentState.READY, reason=None,
                                                     queues=("collections",)))
    await eventually(lambda: bool(fake_ami.actions("QueuePause")), 10, "QueuePause")
    assert len(fake_ami.actions("QueueAdd")) == 3  # two unknown-command refusals, then the one that held
    assert fake_ami.actions("QueuePause")[0].fields["Paused"] == "false"


async def test_other_member_refusals_are_not_retried(cluster: list[Worker], fake_ami: FakeAmi,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    fake_ami.on_originate, fake_ami.target = "error", "queueadd"
    await cluster[0].bus.publish(AgentStateRequested(username="agent1", device="PJSIP/1001", state=AgentState.READY, reason=None,
                                                     queues=("collections",)))
    await eventually(lambda: "QueueAdd refused" in caplog.text, 10, "the refusal logged")
    await asyncio.sleep(1.0)  # time for a retry that must not come
    assert len(fake_ami.actions("QueueAdd")) == 1 and not fake_ami.actions("QueuePause")
