"""The pop's lookup: matches, their grants and the call record's link, the same on both backends
(one statement on PostgreSQL, three on SQLite)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from store.db import Database
from store.models import CallAccessGrant, CallRecord, Contact, Customer, CustomerPhone, Relation, Role, User
from store.repositories.caller_lookup import StoreCallerLookup

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def _people(database: Database) -> tuple[int, int, int]:
    """An agent, Amina (0712345678) and Baraka, whose guarantor has Amina's number."""
    async with database.session() as s:
        agent = User(username="agent1", display_name="A", role=Role.AGENT, password_hash="x", extension="PJSIP/1")
        amina = Customer(name="Amina Wanjiru", name_lower="amina wanjiru", timezone="Africa/Nairobi")
        amina.phones.append(CustomerPhone(e164="+254712345678"))
        baraka = Customer(name="Baraka Otieno", name_lower="baraka otieno", timezone="Africa/Nairobi")
        baraka.contacts.append(Contact(relation=Relation.GUARANTOR, name="Amina", phone_e164="+254712345678"))
        s.add_all([agent, amina, baraka])
        await s.flush()
        return agent.id, amina.id, baraka.id


async def _grants(database: Database) -> list[tuple[int, int, str]]:
    async with database.session() as s:
        rows = await s.execute(select(CallAccessGrant.agent_id, CallAccessGrant.customer_id, CallAccessGrant.call_id)
                               .order_by(CallAccessGrant.customer_id))
        return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_a_ring_grants_every_match_once_and_links_the_first(database: Database) -> None:
    agent, amina, baraka = await _people(database)
    lookup = StoreCallerLookup(database, region="KE", default_timezone="Africa/Nairobi")
    until = T0 + timedelta(minutes=30)
    for _ in range(2):  # a replayed ring changes nothing
        found = await lookup.matches_for_call("+254712345678", agent_id=agent, call_id="tw/CA1", rang_at=T0,
                                              until=until, carrier="twilio", server="twilio")
        assert [(m.customer_id, m.relation) for m in found] == [(amina, "customer"), (baraka, "guarantor")]
    assert await _grants(database) == [(agent, amina, "tw/CA1"), (agent, baraka, "tw/CA1")]
    async with database.session() as s:
        record = (await s.execute(select(CallRecord).where(CallRecord.call_id == "tw/CA1"))).scalar_one()
    assert (record.customer_id, record.carrier, record.server, record.direction) == (
        amina, "twilio", "twilio", "inbound")
    assert record.offered_at == T0 and record.ivr == [] and record.abandoned is False


async def test_an_unknown_number_grants_and_links_nothing(database: Database) -> None:
    agent, _, _ = await _people(database)
    lookup = StoreCallerLookup(database, region="KE", default_timezone="Africa/Nairobi")
    assert await lookup.matches_for_call("+254799000000", agent_id=agent, call_id="ast/9", rang_at=T0,
                                         until=T0 + timedelta(minutes=30)) == []
    assert await _grants(database) == []
    async with database.session() as s:
        assert (await s.execute(select(CallRecord))).first() is None


async def test_a_customer_once_linked_is_kept_and_our_dial_is_outbound(database: Database) -> None:
    agent, amina, baraka = await _people(database)
    async with database.session() as s:
        s.add(CallRecord(call_id="sb-1", direction="outbound", carrier="asterisk", offered_at=T0, ivr=[],
                         customer_id=baraka, attempt_id="sb-1"))
    lookup = StoreCallerLookup(database, region="KE", default_timezone="Africa/Nairobi")
    await lookup.matches_for_call("+254712345678", agent_id=agent, call_id="sb-1", rang_at=T0,
                                  until=T0 + timedelta(minutes=30))
    await lookup.matches_for_call("+254712345678", agent_id=agent, call_id="sb-2", rang_at=T0,
                                  until=T0 + timedelta(minutes=30))
    async with database.session() as s:
        rows = {r.call_id: r for r in (await s.scalars(select(CallRecord))).all()}
    assert rows["sb-1"].customer_id == baraka  # the dial's customer stays
    assert (rows["sb-2"].customer_id, rows["sb-2"].direction, rows["sb-2"].attempt_id) == (amina, "outbound", "sb-2")
