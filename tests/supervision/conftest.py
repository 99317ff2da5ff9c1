"""Fixtures of the supervision tests: the API world of tests/api (SQLite and PostgreSQL), with the
supervision component started on it (config from the database, the escalation queue's handlers)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from agent_ui.components.supervision import SupervisionComponent
from bus.base import OutboxMessage
from tests.api.conftest import ApiWorld, api

__all__ = ["api", "at", "sup_world", "supervisor_messages"]


def at(text: str) -> datetime:
    """A UTC time from ``2026-11-30T08:00``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
async def sup_world(api: ApiWorld) -> AsyncIterator[ApiWorld]:
    component = SupervisionComponent()
    await component.start(api.services)
    try:
        yield api
    finally:
        await component.stop(api.services)


async def supervisor_messages(world: ApiWorld, type_: str) -> list[OutboxMessage]:
    assert world.services.outbox is not None
    found = await world.services.outbox.read("supervisors", 0, 0.05)
    return [m for m in found if m.type == type_]


async def get_json(world: ApiWorld, path: str, user: str = "sup", **params: Any) -> Any:
    response = await world.client.get(path, params=params, headers=world.as_(user))
    assert response.status_code == 200, response.text
    return response.json()
