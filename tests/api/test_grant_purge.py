"""Call-scoped grants past their ``until`` are deleted by the live layer's scheduled purge (issue 14 item 7).

Before, ``purge_expired`` had no caller and the grants table only grew. The live component runs it
at start and then every ``grant_purge_seconds``, on the app's services, with a fixed clock here.
SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from agent_ui.components.live import LiveComponent
from store.models import CallAccessGrant, Customer
from tests.api.conftest import ApiWorld

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


async def _grant_ids(api: ApiWorld) -> set[str]:
    async with api.services.database.session() as session:
        return set(await session.scalars(select(CallAccessGrant.call_id)))


async def test_expired_grants_go_away_and_live_ones_stay(api: ApiWorld) -> None:
    amina = api.users["amina"].id
    async with api.services.database.session() as session:
        customer = Customer(name="Wanjiku Kamau", name_lower="wanjiku kamau", timezone="Africa/Nairobi")
        session.add(customer)
        await session.flush()
        for call_id, until in (("ended-yesterday", NOW - timedelta(days=1)), ("ended-a-second-ago",
                               NOW - timedelta(seconds=1)), ("ends-now", NOW), ("ends-in-10-min", NOW +
                               timedelta(minutes=10))):
            session.add(CallAccessGrant(agent_id=amina, customer_id=customer.id, call_id=call_id, until=until))
    assert len(await _grant_ids(api)) == 4

    live = LiveComponent(clock=lambda: NOW, grant_purge_seconds=0.05)
    await live.start(api.services)
    try:
        assert "grant-purge" in api.services.supervisor.names()
        async with asyncio.timeout(5.0):
            while len(await _grant_ids(api)) != 2:
                await asyncio.sleep(0.02)
        assert await _grant_ids(api) == {"ends-now", "ends-in-10-min"}  # a grant is live while until >= now

        async with api.services.database.session() as session:  # a grant that expires later goes on a later run
            session.add(CallAccessGrant(agent_id=amina, customer_id=customer.id, call_id="ended-an-hour-ago",
                                        until=NOW - timedelta(hours=1)))
        async with asyncio.timeout(5.0):
            while "ended-an-hour-ago" in await _grant_ids(api):
                await asyncio.sleep(0.02)
        assert await _grant_ids(api) == {"ends-now", "ends-in-10-min"}
    finally:
        await live.stop(api.services)
    assert "grant-purge" not in api.services.supervisor.names()
