"""The progressive dialer on the real test PBX (issue 4, first acceptance item).

The app runs for real (uvicorn, its AMI bridge logged in to the loopback Asterisk, the dialer ON
with a 1 s preview and a 4 s ring time); sipp plays the agent's phone (PJSIP/1001 on 5010) and the
customer's phone behind the trunk (5080); the agent is a real HTTP + WebSocket client. A supervisor
puts agent1 alone in the ``collections`` campaign and queues one call task for Amina (0712345678).
Then: ``dialer.preview`` on the socket -> the agent's phone rings (the Originate's first leg) ->
the customer's phone rings -> answered (disposition closes the task) / busy / no answer (the task
is rescheduled by the retry policy of dialer.yaml), with one call_id from task to disposition.
The answered call runs on SQLite and PostgreSQL, busy and no answer on SQLite.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from store.models import AttemptState, TaskStatus
from tests.cti_pbx.conftest import Live
from tests.cti_pbx.support import AMINA_E164, AgentClient, Frame, call_record, member_paused, rang, until, user_id
from tests.dialer_pbx.conftest import PREVIEW_SECONDS
from tests.dialer_pbx.support import (
    Supervisor,
    agent_request,
    attempts_of,
    call_records,
    first_invite_at,
    interactions_of,
    presence,
    task,
    task_when,
)
from tests.pbx.fixtures import Phones
from tests.pbx.harness import SippPhone

pytestmark = pytest.mark.pbx
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
AGENT_DEVICE = "PJSIP/1001"


async def _queue_for_agent1(live: Live) -> int:
    boss = await Supervisor(live.app.base_url).login()
    await boss.campaign_agents("collections", ["agent1"])
    return await boss.enqueue(live.amina_id, "late")


async def _ready_agent(live: Live) -> AgentClient:
    agent = await live.agent("agent1", ready=False)
    await agent.set_state("ready")
    return agent


async def _invited(phone: SippPhone, within: float, what: str) -> datetime:
    async def check() -> datetime | None:
        return first_invite_at(phone.messages())

    at: datetime = await until(check, within, what)
    return at


async def _preview_then_both_phones_ring(live: Live, agent: AgentClient, agent_phone: SippPhone,
                                         customer_phone: SippPhone, task_id: int) -> tuple[Frame, str]:
    """The preview first (no ring yet), then the agent's INVITE, then the customer's; the call_id."""
    preview = await agent.wait("dialer.preview", within=10)
    assert not rang(agent_phone.messages(), 1001), "the agent's phone rang before the preview"
    assert first_invite_at(customer_phone.messages()) is None, "the customer rang before the preview"
    assert preview["data"]["task_id"] == task_id
    agent_at = await _invited(agent_phone, 10, "the agent's phone to ring (the Originate's first leg)")
    customer_at = await _invited(customer_phone, 10, "the customer's phone to ring")
    assert agent_at < customer_at, (agent_at, customer_at)
    assert rang(agent_phone.messages(), 1001)
    assert "INVITE sip:0712345678@" in customer_phone.messages()  # the dial template's {national}
    ringing = await agent.wait_for(lambda f: f["type"] == "call.ringing", 10, "call.ringing")
    call_id: str = ringing["data"]["call_id"]
    assert ringing["data"]["direction"] == "outbound" and ringing["data"]["device"] == AGENT_DEVICE
    assert preview["seq"] < ringing["seq"]
    [attempt] = await attempts_of(live.database, task_id)
    assert call_id == attempt.id and call_id.startswith("sb-"), (call_id, attempt.id)
    return preview, call_id


async def _back_to_ready(live: Live, agent: AgentClient, after: Frame) -> None:
    """Ready on the socket after ``after``, in the store, and unpaused in Asterisk's queue."""
    await agent.wait_for(lambda f: f["type"] == "agent.state" and f["data"].get("state") == "ready"
                         and f["seq"] > after["seq"], 10, "agent.state ready after the call")
    agent_id = await user_id(live.database, "agent1")
    assert await presence(live.database, agent_id) == "ready"
    await member_paused(AGENT_DEVICE, False)


async def test_preview_then_agent_rings_then_customer_answers_one_call_id_to_disposition(
        dialing: Live, phones: Phones) -> None:
    agent_phone = phones.agent(1001)
    customer_phone = phones.customer_uas("uas_answer_hangup", hold_seconds=2, calls=1)
    task_id = await _queue_for_agent1(dialing)
    agent = await _ready_agent(dialing)

    preview, call_id = await _preview_then_both_phones_ring(dialing, agent, agent_phone, customer_phone, task_id)
    data = preview["data"]
    assert data["campaign"] == "collections" and data["mode"] == "auto"
    assert data["preview_seconds"] == PREVIEW_SECONDS
    assert (data["customer"]["id"], data["customer"]["name"]) == (dialing.amina_id, "Amina Wanjiru")
    assert set(data["customer"]["summary"]) >= {"overdue_amount", "days_past_due", "open_promise"}
    assert data["reason"]["code"] == "late" and data["reason"]["label"]
    assert any("Amina" in line for line in data["reason"]["script"]), data["reason"]["script"]
    assert data["attempts"] == 0 and data["selected"] == AMINA_E164
    numbers = {n["number"]: n for n in data["numbers"]}
    assert numbers[AMINA_E164]["relation"] == "customer", data["numbers"]

    answered = await agent.wait("call.answered", call_id)
    ended = await agent.wait("call.ended", call_id, within=15)
    outcome = await agent.wait("dialer.outcome", call_id, within=10)
    assert answered["seq"] < ended["seq"] < outcome["seq"]
    assert ended["data"]["cause"] == "normal"
    assert (outcome["data"]["task_id"], outcome["data"]["outcome"]) == (task_id, "answered")
    customer_phone.check(10)
    waiting = await task_when(dialing.database, task_id, lambda t: t.status == TaskStatus.WAITING_OUTCOME, 10,
                              "the task to wait for the agent's disposition")
    assert waiting.attempts == 1

    promised = date.today() + timedelta(days=3)
    r = await agent_request(agent, "POST", f"/api/customers/{dialing.amina_id}/interactions", {
        "channel": "call", "direction": "outbound", "call_id": call_id,
        "disposition": {"status": "contacted", "reason": "promise_to_pay", "resolution": "payment_scheduled"},
        "promised_amount": "1500.00", "promised_date": promised.isoformat(), "comments": "pays on Friday"})
    assert r.status_code == 201, r.text
    interaction_id = r.json()["id"]

    done = await task_when(dialing.database, task_id, lambda t: t.status == TaskStatus.DONE, 10,
                           "the disposition (promise to pay: close) to close the task")
    assert (done.attempts, done.last_outcome, done.reserved_by_id) == (1, "promise_to_pay", None)
    [attempt] = await attempts_of(dialing.database, task_id)
    assert (attempt.id, attempt.state, attempt.number_e164, attempt.customer_id) == (
        call_id, AttemptState.ANSWERED, AMINA_E164, dialing.amina_id)
    assert attempt.conversation and attempt.ended_at is not None
    assert attempt.details["interaction_id"] == interaction_id
    assert attempt.details["disposition"] == "contacted/promise_to_pay/payment_scheduled"
    record = await call_record(dialing.database, call_id, lambda r: r.cause is not None)
    assert [r.id for r in await call_records(dialing.database, call_id)] == [record.id]
    assert (record.call_id, record.attempt_id, record.direction, record.cause) == (
        call_id, call_id, "outbound", "normal")
    assert record.answered_at is not None and record.ended_at is not None
    [note] = await interactions_of(dialing.database, dialing.amina_id, call_id)
    assert (note.id, note.call_id, note.disposition_reason) == (interaction_id, call_id, "promise_to_pay")
    await _back_to_ready(dialing, agent, ended)
    assert len(agent.of("dialer.preview")) == 1  # the closed task is not offered again


@SQLITE_ONLY
@pytest.mark.parametrize(("scenario", "outcome"), [("uas_busy", "busy"), ("uas_noanswer", "no_answer")])
async def test_busy_or_no_answer_reschedules_by_policy_and_frees_the_agent(
        dialing: Live, phones: Phones, scenario: str, outcome: str) -> None:
    agent_phone = phones.agent(1001)
    customer_phone = phones.customer_uas(scenario, calls=1)
    task_id = await _queue_for_agent1(dialing)
    before = await task(dialing.database, task_id)
    assert (before.status, before.attempts) == (TaskStatus.QUEUED, 0)
    agent = await _ready_agent(dialing)

    _preview, call_id = await _preview_then_both_phones_ring(dialing, agent, agent_phone, customer_phone, task_id)
    ended = await agent.wait("call.ended", call_id, within=15)
    result = await agent.wait("dialer.outcome", call_id, within=10)
    finished = datetime.now(UTC)
    customer_phone.check(10)
    assert ended["data"]["cause"] == outcome
    assert agent.of("call.answered", call_id) == []
    assert (result["data"]["task_id"], result["data"]["outcome"]) == (task_id, outcome)

    spacing = timedelta(minutes=getattr(dialing.app.services.lists.dialer.retry, outcome).spacing_minutes)
    row = await task(dialing.database, task_id)
    assert (row.status, row.attempts, row.last_outcome, row.reserved_by_id) == (
        TaskStatus.QUEUED, 1, outcome, None)
    assert row.next_eligible_at is not None
    ended_at = datetime.fromisoformat(ended["data"]["ended_at"])
    assert ended_at + spacing - timedelta(seconds=5) <= row.next_eligible_at <= finished + spacing
    assert f"retry in {int(spacing.total_seconds() // 60)} min" in result["data"]["next"]
    [attempt] = await attempts_of(dialing.database, task_id)
    assert (attempt.id, attempt.state, attempt.conversation) == (call_id, AttemptState(outcome), False)
    assert attempt.ended_at is not None
    record = await call_record(dialing.database, call_id, lambda r: r.cause is not None)
    seen = (record.attempt_id, record.direction, record.cause, record.cause_code, record.answered_at)
    assert seen[:3] == (call_id, "outbound", outcome) and seen[4] is None, seen
    await _back_to_ready(dialing, agent, ended)
    assert len(agent.of("dialer.preview")) == 1  # not offered again before its retry time
