"""Failover and ambiguity: a definite failure goes to the next provider at once; a provider that
keeps failing is switched off by its circuit breaker and tried again later; a timeout after the
request went out is ``unknown``, never re-sent, and settled by a report or a lookup."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from tests.messaging.conftest import World


async def _send(world: World, customer_id: int, text: str) -> int:
    response = await world.api("POST", f"/api/customers/{customer_id}/messages", json={"channel": "sms", "body": text})
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


async def test_connection_refused_goes_to_infobip_at_once(world: World) -> None:
    customer = await world.customer()
    await world.at.stop()  # Africa's Talking is down: its port refuses connections
    message = await world.settled(await _send(world, customer["id"], "first after the outage"))
    assert message.status == "sent" and message.provider == "infobip"
    assert "africastalking could not be reached" in (message.reason or "")
    assert world.ib.texts_to("+254712345678") == ["first after the outage"]
    assert message.provider_message_id in world.ib.taken  # our own messageId, so it can be looked up


@pytest.mark.parametrize("mode", ["http_500", "reject"])
async def test_a_5xx_or_a_refusal_goes_to_the_next_provider(world: World, mode: str) -> None:
    customer = await world.customer()
    world.at.mode = mode  # type: ignore[assignment]
    message = await world.settled(await _send(world, customer["id"], f"after {mode}"))
    assert message.status == "sent" and message.provider == "infobip"
    assert world.at.taken == {} and len(world.ib.taken) == 1


async def test_an_invalid_number_fails_without_failover(world: World) -> None:
    customer = await world.customer()
    world.at.mode = "invalid_number"
    message = await world.settled(await _send(world, customer["id"], "to a bad number"))
    assert message.status == "failed" and "InvalidPhoneNumber" in (message.reason or "")
    assert world.ib.requests == 0


async def test_every_provider_refusing_requeues_then_fails(world: World) -> None:
    customer = await world.customer()
    world.at.mode = world.ib.mode = "http_500"
    world.messaging.sender.settings = world.messaging.sender.settings.model_copy(update={"max_attempts": 2})
    message_id = await _send(world, customer["id"], "nobody takes it")
    first = await world.settled(message_id, until=lambda m: m.attempts == 1 and m.status == "queued")
    assert "not sent yet" in (first.reason or "")
    final = await world.settled(message_id, timeout=15)
    assert final.status == "failed" and final.attempts == 2 and "every provider refused it" in (final.reason or "")
    assert world.at.taken == {} and world.ib.taken == {}


async def test_the_breaker_opens_after_repeated_failures_and_is_shown(world: World) -> None:
    customer = await world.customer()
    world.at.mode = "http_500"
    for n in range(3):  # breaker_threshold = 3
        assert (await world.settled(await _send(world, customer["id"], f"m{n}"))).provider == "infobip"
    tried = world.at.requests
    assert tried == 3
    status = (await world.api("GET", "/api/messaging/status", "sup")).json()
    at_state = next(p for p in status["sms"]["providers"] if p["provider"] == "africastalking")
    assert at_state["state"] == "open" and at_state["retry_at"]
    message = await world.settled(await _send(world, customer["id"], "while open"))
    assert message.provider == "infobip" and world.at.requests == tried  # not even tried
    assert "switched off" in (message.reason or "")


async def test_a_timeout_after_sending_is_unknown_never_resent_and_settled_by_its_report(world: World) -> None:
    customer = await world.customer()
    world.at.mode = "timeout"  # takes the message, never answers
    message = await world.settled(await _send(world, customer["id"], "did it go?"))
    assert message.status == "unknown" and message.provider == "africastalking"
    assert message.provider_message_id is None
    await asyncio.sleep(1.0)  # the sender keeps running: nothing is sent again, nowhere
    assert len(world.at.taken) == 1 and world.ib.taken == {}
    assert (await world.message(message.id)).status == "unknown"
    [taken] = world.at.taken.values()  # the provider's delivery report names an id we never got
    reply = await world.post_form("/webhooks/sms/africastalking/delivery", world.at.at_report(taken.message_id))
    assert reply.json()["applied"] == 1
    settled = await world.message(message.id)
    assert settled.status == "delivered" and settled.provider_message_id == taken.message_id


async def test_an_infobip_timeout_is_settled_by_a_lookup(world: World) -> None:
    customer = await world.customer()
    await world.at.stop()
    world.ib.mode = "timeout"
    world.ib.logs_hidden = True  # until the test has seen it unknown (a quick lookup would settle it first)
    message = await world.settled(await _send(world, customer["id"], "looked up later"))
    assert message.status == "unknown" and message.provider == "infobip"
    assert message.provider_message_id in world.ib.taken
    world.ib.logs_hidden = False
    settled = await world.settled(message.id, until=lambda m: m.status == "delivered")
    assert settled.cost == "KES 1.0" and len(world.ib.taken) == 1


async def test_an_unknown_message_that_infobip_never_took_is_sent_again(world: World) -> None:
    customer = await world.customer()
    await world.at.stop()
    world.ib.mode = "lost"  # the request never reached Infobip, and no answer came back
    message = await world.settled(await _send(world, customer["id"], "lost before infobip"))
    assert message.status == "unknown" and world.ib.taken == {}
    await asyncio.sleep(0.5)  # lookups keep finding nothing; within the grace it stays unknown
    assert (await world.message(message.id)).status == "unknown"
    world.ib.mode = "ok"
    world.clock.set(world.clock() + timedelta(minutes=11))  # past the grace
    sent = await world.settled(message.id, until=lambda m: m.status == "sent")
    assert sent.provider == "infobip" and world.ib.texts_to("+254712345678") == ["lost before infobip"]
