"""Refusals over the real HTTP routes: forged, unsigned, tampered and other-URL requests get 403 and
change nothing; a repeated status callback changes nothing; a signed but malformed form is a 400."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
import websockets
from sqlalchemy import func, select

from agent_ui.app import create_app
from agent_ui.services import build_services
from agent_ui.wiring import default_components
from config.settings import Settings
from domain.events import AgentRinging, CallEnded, CallEvent, CallOffered, utcnow
from store.models import CallRecord
from tests.twilio.helpers import AUTH_TOKEN, PUBLIC_URL, call_sid, twilio_signature, voice_form
from tests.twilio_app.conftest import CUSTOMER_NUMBER, TwilioWorld, twilio_settings, until
from tests.twilio_app.support import outbox_types, ready_in_acd, recv, rung

PATHS = ("/twilio/voice", "/twilio/status", "/twilio/dial-action", "/twilio/wait", "/twilio/connect",
         "/twilio/outbound")
Request = tuple[str, str, dict[str, str], str | None]  # (requested path+query, signed URL, form, signature)


def _valid(rng: random.Random) -> tuple[str, dict[str, str]]:
    path = rng.choice(PATHS)
    query = rng.choice(["", "queue=collections", "call_id=twilio/CA0&leg=caller&queue=collections"])
    form = voice_form(call_sid(), caller=f"+2547{rng.randrange(10**8):08d}",
                      DialCallStatus=rng.choice(["no-answer", "completed", "busy"]))
    return path + (f"?{query}" if query else ""), form


def _flip(text: str, rng: random.Random) -> str:
    i = rng.randrange(len(text))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
    return text[:i] + rng.choice(alphabet.replace(text[i], "")) + text[i + 1:]


def _tamper(rng: random.Random, local_base: str) -> tuple[str, Request]:
    """One refused request: (kind of tampering, request)."""
    target, form = _valid(rng)
    url = PUBLIC_URL + target
    sig = twilio_signature(url, form)
    kind = rng.choice(["unsigned", "forged", "flipped", "wrong-token", "value", "added", "removed", "path",
                       "query", "other-host", "internal-url", "other-scheme"])
    key = rng.choice(sorted(form))
    match kind:
        case "unsigned":
            return kind, (target, url, form, None)
        case "forged":
            return kind, (target, url, form, base64.b64encode(rng.randbytes(20)).decode())
        case "flipped":
            return kind, (target, url, form, _flip(sig, rng))
        case "wrong-token":
            return kind, (target, url, form, twilio_signature(url, form, AUTH_TOKEN + "x"))
        case "value":
            return kind, (target, url, {**form, key: form[key] + rng.choice("0Zx ")}, sig)
        case "added":
            return kind, (target, url, {**form, "Digits": str(rng.randrange(10))}, sig)
        case "removed":
            return kind, (target, url, {k: v for k, v in form.items() if k != key}, sig)
        case "path":
            other = rng.choice([p for p in PATHS if not target.startswith(p + "?") and target != p])
            return kind, (other + target[len(target.split("?")[0]):], url, form, sig)
        case "query":
            return kind, (target.split("?")[0] + "?queue=vip", url, form, sig)
        case "other-host":
            other_url = "https://evil.example.net" + target
            return kind, (target, other_url, form, twilio_signature(other_url, form))
        case "internal-url":  # signed for the address the server listens on, not the public one
            inner = local_base + target
            return kind, (target, inner, form, twilio_signature(inner, form))
        case _:
            plain = PUBLIC_URL.replace("https://", "http://") + target
            return kind, (target, plain, form, twilio_signature(plain, form))


async def test_1000_random_tamperings_are_all_refused_over_http_and_change_nothing(
    twilio_app: TwilioWorld, caplog: pytest.LogCaptureFixture
) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    before = len(world.events)
    rng = random.Random(20260611)
    base = world.running.base_url
    kinds: dict[str, int] = {}
    refused: list[int] = []
    caplog.set_level(logging.WARNING, logger="cti.twilio.signature")

    async def send(request: Request) -> None:
        target, _, form, sig = request
        headers = {"X-Twilio-Signature": sig} if sig is not None else {}
        response = await world.http.post(base + target, data=form, headers=headers)
        if response.status_code == 403:
            assert response.json()["error_id"] == "signature-invalid"
        refused.append(response.status_code)

    requests = []
    for _ in range(1000):
        kind, request = _tamper(rng, base)
        kinds[kind] = kinds.get(kind, 0) + 1
        requests.append(request)
    for start in range(0, len(requests), 25):
        await asyncio.gather(*(send(r) for r in requests[start:start + 25]))

    assert len(refused) == 1000 and set(refused) == {403}, {s: refused.count(s) for s in set(refused)}
    assert min(kinds.values()) >= 50, kinds  # every kind of tampering was tried many times
    assert caplog.text.count("twilio webhook refused") >= 1000
    await asyncio.sleep(0.2)
    assert not [e for e in world.events[before:] if isinstance(e, CallEvent)]
    assert world.api.requests == []
    async with world.running.services.database.session() as session:
        assert await session.scalar(select(func.count()).select_from(CallRecord)) == 0
    agent = world.service.acd.agent("client:amina")
    assert agent is not None and agent.call_id is None and world.service.acd.waiting("collections") == []

    # the same server accepts the untampered request
    target, form = "/twilio/voice?queue=collections", voice_form(call_sid())
    ok = await world.http.post(base + target, data=form,
                               headers={"X-Twilio-Signature": twilio_signature(PUBLIC_URL + target, form)})
    assert ok.status_code == 200 and (await rung(world, ok.text)).device == "client:amina"


async def test_a_duplicated_status_callback_changes_nothing(twilio_app: TwilioWorld) -> None:
    world = twilio_app
    await ready_in_acd(world, "amina")
    parent = call_sid()
    answer = await world.twilio(f"{PUBLIC_URL}/twilio/voice?queue=collections", voice_form(parent))
    offer = await rung(world, answer.text)
    status_url, child = offer.status_url, offer.leg
    stamp = format_datetime(utcnow())
    ringing = voice_form(child, status="ringing", caller=CUSTOMER_NUMBER, to="client:amina",
                         direction="outbound-api", SequenceNumber="1", Timestamp=stamp)
    ended = voice_form(parent, status="completed", caller=CUSTOMER_NUMBER, SequenceNumber="4", Timestamp=stamp)
    call_id = f"twilio/{parent}"

    def count(kind: type[CallEvent]) -> int:
        return sum(1 for e in world.events if isinstance(e, kind) and e.call_id == call_id)

    async with websockets.connect(f"{world.running.ws_url}/ws?token={world.token('amina')}") as ws:
        await recv(ws, "hello")
        assert (await world.twilio(status_url, ringing)).status_code == 200
        await recv(ws, "call.ringing")
        await until(lambda: count(AgentRinging) == 1, "the ring on the bus")
        snapshot = len(world.events)
        for _ in range(3):  # Twilio retries a callback it thinks failed
            again = await world.twilio(status_url, ringing)
            assert again.status_code == 200 and again.headers["content-type"].startswith("application/xml")
        await asyncio.sleep(0.3)
        assert len(world.events) == snapshot and count(AgentRinging) == 1
        assert (await outbox_types(world, "agent:amina")).count("call.ringing") == 1

        assert (await world.twilio(f"{PUBLIC_URL}/twilio/status", ended)).status_code == 200
        await until(lambda: count(CallEnded) == 1, "the end on the bus")
        await recv(ws, "call.ended")

    async def ended_row() -> bool:
        row = await world.record(call_id)
        return row is not None and row.ended_at is not None

    await until(ended_row, "the record ended")
    first = await world.record(call_id)
    snapshot = len(world.events)
    await world.twilio(f"{PUBLIC_URL}/twilio/status", ended)
    await asyncio.sleep(0.3)
    assert len(world.events) == snapshot and count(CallEnded) == count(CallOffered) == 1
    row = await world.record(call_id)
    assert first is not None and row is not None
    assert (row.ended_at, row.cause, row.abandoned, row.hold_seconds) == (
        first.ended_at, first.cause, first.abandoned, first.hold_seconds)
    assert (await outbox_types(world, "agent:amina")).count("call.ended") == 1


async def test_signed_but_malformed_form_is_a_400(twilio_app: TwilioWorld) -> None:
    form = voice_form(call_sid())
    del form["CallSid"]
    response = await twilio_app.twilio(f"{PUBLIC_URL}/twilio/voice", form)
    assert response.status_code == 400
    assert response.json()["error_id"] == "protocol-violation" and "CallSid" in response.json()["details"]


async def test_without_an_account_sid_there_is_no_twilio(database_url: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    settings = twilio_settings(database_url, tmp_path, monkeypatch, "http://127.0.0.1:9")
    def names(settings: Settings) -> list[str]:
        return [c.name for c in default_components(settings)]

    parts = ["sessions", "supervision", "live", "asterisk", "phone", "recordings", "messaging", "payments", "ivr",
             "monitor"]
    assert names(settings) == [*parts, "twilio"]
    plain = settings.model_copy(update={"twilio": settings.twilio.model_copy(update={"account_sid": ""})})
    assert names(plain) == parts
    services = build_services(plain)
    app = create_app(plain, services, components=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        form = voice_form(call_sid())
        response = await client.post("/twilio/voice", data=form, headers={
            "X-Twilio-Signature": twilio_signature(PUBLIC_URL + "/twilio/voice", form)})
    await services.close()
    assert response.status_code == 503 and response.json()["error_id"] == "component-unavailable"
    assert response.json()["message"] == "Twilio is not set up on this server (set SWITCHBOARD_TWILIO__ACCOUNT_SID)."
