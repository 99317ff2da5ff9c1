"""Seed 001 "Outgoing Call" of a number outside the record: the supervisor's approval over the
outbox streams; approval opens the number for that agent for a while; refusal/time-out block it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.errors import ApprovalRequired, Conflict, PermissionDenied
from domain.events import EndCause
from store.models import AuditEntry, Role
from tests.dialer.conftest import World

NEW_NUMBER = "0799111222"  # not the customer's, not a contact's


async def test_approved_manual_number_can_be_dialled_for_a_while(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.agent("sup", "PJSIP/1900", role=Role.SUPERVISOR, state="ready")
    customer = await world.customer()
    with pytest.raises(ApprovalRequired):
        await world.dialer.click_to_call("amina", customer.id, NEW_NUMBER)

    request = await world.dialer.request_approval("amina", NEW_NUMBER, customer.id, "customer's new number")
    [live] = await world.messages("supervisors", "approval.requested")
    assert live.data["id"] == request["id"] and live.data["agent"] == "amina"
    assert live.data["number"] == "+254799111222" and live.data["customer_name"] == "Wanjiku Kamau"
    assert [a["id"] for a in await world.dialer.list_approvals("pending")] == [request["id"]]

    with pytest.raises(PermissionDenied):
        await world.dialer.decide_approval("amina", request["id"], True)
    decided = await world.dialer.decide_approval("sup", request["id"], True)
    assert decided["status"] == "approved"
    [pushed] = await world.messages("agent:amina", "approval.decided")
    assert pushed.data["approved"] is True and pushed.data["number"] == "+254799111222"
    with pytest.raises(Conflict):
        await world.dialer.decide_approval("sup", request["id"], False)  # decided once

    call_id = await world.dialer.click_to_call("amina", customer.id, NEW_NUMBER)
    await world.settle()
    assert world.carrier.requests[-1].call_id == call_id
    assert world.carrier.requests[-1].customer_number == "+254799111222"
    await world.carrier.end(call_id, EndCause.NORMAL)
    await world.settle()

    world.clock.advance(minutes=31)  # approval_minutes: 30
    with pytest.raises(ApprovalRequired):
        await world.dialer.click_to_call("amina", customer.id, NEW_NUMBER)
    async with world.database.session() as s:
        actions = sorted((await s.scalars(select(AuditEntry.action))).all())
    assert actions == ["approval_approved", "approval_request"]


async def test_refusal_and_time_out_block_the_number(world: World) -> None:
    await world.agent("amina", "PJSIP/1001")
    await world.agent("sup", "PJSIP/1900", role=Role.SUPERVISOR)
    customer = await world.customer()
    refused = await world.dialer.request_approval("amina", NEW_NUMBER, customer.id, "please")
    await world.dialer.decide_approval("sup", refused["id"], False)
    [pushed] = await world.messages("agent:amina", "approval.decided")
    assert pushed.data["approved"] is False and pushed.data["status"] == "refused"
    with pytest.raises(ApprovalRequired):
        await world.dialer.click_to_call("amina", customer.id, NEW_NUMBER)

    waiting = await world.dialer.request_approval("amina", NEW_NUMBER, customer.id, "again")
    world.clock.advance(seconds=301)  # approval_timeout_seconds: 300
    assert await world.dialer.approvals.expire() == 1
    decided = await world.messages("agent:amina", "approval.decided")
    assert decided[-1].data["id"] == waiting["id"] and decided[-1].data["status"] == "expired"
    with pytest.raises(Conflict):
        await world.dialer.decide_approval("sup", waiting["id"], True)
    with pytest.raises(ApprovalRequired):
        await world.dialer.click_to_call("amina", customer.id, NEW_NUMBER)
    async with world.database.session() as s:
        actions = sorted((await s.scalars(select(AuditEntry.action))).all())
    assert actions == ["approval_expired", "approval_refused", "approval_request", "approval_request"]
    assert world.carrier.requests == []
