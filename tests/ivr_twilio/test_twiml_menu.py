"""Every branch of the default menu over signed TwiML requests, on the real app and store."""

from __future__ import annotations

import asyncio
import xml.etree.ElementTree as ET
from decimal import Decimal

import websockets
from sqlalchemy import select

from store.models import CallTask, FollowUpTask, Interaction, IvrSession, PromiseToPay
from tests.ivr_twilio.conftest import ACCOUNT, ID_LAST4, TwilioCaller, query_of
from tests.twilio.helpers import PUBLIC_URL, voice_form
from tests.twilio_app.conftest import TwilioWorld, until
from tests.twilio_app.support import ready_in_acd, recv, rung


async def session_of(world: TwilioWorld, call_id: str) -> IvrSession:
    async with world.running.services.database.session() as session:
        row = await session.scalar(select(IvrSession).where(IvrSession.call_id == call_id))
    assert row is not None
    return row


async def test_greeting_language_and_the_gather_shape(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    text = await caller.dial()
    assert text.startswith("Welcome to Jua Power. Karibu Jua Power. For English, press 1.")
    gather = caller.gather
    assert gather.attrib["input"] == "dtmf" and gather.attrib["numDigits"] == "1"
    assert gather.attrib["finishOnKey"] == "" and gather.attrib["timeout"] == "6"
    assert [say.attrib.get("language") for say in gather.iter("Say")][-2:] == ["en-GB", "sw-KE"]
    assert query_of(caller.redirect)["timeout"] == "1"  # Twilio falls through to it on no input
    await caller.press("2")
    assert caller.gather.attrib["numDigits"] == "4" and caller.gather.attrib["finishOnKey"] == "#"
    assert "tarakimu nne za mwisho" in " ".join(caller.said)


async def test_balance_and_back_to_the_main_menu(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    await caller.verified()
    text = await caller.press("1")
    assert text.startswith("Your outstanding balance is 40,000 shillings. Your next instalment of 2,500 shillings"
                           " is due on Friday, 18 December.")
    assert "For your balance, press 1" in text
    async with ivr_world.running.services.database.session() as session:
        entry = await session.scalar(select(Interaction).where(Interaction.channel == "ivr"))
    assert entry is not None and entry.subject == "Balance enquiry (IVR)" and entry.call_id == caller.call_id


async def test_promise_happy_path_change_bad_amount_and_bad_date(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    await caller.verified()
    await caller.press("2")
    assert "more than your outstanding balance" in await caller.press("50000")
    assert "more than zero" in await caller.press("0")
    await caller.press("3000")
    assert "already passed" in await caller.press("0112")
    assert "too far away" in await caller.press("1501")
    text = await caller.press("2012")
    assert "You promise to pay 3,000 shillings on Sunday, 20 December." in text
    await caller.press("2")  # change
    await caller.press("2500")
    assert "2,500 shillings on Friday, 18 December" in await caller.press("1812")
    text = await caller.press("1")
    assert "Your promise to pay 2,500 shillings on Friday, 18 December is recorded." in text
    async with ivr_world.running.services.database.session() as session:
        [promise] = (await session.scalars(select(PromiseToPay).where(PromiseToPay.source == "ivr"))).all()
    assert promise.amount == Decimal(2500) and promise.assignee_id == ivr_world.users["amina"].id
    await caller.hang_up()

    async def closed() -> bool:
        return (await session_of(ivr_world, caller.call_id)).outcome == "promise"

    await until(closed, "the session closed with its promise")


async def test_callback_goes_to_the_agents_tasks_and_the_calls_to_make(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    await caller.verified()
    assert "We will call you back on Monday, 7 December at 10 AM." in await caller.press("3")
    async with ivr_world.running.services.database.session() as session:
        follow = await session.scalar(select(FollowUpTask).where(FollowUpTask.kind == "callback"))
        task = await session.scalar(select(CallTask).where(CallTask.source == "ivr"))
    assert follow is not None and follow.assignee_id == ivr_world.users["amina"].id
    assert follow.instructions == "callback requested (IVR)"
    assert task is not None and task.reason == "callback" and task.owner_id == ivr_world.users["amina"].id
    tasks = await ivr_world.http.get(f"{ivr_world.running.base_url}/api/tasks", headers=ivr_world.auth("amina"))
    assert any(t["id"] == follow.id for t in tasks.json()["items"]), tasks.text


async def test_agent_pop_carries_the_ivr_path_and_the_customer(ivr_world: TwilioWorld) -> None:
    world = ivr_world
    await ready_in_acd(world, "amina")
    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('amina')}") as ws:
        await recv(ws, "hello")
        caller = TwilioCaller(world, caller="+254700111222")  # not her number: she identifies herself
        await caller.dial()
        await caller.press("1")
        assert "account number" in " ".join(caller.said)
        await caller.press(ACCOUNT)
        await caller.press(ID_LAST4)
        assert "connect you to an agent" in await caller.press("0")
        answer = await caller.to_agents()
        offer = await rung(world, ET.tostring(answer, encoding="unicode"))
        assert offer.device == "client:amina"  # rung into the call's conference (issue 22)
        for seq, status in enumerate(("initiated", "ringing")):
            await world.twilio(offer.status_url, voice_form(offer.leg, status=status, caller=caller.caller,
                                                            to="client:amina", direction="outbound-api",
                                                            SequenceNumber=str(seq)))
        pop = (await recv(ws, "call.ringing"))["data"]
    ivr = pop["ivr"]
    assert pop["call_id"] == caller.call_id
    assert ivr["verified"] is True and ivr["identified_by"] == "account" and ivr["customer_id"] == world.customer_id
    assert ivr["path"] == ["language:1", "account:100777", "verify:****", "main:0", "agent"]
    assert pop["matches"][0]["customer_id"] == world.customer_id and pop["matches"][0]["name"] == "Wanjiku Kamau"
    record = await world.http.get(f"{world.running.base_url}/api/customers/{world.customer_id}",
                                  headers=world.auth("amina"))
    assert record.status_code == 200  # opened to amina for the call


async def test_three_invalid_three_timeouts(ivr_world: TwilioWorld) -> None:
    invalid = TwilioCaller(ivr_world)
    await invalid.verified()
    assert "not a valid choice" in await invalid.press("7")
    await invalid.press("9")
    assert "connect you to an agent" in await invalid.press("#")
    assert invalid.redirect.endswith("/twilio/voice?queue=collections")
    silent = TwilioCaller(ivr_world)
    await silent.verified()
    assert (await silent.silence()).startswith("Sorry, we did not hear your choice. For your balance")
    await silent.silence()
    assert "connect you to an agent" in await silent.silence()
    row = await session_of(ivr_world, silent.call_id)
    assert row.outcome == "agent" and [p for p in row.path if p[1] == "timeout"] == [["main", "timeout"]] * 3


async def test_hang_up_in_the_amount_leaves_an_abandoned_session_and_no_promise(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    await caller.verified()
    await caller.press("2")
    await caller.hang_up()

    async def abandoned() -> bool:
        row = await session_of(ivr_world, caller.call_id)
        return row.outcome == "hung_up" and row.abandoned and row.end_node == "promise_amount"

    await until(abandoned, "the session marked abandoned at promise_amount")
    async with ivr_world.running.services.database.session() as session:
        assert (await session.scalars(select(PromiseToPay).where(PromiseToPay.source == "ivr"))).all() == []


async def test_failed_verification_and_unknown_account(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    await caller.dial()
    await caller.press("1")
    for _ in range(3):
        text = await caller.press("9999")
    assert "do not match our records" in text and caller.redirect.endswith("/twilio/voice?queue=collections")
    row = await session_of(ivr_world, caller.call_id)
    assert row.verified is False and row.pop is not None and row.pop["note"] == "verification failed"
    stranger = TwilioCaller(ivr_world, caller="+254700999888")
    await stranger.dial()
    await stranger.press("1")
    for _ in range(3):
        text = await stranger.press("123456")
    assert "could not find that account number" in text
    row = await session_of(ivr_world, stranger.call_id)
    assert row.customer_id is None and row.pop is not None and row.pop["note"] == "caller not identified"


async def test_requests_are_signature_checked_and_bound_to_their_call(ivr_world: TwilioWorld) -> None:
    caller = TwilioCaller(ivr_world)
    await caller.dial()
    action = caller.gather.attrib["action"]
    forged = await ivr_world.twilio(action, voice_form(caller.sid, Digits="1"), signature="bm90IGEgc2lnbmF0dXJl")
    assert forged.status_code == 403 and forged.json()["error_id"] == "signature-invalid"
    unsigned = await ivr_world.http.post(ivr_world.running.base_url + action[len(PUBLIC_URL):],
                                         data=voice_form(caller.sid, Digits="1"))
    assert unsigned.status_code == 403
    other = TwilioCaller(ivr_world)
    stolen = await ivr_world.twilio(action, voice_form(other.sid, Digits="1"))
    assert stolen.status_code == 400 and stolen.json()["error_id"] == "protocol-violation"
    bad = await ivr_world.twilio(action, voice_form(caller.sid, Digits="1;DROP"))
    assert bad.status_code == 400
    # the same action twice: the second is stale and replays the current prompt, feeding nothing
    first = await caller.press("1")
    assert "last four digits" in first
    replay = await ivr_world.twilio(action, voice_form(caller.sid, Digits="1"))
    assert "last four digits" in replay.text
    assert (await session_of(ivr_world, caller.call_id)).state["path"].count(["language", "1"]) == 1


async def test_a_slow_request_does_not_block_another_call(ivr_world: TwilioWorld) -> None:
    """Two callers interleaved: each keeps its own state on its row."""
    a, b = TwilioCaller(ivr_world), TwilioCaller(ivr_world, caller="+254700555666")
    await asyncio.gather(a.dial(), b.dial())
    await asyncio.gather(a.press("1"), b.press("2"))
    assert "last four digits" in " ".join(a.said) and "nambari yako ya akaunti" in " ".join(b.said)
