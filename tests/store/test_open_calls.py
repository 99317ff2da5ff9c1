"""The shared state a failover reconciles (store/repositories/open_calls.py), and how the call log takes its end.

On SQLite and PostgreSQL: the open calls of one server (ended, other servers and other carriers
left out; the partial index exists), the agents ringing or on a call with where their call
belongs (by its record, else by its dial attempt), and a reconciliation's ``ended_during_failover``
that closes an open record but never overwrites the end the call log saw.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select

from domain.events import CallEnded, CallOffered, Direction, EndCause
from store.db import Database
from store.models import AgentPresence, CallRecord, Customer, DialAttempt, User
from store.models.calls import AttemptState
from store.repositories.call_log import CallLog
from store.repositories.open_calls import busy_agents, open_calls
from store.seed.demo import load_demo

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def record(call_id: str, *, server: str = "default", carrier: str = "asterisk", ended: bool = False,
           minutes: int = 0) -> CallRecord:
    return CallRecord(call_id=call_id, direction="inbound", carrier=carrier, server=server,
                      caller_number="+254712345678", dialed_number="+254800123457", queue="collections",
                      ivr=[], offered_at=T0 + timedelta(minutes=minutes),
                      answered_at=T0 + timedelta(minutes=minutes, seconds=5),
                      ended_at=T0 + timedelta(minutes=minutes + 1) if ended else None)


async def _users(database: Database) -> dict[str, int]:
    async with database.session() as session:
        return dict((await session.execute(select(User.username, User.id))).tuples().all())


async def test_open_calls_are_one_servers_records_without_an_end(database: Database) -> None:
    async with database.session() as session:
        session.add_all([record("default/3.1", minutes=3), record("default/1.1", minutes=1),
                         record("default/2.1", ended=True), record("pbx2/1.1", server="pbx2"),
                         record("CA1", carrier="twilio")])
    found = await open_calls(database, "default")
    assert [c.call_id for c in found] == ["default/1.1", "default/3.1"]  # oldest first
    first = found[0]
    assert (first.direction, first.caller_number, first.dialed_number, first.queue, first.answered) == (
        "inbound", "+254712345678", "+254800123457", "collections", True)
    assert [c.call_id for c in await open_calls(database, "pbx2")] == ["pbx2/1.1"]
    assert await open_calls(database, "default", limit=1) == found[:1]

    def indexes(connection: object) -> dict[str, list[str]]:
        return {i["name"]: i["column_names"] for i in inspect(connection).get_indexes("call_records")}

    async with database.engine.connect() as connection:
        assert (await connection.run_sync(indexes))["ix_call_records_open"] == ["server"]


async def test_busy_agents_with_where_their_call_belongs(database: Database) -> None:
    await load_demo(database, 1)
    ids = await _users(database)
    async with database.session() as session:
        customer = await session.scalar(select(Customer.id).limit(1))
        assert customer is not None
        session.add_all([
            record("default/5.1"),
            DialAttempt(id="sb-twilio", customer_id=customer, agent_id=ids["agent3"], number_e164="+254712345678",
                        relation="customer", carrier="twilio", kind="manual", state=AttemptState.SENT,
                        requested_at=T0, details={}),
            AgentPresence(user_id=ids["agent1"], state="on_call", since=T0, call_id="default/5.1"),
            AgentPresence(user_id=ids["agent2"], state="ringing", since=T0, call_id="default/6.1"),  # no record yet
            AgentPresence(user_id=ids["agent3"], state="ringing", since=T0, call_id="sb-twilio"),
            AgentPresence(user_id=ids["supervisor"], state="wrap_up", since=T0, call_id="default/5.1"),
        ])
    found = {a.username: (a.state, a.call_id, a.carrier, a.server) for a in await busy_agents(database)}
    assert found == {
        "agent1": ("on_call", "default/5.1", "asterisk", "default"),
        "agent2": ("ringing", "default/6.1", None, None),
        "agent3": ("ringing", "sb-twilio", "twilio", None),
    }


async def test_a_failover_end_closes_an_open_record_but_never_rewrites_a_real_end(database: Database) -> None:
    log = CallLog(database, "KE")
    for call_id in ("default/7.1", "default/8.1"):
        await log.record(CallOffered(call_id=call_id, at=T0, direction=Direction.INBOUND,
                                     caller_number="0712345678", dialed_number="0800123457"))
    await log.record(CallEnded(call_id="default/8.1", at=T0 + timedelta(seconds=30), cause=EndCause.NORMAL,
                               cause_code=16, talk_seconds=20))
    late = T0 + timedelta(minutes=5)
    for call_id in ("default/7.1", "default/8.1"):
        await log.record(CallEnded(call_id=call_id, at=late, cause=EndCause.ENDED_DURING_FAILOVER, cause_code=None))
    async with database.session() as session:
        rows = {r.call_id: r for r in (await session.scalars(select(CallRecord))).all()}
    gap, real = rows["default/7.1"], rows["default/8.1"]
    assert (gap.cause, gap.ended_at is not None) == ("ended_during_failover", True)
    assert (real.cause, real.cause_code, real.talk_seconds) == ("normal", 16, 20)
    assert real.ended_at is not None and real.ended_at.replace(tzinfo=UTC) == T0 + timedelta(seconds=30)
    assert await open_calls(database, "default") == []
