"""Two workers on one database and one Redis: a version saved on one is in force on the other within
2 s, with no restart, carried by the bus (the database check runs only every 15 s)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from agent_ui.components.supervision import CONFIG_CHECK_SECONDS, SupervisionComponent, save_version
from agent_ui.services import Services, build_services
from bus.factory import make_redis
from store.db import Database
from store.models import Role, User
from tests.api.conftest import make_settings
from tests.bus.conftest import REDIS_URL

pytestmark = pytest.mark.redis


@pytest.fixture
async def workers(database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[list[Services]]:
    prefix = f"sbtest:{uuid.uuid4().hex[:10]}:"
    client = make_redis(REDIS_URL)
    try:
        await client.ping()
    except RedisError:
        pytest.skip("Redis is not reachable")
    started: list[tuple[Services, SupervisionComponent]] = []
    try:
        for n in range(2):
            settings = make_settings(database_url, tmp_path / f"w{n}").model_copy(
                update={"redis_url": REDIS_URL, "redis_prefix": prefix, "worker_id": f"w{n}"})
            services = build_services(settings)
            component = SupervisionComponent()
            await component.start(services)
            await services.start()
            started.append((services, component))
        yield [s for s, _ in started]
    finally:
        for services, component in started:
            await component.stop(services)
            await services.close()
        keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_new_version_reaches_the_other_worker_through_the_bus(workers: list[Services]) -> None:
    first, second = workers
    assert CONFIG_CHECK_SECONDS > 10  # so what follows is the bus, not the safety net
    async with first.database.session() as session:
        admin = User(username="admin", display_name="Admin", role=Role.ADMIN, password_hash="x", queues=[])
        session.add(admin)
    assert [p.code for p in second.lists.pause_codes.pause_codes][-1] == "technical"
    document = first.lists.dump_list("pause_codes")
    document["pause_codes"].append({"code": "coaching", "label": "Coaching"})
    started = time.monotonic()
    _snapshot, version = await save_version(first, admin, "pause_codes", document=document, comment="two workers")
    assert version == 2
    while "coaching" not in [p.code for p in second.lists.pause_codes.pause_codes]:
        # the bus, not the 15 s safety net (bounded under it, with room for a loaded CI machine)
        assert time.monotonic() - started < 10.0, "the second worker did not pick up the new version in 10 s"
        await asyncio.sleep(0.02)
