"""Outbound over Twilio through the real app: click-to-call and a progressive dial from the dialer
(its gate, its attempt id) -> DialRequested on the bus -> the Calls API (the local stand-in) ->
signed callbacks joined to the attempt's ``call_id``. A 500 on create is never re-sent; a 429 is.

The dialer runs on the app's services (store, bus, outbox, lists) with a fixed clock inside the
Kenya pack's calling window, so the compliance gate's answer does not depend on the hour the
tests run. ``Dialer.click_to_call`` is what ``POST /api/calls`` calls.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import websockets
from sqlalchemy import select

from dialer.service import Dialer
from domain.events import (
    AgentConnected,
    AgentState,
    AgentStateRequested,
    CallEnded,
    CallEvent,
    DialOutcome,
    DialRequested,
    DialResult,
)
from store.models import AttemptState, CallTask, DialAttempt
from tests.twilio.fake_api import Recorded
from tests.twilio.helpers import ACCOUNT_SID, OUR_NUMBER, PUBLIC_URL, call_sid, voice_form
from tests.twilio_app.conftest import CUSTOMER_NUMBER, TwilioWorld, until
from tests.twilio_app.support import acd_state, dialled, query, ready_in_acd, recv, twiml

CALLS_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


def results(world: TwilioWorld, call_id: str) -> list[DialResult]:
    return [e for e in world.events if isinstance(e, DialResult) and e.call_id == call_id]


async def attempt(world: TwilioWorld, call_id: str) -> DialAttempt:
    async with world.running.services.database.session() as session:
        found = await session.get(DialAttempt, call_id)
        assert found is not None
        return found


def agent_leg(sid: str, status: str, seq: int, **extra: str) -> dict[str, str]:
    return voice_form(sid, status=status, caller=OUR_NUMBER, to="client:amina", direction="outbound-api",
                      SequenceNumber=str(seq), **extra)


def check_create(create: Recorded, call_id: str, timeout: int) -> tuple[str, str]:
    """The Calls API create of an agent-first dial; returns its (Url, StatusCallback)."""
    assert (create.method, create.path, create.user) == ("POST", CALLS_PATH, ACCOUNT_SID)
    assert (create.value("To"), create.value("From"), create.value("Timeout")) == (
        "client:amina", OUR_NUMBER, str(timeout))
    url, status_url = create.value("Url") or "", create.value("StatusCallback") or ""
    assert url.startswith(f"{PUBLIC_URL}/twilio/outbound?") and status_url.startswith(f"{PUBLIC_URL}/twilio/status?")
    assert query(url)["call_id"] == query(status_url)["call_id"] == call_id
    assert query(url)["dialed"] == CUSTOMER_NUMBER
    assert create.values("StatusCallbackEvent") == ["initiated", "ringing", "answered", "completed"]
    return url, status_url


async def test_click_to_call_places_the_agent_leg_then_the_customer_and_joins_one_call_id(
    twilio_app: TwilioWorld, dialer: Dialer
) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('amina')}") as ws:
        await recv(ws, "hello")
        await world.assign(world.customer_id, "amina")  # her own customer (issue 15 item 4)
        call_id = await dialer.click_to_call("amina", world.customer_id)  # what POST /api/calls does
        assert call_id.startswith("sb-")
        await until(lambda: results(world, call_id) != [], "the DialResult")
        assert [(r.outcome, r.carrier) for r in results(world, call_id)] == [(DialOutcome.SENT, "twilio")]
        [create] = world.api.requests
        outbound_url, status_url = check_create(create, call_id, 30)
        assert acd_state(world, "client:amina") is AgentState.RINGING

        leg = call_sid()
        for seq, status in enumerate(("initiated", "ringing")):
            assert (await world.twilio(status_url, agent_leg(leg, status, seq))).status_code == 200
        pop = (await recv(ws, "call.ringing"))["data"]
        assert (pop["call_id"], pop["direction"], pop["carrier"]) == (call_id, "outbound", "twilio")
        assert pop["matches"][0]["customer_id"] == world.customer_id  # matched on the number dialled
        await world.twilio(status_url, agent_leg(leg, "in-progress", 2))

        answer = await world.twilio(outbound_url, agent_leg(leg, "in-progress", 3))
        customer = await dialled(world, answer.text)  # into the call's conference (issue 22)
        action, customer_status = customer.action, customer.status_url
        assert (customer.request.value("To"), customer.request.value("From")) == (CUSTOMER_NUMBER, OUR_NUMBER)
        assert query(action)["call_id"] == query(customer_status)["call_id"] == call_id
        await world.twilio(customer_status, voice_form(customer.leg, status="in-progress", caller=OUR_NUMBER,
                                                       to=CUSTOMER_NUMBER, direction="outbound-api",
                                                       SequenceNumber="1"))
        await recv(ws, "call.answered")
        await asyncio.sleep(1.1)
        hang = await world.twilio(action, agent_leg(leg, "in-progress", 4, DialCallStatus="completed"))
        assert [verb.tag for verb in twiml(hang.text)] == ["Hangup"]
        await world.twilio(status_url, agent_leg(leg, "completed", 5, CallDuration="2"))
        await recv(ws, "call.ended")

    await until(lambda: any(isinstance(e, CallEnded) and e.call_id == call_id for e in world.events)
                and len(results(world, call_id)) == 2, "the end and the answer on the bus")
    calls = [e for e in world.events if isinstance(e, CallEvent | DialResult)]
    assert {e.call_id for e in calls if e.call_id.startswith("sb-")} == {call_id}
    kinds = [type(e).__name__ for e in calls if e.call_id == call_id and not isinstance(e, DialResult)]
    assert kinds == ["CallOffered", "AgentRinging", "AgentConnected", "CallEnded"]
    assert [r.outcome for r in results(world, call_id)] == [DialOutcome.SENT, DialOutcome.ANSWERED]
    assert len(world.api.requests) == 2  # the agent's call, the customer dialled into the conference

    async def settled() -> bool:
        row = await world.record(call_id)
        return (row is not None and row.ended_at is not None
                and (await attempt(world, call_id)).state == AttemptState.ANSWERED)

    await until(settled, "the call record and the attempt settled")
    row = await world.record(call_id)
    assert row is not None and row.answered_at is not None and row.ended_at is not None
    assert (row.direction, row.carrier, row.attempt_id, row.customer_id, row.agent_id) == (
        "outbound", "twilio", call_id, world.customer_id, world.users["amina"].id)
    assert row.talk_seconds is not None and row.talk_seconds >= 1


async def test_a_progressive_dial_goes_through_the_calls_api_and_its_no_answer_reaches_the_dialer(
    twilio_app: TwilioWorld, dialer: Dialer
) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    task_id = await dialer.enqueue(world.customer_id, "late", source="manual")
    report = await dialer.tick()
    assert report.previews == 1  # amina is paused at the carrier during the preview, as on Asterisk
    await until(lambda: acd_state(world, "client:amina") is AgentState.PAUSED, "the preview pause in the ACD")
    assert world.api.requests == []
    assert (await dialer.tick()).dials == 1
    await until(lambda: len(world.api.requests) == 1, "the Calls API create")
    await until(lambda: any(isinstance(e, DialRequested) for e in world.events), "the dial on the bus")
    [request] = [e for e in world.events if isinstance(e, DialRequested)]
    assert (request.carrier, request.campaign, request.agent_device) == ("twilio", "mobile_collections",
                                                                          "client:amina")
    outbound_url, status_url = check_create(world.api.requests[0], request.call_id, 30)
    assert query(outbound_url)["queue"] == "mobile_collections"

    leg = call_sid()
    await world.twilio(status_url, agent_leg(leg, "ringing", 1))
    answer = await world.twilio(outbound_url, agent_leg(leg, "in-progress", 2))
    customer = await dialled(world, answer.text)
    assert customer.request.value("To") == CUSTOMER_NUMBER
    await world.twilio(customer.status_url, voice_form(customer.leg, status="no-answer", caller=OUR_NUMBER,
                                                       to=CUSTOMER_NUMBER, direction="outbound-api"))
    await until(lambda: any(r.path.endswith(f"/Calls/{leg}.json") for r in world.api.requests),
                "the agent alone in the conference hung up")
    await world.twilio(status_url, agent_leg(leg, "completed", 4))

    call_id = request.call_id
    await until(lambda: any(isinstance(e, CallEnded) and e.call_id == call_id for e in world.events), "the end")
    assert [r.outcome for r in results(world, call_id)] == [DialOutcome.SENT, DialOutcome.NO_ANSWER]
    assert not any(isinstance(e, AgentConnected) and e.call_id == call_id for e in world.events)

    async def no_answer() -> bool:
        return (await attempt(world, call_id)).state == AttemptState.NO_ANSWER

    await until(no_answer, "the attempt marked no answer")
    async with world.running.services.database.session() as session:
        task = await session.get(CallTask, task_id)
        assert task is not None and task.attempts == 1 and task.last_outcome == "no_answer"
        assert (await session.scalars(select(DialAttempt.id))).all() == [call_id]
    assert len(world.api.requests) == 3  # the agent's call, the customer's, the agent's hang-up


async def test_a_500_on_create_is_not_re_sent_and_the_callbacks_reconcile_it(
    twilio_app: TwilioWorld, dialer: Dialer
) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    world.api.answer_next(500)
    await world.assign(world.customer_id, "amina")  # her own customer (issue 15 item 4)
    call_id = await dialer.click_to_call("amina", world.customer_id)
    await until(lambda: results(world, call_id) != [], "the DialResult")
    await asyncio.sleep(1.5)  # longer than every retry delay of the client: nothing more is sent
    assert len(world.api.requests) == 1
    [result] = results(world, call_id)
    assert (result.outcome, result.carrier) == (DialOutcome.UNKNOWN, "twilio")
    assert (await attempt(world, call_id)).state == AttemptState.UNKNOWN
    assert acd_state(world, "client:amina") is AgentState.RINGING  # kept until the callbacks tell

    # a redelivered command is not dialled again either
    [request] = [e for e in world.events if isinstance(e, DialRequested)]
    assert world.running.services.bus is not None
    await world.running.services.bus.publish(request)
    await until(lambda: len(results(world, call_id)) == 2, "the duplicate's DialResult")
    assert results(world, call_id)[1].reason == "duplicate request ignored" and len(world.api.requests) == 1

    # Twilio had dialled after all: the agent's leg was not answered
    status_url = world.api.requests[0].value("StatusCallback") or ""
    await world.twilio(status_url, agent_leg(call_sid(), "no-answer", 1))

    async def reconciled() -> bool:
        return (await attempt(world, call_id)).state not in (AttemptState.UNKNOWN, AttemptState.REQUESTED)

    await until(reconciled, "the attempt reconciled from the callback")
    assert any(isinstance(e, CallEnded) and e.call_id == call_id for e in world.events)
    assert acd_state(world, "client:amina") is AgentState.READY
    assert len(world.api.requests) == 1


async def test_a_429_on_create_is_sent_again_later(twilio_app: TwilioWorld, dialer: Dialer) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    world.api.answer_next(429)
    await world.assign(world.customer_id, "amina")  # her own customer (issue 15 item 4)
    call_id = await dialer.click_to_call("amina", world.customer_id)
    await until(lambda: results(world, call_id) != [], "the DialResult")
    assert [r.outcome for r in results(world, call_id)] == [DialOutcome.SENT]
    first, second = world.api.requests
    assert first.form == second.form and first.path == second.path == CALLS_PATH


async def test_commands_twilio_cannot_carry_out_get_one_result_and_change_nothing(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    bus = world.running.services.bus
    assert bus is not None
    await ready_in_acd(world, "amina")
    stale = DialRequested(call_id="sb-stale", agent_device="client:amina", customer_number=CUSTOMER_NUMBER,
                          carrier="twilio", at=datetime.now(UTC) - timedelta(seconds=120))
    desk_phone = DialRequested(call_id="sb-desk", agent_device="PJSIP/1001", customer_number=CUSTOMER_NUMBER,
                               carrier="twilio")
    for request in (stale, desk_phone):
        await bus.publish(request)
    await bus.publish(AgentStateRequested(username="otieno", device="PJSIP/1001", state="ready", reason=None,
                                          queues=("collections",), carrier="twilio"))
    await until(lambda: results(world, "sb-stale") != [] and results(world, "sb-desk") != [], "both results")
    assert [r.outcome for r in results(world, "sb-stale")] == [DialOutcome.NOT_SENT]
    assert [r.outcome for r in results(world, "sb-desk")] == [DialOutcome.FAILED]
    assert "not a Twilio device" in (results(world, "sb-desk")[0].reason or "")
    await asyncio.sleep(0.2)
    assert world.api.requests == [] and acd_state(world, "PJSIP/1001") is None
    assert acd_state(world, "client:amina") is AgentState.READY
