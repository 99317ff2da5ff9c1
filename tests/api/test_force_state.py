"""A supervisor forces an agent's state (``PUT /api/agents/{username}/state``), audited.

For an agent the carrier's events left on a call that is long gone: the agent cannot leave it
(``on a call; the state follows the call``), a supervisor can. The change is written, sent to the
carrier, pushed to the agent's and the supervisors' streams, and audited with the state before.
Agents cannot force anyone; bad input is a 4xx with the error body. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from agent_ui.components.live import LiveComponent
from bus.outbox import MemoryOutbox
from domain.events import AgentStateRequested
from store.models import AgentPresence, AuditEntry
from tests.api.conftest import ApiWorld, assert_error_shape


@pytest.fixture
async def world(api: ApiWorld) -> AsyncIterator[tuple[ApiWorld, list[AgentStateRequested]]]:
    live = LiveComponent()
    await live.start(api.services)
    commands: list[AgentStateRequested] = []

    async def record(ev: AgentStateRequested) -> None:
        commands.append(ev)

    assert api.services.bus is not None
    api.services.bus.subscribe(AgentStateRequested, record, group="test-commands")
    async with api.services.database.session() as session:  # stuck on a call that ended unseen
        session.add(AgentPresence(user_id=api.users["amina"].id, state="on_call", call_id="default/1765.4",
                                  since=datetime(2026, 12, 4, 8, 0, tzinfo=UTC)))
    try:
        yield api, commands
    finally:
        await live.stop(api.services)


async def test_a_supervisor_puts_a_stuck_agent_back_to_ready(world: tuple[ApiWorld, list[AgentStateRequested]]) -> None:
    api, commands = world
    own = await api.client.put("/api/agents/me/state", json={"state": "ready"}, headers=api.as_("amina"))
    assert_error_shape(own, 422, "validation-failed")  # the agent cannot: the state follows the call

    r = await api.client.put("/api/agents/amina/state", json={"state": "ready"}, headers=api.as_("sup"))
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["call_id"], r.json()["username"]) == ("ready", None, "amina")
    me = await api.client.get("/api/agents/me", headers=api.as_("amina"))
    assert me.json()["state"] == "ready"

    async with api.services.database.session() as session:
        [entry] = (await session.scalars(select(AuditEntry).where(AuditEntry.action == "agent_state_forced"))).all()
    assert (entry.actor_id, entry.entity, entry.entity_id) == (api.users["sup"].id, "agent", "amina")
    assert entry.details == {"from": "on_call", "to": "ready", "reason": None, "call_id": "default/1765.4"}

    outbox = api.services.outbox
    assert isinstance(outbox, MemoryOutbox)
    for stream in ("agent:amina", "supervisors"):
        frames = await outbox.read(stream, 0, timeout=0.1)
        assert [(f.type, f.data["state"]) for f in frames][-1:] == [("agent.state", "ready")]
    async with asyncio.timeout(10):
        while not commands:
            await asyncio.sleep(0.01)
    assert [(c.username, c.state, c.device) for c in commands] == [("amina", "ready", api.users["amina"].extension)]


async def test_paused_with_a_code_and_logged_out(world: tuple[ApiWorld, list[AgentStateRequested]]) -> None:
    api, _ = world
    r = await api.client.put("/api/agents/amina/state", json={"state": "paused", "reason": "lunch"},
                             headers=api.as_("admin"))
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["reason"]) == ("paused", "lunch")
    r = await api.client.put("/api/agents/amina/state", json={"state": "logged_out"}, headers=api.as_("sup"))
    assert r.json()["state"] == "logged_out"


@pytest.mark.parametrize(("who", "target", "body", "status", "error_id"), [
    ("brian", "amina", {"state": "ready"}, 403, "permission-denied"),  # agents force nobody
    ("sup", "nobody", {"state": "ready"}, 404, "not-found"),
    ("sup", "amina", {"state": "paused"}, 422, "validation-failed"),  # a pause code is required
    ("sup", "amina", {"state": "paused", "reason": "no-such-code"}, 422, "validation-failed"),
    ("sup", "amina", {"state": "on_call"}, 422, "validation-failed"),
    ("sup", "amina", {"state": "ready", "extra": 1}, 422, "validation-failed"),
])
async def test_refused(world: tuple[ApiWorld, list[AgentStateRequested]], who: str, target: str,
                       body: dict[str, object], status: int, error_id: str) -> None:
    api, _ = world
    r = await api.client.put(f"/api/agents/{target}/state", json=body, headers=api.as_(who))
    assert_error_shape(r, status, error_id)
    me = await api.client.get("/api/agents/me", headers=api.as_("amina"))
    assert me.json()["state"] == "on_call"  # unchanged


async def test_signing_out_takes_an_agent_out_of_the_queues_but_not_off_a_call(
        world: tuple[ApiWorld, list[AgentStateRequested]]) -> None:
    """An agent who signs out while Ready was left Ready: the wallboard showed them and the dialer
    counted them. Now signing out is "Leave queue"; on a call the state still follows the call."""
    api, commands = world
    ready = await api.client.put("/api/agents/me/state", json={"state": "ready"}, headers=api.as_("brian"))
    assert ready.json()["state"] == "ready"
    assert (await api.client.post("/api/auth/logout", headers=api.as_("brian"))).status_code == 200
    agents = {a["username"]: a for a in (await api.client.get("/api/agents", headers=api.as_("sup"))).json()["items"]}
    assert agents["brian"]["state"] == "logged_out"
    async with asyncio.timeout(10):
        while [c.state for c in commands if c.username == "brian"] != ["ready", "logged_out"]:
            await asyncio.sleep(0.01)
    assert (await api.client.post("/api/auth/logout", headers=api.as_("amina"))).status_code == 200
    agents = {a["username"]: a for a in (await api.client.get("/api/agents", headers=api.as_("sup"))).json()["items"]}
    assert (agents["amina"]["state"], agents["amina"]["call_id"]) == ("on_call", "default/1765.4")
