"""Issue 15 item 4: the approval rule of dialer.yaml (``approval_required``), one place for every dial
path, as an access matrix over the dial routes (click-to-call POST /api/calls and the preview's
"Dial now" POST /api/dialer/tasks/{id}/dial), on both carriers: own customer, another agent's
customer, a customer granted by a call, one granted by a task, an approved number, an expired
approval. A refusal is 403 ``approval-required`` with a sentence, and sends nothing."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from domain.events import EndCause
from store.models import (
    ApprovalStatus,
    CallAccessGrant,
    Campaign,
    Customer,
    DialApproval,
    DialAttempt,
    FollowUpTask,
    User,
    utcnow,
)
from tests.dialer.conftest import World
from tests.dialer.test_routes import _auth
from tests.dialer.test_routes import client as client  # the fixture

OFF_RECORD = "+254799111222"


@pytest.fixture
async def cast(world: World) -> tuple[User, User]:
    world.carrier.end_cause = EndCause.NO_ANSWER  # every call ends at once: the agent is free again
    amina = await world.agent("amina", "PJSIP/1001")
    brian = await world.agent("brian", "PJSIP/1002")
    return amina, brian


async def _customer(world: World, n: int, **extra: object) -> Customer:
    return await world.customer(f"Customer {n}", f"+2547120000{n:02d}", **extra)  # type: ignore[arg-type]


async def _approval(world: World, agent: User, customer_id: int | None, minutes: int) -> None:
    now = world.clock()
    async with world.database.session() as s:
        s.add(DialApproval(agent_id=agent.id, customer_id=customer_id, number_e164=OFF_RECORD, reason="r",
                           status=ApprovalStatus.APPROVED, requested_at=now - timedelta(minutes=40),
                           decided_at=now - timedelta(minutes=35), expires_at=now + timedelta(minutes=minutes)))


async def _call(world: World, client: httpx.AsyncClient, agent: User, cid: int,
                number: str | None = None) -> httpx.Response:
    sent = len(world.carrier.requests)
    response = await client.post("/api/calls", json={"customer_id": cid, "number": number}, headers=_auth(world, agent))
    await world.settle()
    assert len(world.carrier.requests) == sent + (response.status_code == 202), response.text
    return response


def _refused(response: httpx.Response, rule: str) -> None:
    assert response.status_code == 403, response.text
    body = response.json()
    assert body["error_id"] == "approval-required" and body["details"]["rule"] == rule
    assert body["message"].endswith(".") and "supervisor's approval" in body["message"]


async def test_click_to_call_matrix(world: World, client: httpx.AsyncClient, cast: tuple[User, User]) -> None:
    amina, brian = cast
    own = await _customer(world, 1, assigned_agent_id=amina.id)
    theirs = await _customer(world, 2, assigned_agent_id=brian.id)
    by_call = await _customer(world, 3, assigned_agent_id=brian.id)
    by_task = await _customer(world, 4, assigned_agent_id=brian.id)
    async with world.database.session() as s:
        s.add(CallAccessGrant(agent_id=amina.id, customer_id=by_call.id, call_id="in-1",
                              until=utcnow() + timedelta(hours=1)))
        s.add(FollowUpTask(customer_id=by_task.id, assignee_id=amina.id, due_at=world.clock()))

    assert (await _call(world, client, amina, own.id)).status_code == 202
    hidden = await _call(world, client, amina, theirs.id)
    assert hidden.status_code == 404 and hidden.json()["error_id"] == "not-found"
    assert (await _call(world, client, amina, by_call.id)).status_code == 202
    assert (await _call(world, client, amina, by_task.id)).status_code == 202

    # A number off the record: 403 until a supervisor approves it; an expired approval opens nothing.
    _refused(await _call(world, client, amina, own.id, OFF_RECORD), "number_off_record")
    await _approval(world, amina, own.id, minutes=-1)
    _refused(await _call(world, client, amina, own.id, OFF_RECORD), "number_off_record")
    await _approval(world, brian, own.id, minutes=20)  # another agent's approval is not amina's
    _refused(await _call(world, client, amina, own.id, OFF_RECORD), "number_off_record")
    await _approval(world, amina, own.id, minutes=20)
    assert (await _call(world, client, amina, own.id, OFF_RECORD)).status_code == 202
    assert world.carrier.requests[-1].customer_number == OFF_RECORD
    # ... for the customer it was asked for only.
    _refused(await _call(world, client, amina, by_task.id, OFF_RECORD), "number_off_record")


async def test_a_twilio_campaign_follows_the_same_rule(world: World, client: httpx.AsyncClient,
                                                       cast: tuple[User, User]) -> None:
    """... and its dials go to the carrier of the agent's phone (the dial rings it first): a desk
    phone's through Asterisk, a Twilio client's through Twilio (domain.carrier.carrier_for_device)."""
    amina, _brian = cast
    async with world.database.session() as s:
        sales = Campaign(code="sales", name="Sales", carrier="twilio", queue="sales")
        s.add(sales)
        await s.flush()
        sales_id = sales.id
    customer = await _customer(world, 5, assigned_agent_id=amina.id)
    async with world.database.session() as s:
        row = await s.get(Customer, customer.id)
        assert row is not None
        row.campaign_id = sales_id
    _refused(await _call(world, client, amina, customer.id, OFF_RECORD), "number_off_record")
    assert (await _call(world, client, amina, customer.id)).status_code == 202
    desk = world.carrier.requests[-1]
    assert (desk.carrier, desk.agent_device, desk.campaign) == ("asterisk", "PJSIP/1001", "sales")
    async with world.database.session() as s:
        attempt = await s.get(DialAttempt, desk.call_id)
        assert attempt is not None and attempt.carrier == "asterisk"
        row = await s.get(User, amina.id)
        assert row is not None
        row.extension = "client:amina"
    await world.settle()
    call_id = await world.dialer.click_to_call("amina", customer.id)
    await world.settle()
    browser = world.carrier.requests[-1]
    assert (browser.call_id, browser.carrier, browser.agent_device) == (call_id, "twilio", "client:amina")


async def test_customer_not_granted_is_refused_inside_the_dialer(world: World, cast: tuple[User, User]) -> None:
    """The routes answer 404 first; the dialer itself refuses too (one place, whatever calls it)."""
    amina, brian = cast
    theirs = await _customer(world, 6, assigned_agent_id=brian.id)
    from domain.errors import ApprovalRequired
    with pytest.raises(ApprovalRequired) as refused:
        await world.dialer.click_to_call("amina", theirs.id)
    assert refused.value.status == 403 and refused.value.details["rule"] == "customer_not_granted"
    assert world.carrier.requests == []
    await _approval(world, amina, theirs.id, minutes=20)  # approved for that customer and number
    with pytest.raises(ApprovalRequired):
        await world.dialer.click_to_call("amina", theirs.id)  # the approval is for another number
    assert await world.dialer.click_to_call("amina", theirs.id, OFF_RECORD)


async def test_dial_now_matrix(world: World, client: httpx.AsyncClient, cast: tuple[User, User]) -> None:
    amina, brian = cast
    await world.set_state(brian, "paused")
    # The dialer's call task reserved for amina is her grant to a customer who is not hers.
    customer = await _customer(world, 7, assigned_agent_id=brian.id)
    await world.dialer.enqueue(customer.id, "overdue_loan")
    await world.dialer.tick()
    [preview] = await world.messages("agent:amina", "dialer.preview")
    task_id = preview.data["task_id"]
    url = f"/api/dialer/tasks/{task_id}/dial"
    refused = await client.post(url, json={"number": OFF_RECORD}, headers=_auth(world, amina))
    _refused(refused, "number_off_record")
    await _approval(world, amina, customer.id, minutes=-5)
    _refused(await client.post(url, json={"number": OFF_RECORD}, headers=_auth(world, amina)), "number_off_record")
    assert world.carrier.requests == []
    await _approval(world, amina, customer.id, minutes=20)
    dialled = await client.post(url, json={"number": OFF_RECORD}, headers=_auth(world, amina))
    assert dialled.status_code == 202, dialled.text
    await world.settle()
    assert [r.customer_number for r in world.carrier.requests] == [OFF_RECORD]
