"""The bridge reconciles the shared store with Asterisk: at login, and every ``reconcile_seconds``.

Against the fake AMI server of test_connection.py (whose CoreShowChannels lists the channels we
give it) and a real database (SQLite and PostgreSQL) holding what the cluster believes: a call
the store has open and an agent on it that Asterisk no longer has are ended with
``ended_during_failover``; a call Asterisk still has is announced again with its record's numbers;
the periodic pass finds a call that went stale later, and costs no AMI action while nothing is stale.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bus.lease import MemoryLease
from bus.memory import InProcessBus
from config.settings import AmiSettings
from cti.ami.bridge import AsteriskBridge
from cti.ami.connection import AmiConnection
from cti.ami.reconcile import Reconciler
from domain.events import CallEnded, CallOffered, EndCause
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import AgentPresence, CallRecord, User
from store.seed.demo import load_demo
from tests.cti.test_connection import FakeAmi, Received, _message, eventually

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


@dataclass
class ChannelsAmi(FakeAmi):
    """The fake AMI server, with the channels its CoreShowChannels lists."""

    channels: list[list[tuple[str, str]]] = field(default_factory=list)

    async def _answer(self, writer: asyncio.StreamWriter, item: Received) -> bool:
        if item.action.lower() != "coreshowchannels":
            return await super()._answer(writer, item)
        aid = ("ActionID", item.action_id)
        writer.write(_message(("Response", "Success"), aid, ("EventList", "start"), ("Message", "follows")))
        for fields in self.channels:
            writer.write(_message(("Event", "CoreShowChannel"), aid, *fields))
        writer.write(_message(("Event", "CoreShowChannelsComplete"), aid, ("EventList", "Complete"),
                              ("ListItems", str(len(self.channels)))))
        await writer.drain()
        return True


def channel(uniqueid: str, linkedid: str, name: str, state: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Channel", name), ("Uniqueid", uniqueid), ("Linkedid", linkedid), ("ChannelState", state), *extra]


@dataclass
class World:
    ami: ChannelsAmi
    database: Database
    bridge: AsteriskBridge
    ended: list[CallEnded]
    offered: list[CallOffered]


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    await load_demo(database, 1)
    async with database.session() as session:
        agent1 = await session.scalar(select(User.id).where(User.username == "agent1"))
        session.add_all([
            CallRecord(call_id="pbx1/1.1", direction="inbound", carrier="asterisk", server="pbx1", ivr=[],
                       caller_number="+254712345678", dialed_number="+254800123457", queue="collections",
                       offered_at=T0, answered_at=T0),  # hung up while nobody held the lease
            CallRecord(call_id="pbx1/2.1", direction="inbound", carrier="asterisk", server="pbx1", ivr=[],
                       caller_number="+254722000111", dialed_number="+254800123457", queue="collections",
                       offered_at=T0),  # still waiting in the queue
            AgentPresence(user_id=agent1, state="on_call", since=T0, call_id="pbx1/1.1"),
        ])
    ami = ChannelsAmi(channels=[channel("2.1", "2.1", "PJSIP/trunk-00000002", "6", ("Application", "Queue"),
                                        ("ApplicationData", "collections,r"), ("CallerIDNum", "0722000111"),
                                        ("Exten", "queue"))])
    await ami.start()
    supervisor = TaskSupervisor()
    bus = InProcessBus(supervisor)
    settings = AmiSettings(host="127.0.0.1", port=ami.port, ping_interval=0.5, dead_after=3,
                           reconnect_max_backoff=0.1, lease_seconds=1, lease_renew_seconds=0.2,
                           reconcile_seconds=0.2)
    bridge = AsteriskBridge(ami.server("pbx1"), settings, dial_template="PJSIP/{national}@trunk", bus=bus,
                            lease=MemoryLease(), supervisor=supervisor, worker_id="w1",
                            connection_factory=functools.partial(AmiConnection, min_backoff=0.01),
                            reconciler=Reconciler(database, "pbx1"))
    w = World(ami, database, bridge, [], [])

    async def on_ended(ev: CallEnded) -> None:
        w.ended.append(ev)

    async def on_offered(ev: CallOffered) -> None:
        w.offered.append(ev)

    bus.subscribe(CallEnded, on_ended, group="t-ended")
    bus.subscribe(CallOffered, on_offered, group="t-offered")
    await bus.start()
    bridge.start()
    try:
        yield w
    finally:
        await bus.stop()
        await supervisor.stop()
        await ami.stop()


async def test_login_ends_what_asterisk_lost_and_re_offers_what_it_has(world: World) -> None:
    await eventually(lambda: len(world.ended) >= 1 and len(world.offered) >= 1, 10, "the resync's events")
    [ended] = world.ended
    assert (ended.call_id, ended.cause, ended.server) == ("pbx1/1.1", EndCause.ENDED_DURING_FAILOVER, "pbx1")
    [offered] = world.offered
    assert (offered.call_id, offered.caller_number, offered.dialed_number) == (
        "pbx1/2.1", "+254722000111", "+254800123457")  # the record's, not the channel's "queue"


async def test_the_periodic_pass_ends_a_call_gone_later_and_is_cheap_when_nothing_is(world: World) -> None:
    await eventually(lambda: len(world.ended) == 1, 10, "the login's reconciliation")
    await asyncio.sleep(0.5)  # a few periodic passes: the table accounts for everything
    asked = len(world.ami.actions("CoreShowChannels"))
    await asyncio.sleep(0.6)
    assert len(world.ami.actions("CoreShowChannels")) == asked  # no AMI action when nothing is stale
    async with world.database.session() as session:  # a call the table never saw is open in the store
        session.add(CallRecord(call_id="pbx1/3.1", direction="inbound", carrier="asterisk", server="pbx1",
                               ivr=[], offered_at=T0))
    await eventually(lambda: len(world.ended) == 2, 5, "the periodic reconciliation")
    assert (world.ended[1].call_id, world.ended[1].cause) == ("pbx1/3.1", EndCause.ENDED_DURING_FAILOVER)
    assert len(world.ami.actions("CoreShowChannels")) == asked + 1
    await asyncio.sleep(0.6)  # it was ended once: the record lags (no call log here), the table knows
    assert len(world.ended) == 2 and len(world.ami.actions("CoreShowChannels")) == asked + 1
