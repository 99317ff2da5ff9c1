"""Why the queue is empty: the agent's GET /api/dialer/my-queue gives the same reason as the
supervisor's "why am I not dialling?" (GET /api/dialer/status, each campaign's ``why``): no campaign,
the dialer stopped, the calling hours closed, nothing due, or every due call held by a rule (which
rule, its sentence and the next allowed time). The clock is fixed (tests/dialer/conftest.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import delete

from store.models import CampaignAgent, Customer, User
from tests.dialer.conftest import World
from tests.dialer.test_routes import _auth, client

__all__ = ["client"]

SUNDAY_10_NAIROBI = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)


async def _mine(c: httpx.AsyncClient, world: World, user: User) -> dict[str, Any]:
    res = await c.get("/api/dialer/my-queue", headers=_auth(world, user))
    assert res.status_code == 200, res.text
    return dict(res.json())


async def _campaign_why(c: httpx.AsyncClient, world: World, user: User) -> dict[str, Any]:
    res = await c.get("/api/dialer/status", headers=_auth(world, user))
    assert res.status_code == 200, res.text
    [status] = [s for s in res.json()["campaigns"] if s["campaign"] == "collections"]
    return dict(status["why"])


async def test_no_campaign_and_a_stopped_dialer_are_named(world: World, client: httpx.AsyncClient) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    assert (await _mine(client, world, amina))["reason"] == "stopped"  # this process's dialer is not started
    world.dialer.running = True
    async with world.database.session() as s:
        await s.execute(delete(CampaignAgent).where(CampaignAgent.user_id == amina.id))
    mine = await _mine(client, world, amina)
    assert mine["reason"] == "no_campaign" and "You are in no campaign" in mine["sentence"]
    assert (await client.get("/api/dialer/my-queue")).status_code == 401


async def test_nothing_due_then_a_callback_later(world: World, client: httpx.AsyncClient) -> None:
    world.dialer.running = True
    amina = await world.agent("amina", "PJSIP/1001")
    mine = await _mine(client, world, amina)
    assert mine == {"reason": "nothing_due", "sentence": "No call is due now. Nothing else is scheduled.",
                    "next_at": None, "due_now": 0, "dialable_now": 0, "blocked": []}
    customer = await world.customer()
    await world.dialer.enqueue(customer.id, "late", at=world.clock() + timedelta(hours=2))
    mine = await _mine(client, world, amina)
    assert mine["reason"] == "nothing_due" and mine["next_at"] == "2026-03-04T09:00:00+00:00"
    assert mine["sentence"] == "No call is due now. Next: Wed 04 Mar 12:00 (Africa/Nairobi)."
    assert await _campaign_why(client, world, amina) == mine


async def test_every_due_call_held_names_the_rules_and_the_next_time(world: World,
                                                                      client: httpx.AsyncClient) -> None:
    world.dialer.running = True
    amina = await world.agent("amina", "PJSIP/1001")
    dnc = await world.customer(do_not_call=True, do_not_call_at=datetime(2026, 1, 1, tzinfo=UTC))
    abroad = await world.customer(name="Far Away", phone="+254712999999")
    async with world.database.session() as s:
        row = await s.get(Customer, abroad.id)
        assert row is not None
        row.timezone = "America/New_York"  # 02:00 there: outside the customer's calling hours
    await world.dialer.enqueue(dnc.id, "overdue_loan")
    await world.dialer.enqueue(abroad.id, "late")
    mine = await _mine(client, world, amina)
    assert mine["reason"] == "all_blocked" and mine["due_now"] == 2 and mine["dialable_now"] == 0
    by_rule = {b["rule"]: b for b in mine["blocked"]}
    assert by_rule["do_not_call"] == {"rule": "do_not_call", "count": 1, "next_allowed_at": None,
                                      "sentence": "the customer is on the do-not-call list"}
    assert by_rule["calling_window"]["next_allowed_at"] == "2026-03-04T13:00:00+00:00"  # 08:00 New York
    assert "1 because the customer is on the do-not-call list (until the customer's record changes)" in mine["sentence"]
    assert "1 because outside the customer's calling hours (next Wed 04 Mar 16:00 (Africa/Nairobi))" in mine["sentence"]
    assert mine["next_at"] == "2026-03-04T13:00:00+00:00"
    assert await _campaign_why(client, world, amina) == mine


async def test_a_callable_task_asks_the_agent_to_go_ready(world: World, client: httpx.AsyncClient) -> None:
    world.dialer.running = True
    amina = await world.agent("amina", "PJSIP/1001", state="paused")
    customer = await world.customer()
    await world.dialer.enqueue(customer.id, "late")
    mine = await _mine(client, world, amina)
    assert mine["reason"] == "go_ready" and mine["sentence"] == "1 call can be made now: go ready and the next one appears here."
    assert (await _campaign_why(client, world, amina))["sentence"] == "No agent in this campaign is ready."


async def test_on_a_sunday_the_calling_hours_are_closed(world: World, client: httpx.AsyncClient) -> None:
    world.dialer.running = True
    world.clock.at = SUNDAY_10_NAIROBI
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer()
    await world.dialer.enqueue(customer.id, "late")
    mine = await _mine(client, world, amina)
    sentence = "No calls on Sundays under the Kenya rules. Next: Mon 09 Mar 08:00 (Africa/Nairobi)."
    assert mine["reason"] == "window_closed" and mine["sentence"] == sentence
    assert mine["next_at"] == "2026-03-09T05:00:00+00:00"
    assert await _campaign_why(client, world, amina) == mine
    world.clock.at = datetime(2026, 3, 9, 18, 30, tzinfo=UTC)  # Monday 21:30 in Nairobi
    mine = await _mine(client, world, amina)
    assert mine["reason"] == "window_closed"
    assert mine["sentence"] == ("Outside the calling hours under the Kenya rules: 08:00-20:00 on Mondays, it is "
                                "21:30. Next: Tue 10 Mar 08:00 (Africa/Nairobi).")
