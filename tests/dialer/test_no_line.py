"""Issue 15 item 5: no phone line, no fake dialling. GET /api/dialer/line says whether the agent can
place calls and why not; without a line both dial routes fail at once with that sentence, send
nothing and hold no lock (the next dial, once the line is back, is not "already in progress")."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from agent_ui.components.asterisk import AsteriskParts
from store.models import User
from tests.dialer.conftest import World
from tests.dialer.test_routes import ConnectedBridge, _auth
from tests.dialer.test_routes import client as client  # the fixture


async def test_without_a_line_nothing_is_dialled_and_nothing_is_held(world: World, client: httpx.AsyncClient) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    customer = await world.customer(assigned_agent_id=amina.id)
    app = client._transport.app  # type: ignore[attr-defined]
    assert isinstance(app, FastAPI)
    services = app.state.services
    services.asterisk = AsteriskParts([])  # Asterisk is not connected
    line = await client.get("/api/dialer/line", headers=_auth(world, amina))
    assert line.status_code == 200
    assert line.json() == {"ok": False, "carrier": "asterisk", "extension": "PJSIP/1001",
                           "reason": "The phone system (Asterisk) is not connected, so calls cannot be placed. "
                                     "Tell your supervisor."}
    for _ in range(2):
        refused = await client.post("/api/calls", json={"customer_id": customer.id}, headers=_auth(world, amina))
        assert refused.status_code == 409 and refused.json()["error_id"] == "agent-not-available"
        assert refused.json()["message"] == line.json()["reason"]  # the same sentence, each time: no lock
    dial_now = await client.post("/api/dialer/tasks/1/dial", json={}, headers=_auth(world, amina))
    assert dial_now.status_code == 409 and dial_now.json()["message"] == line.json()["reason"]
    await world.settle()
    assert world.carrier.requests == []

    services.asterisk = AsteriskParts([ConnectedBridge()])  # type: ignore[list-item]
    assert (await client.get("/api/dialer/line", headers=_auth(world, amina))).json()["ok"] is True
    called = await client.post("/api/calls", json={"customer_id": customer.id}, headers=_auth(world, amina))
    assert called.status_code == 202, called.text


async def test_twilio_and_no_extension(world: World, client: httpx.AsyncClient) -> None:
    twilio = await world.agent("zawadi", "client:zawadi")
    nobody = await world.agent("nobody", "")
    async with world.database.session() as s:
        row = await s.get(User, nobody.id)
        assert row is not None
        row.extension = None
    line = (await client.get("/api/dialer/line", headers=_auth(world, twilio))).json()
    assert line["ok"] is False and line["carrier"] == "twilio" and "Twilio is not set up" in line["reason"]
    line = (await client.get("/api/dialer/line", headers=_auth(world, nobody))).json()
    assert line == {"ok": False, "carrier": None, "extension": None,
                    "reason": "You have no phone extension, so you cannot place calls: ask an admin to give you one."}


async def test_the_progressive_dialer_offers_nothing_to_an_agent_without_a_line(world: World) -> None:
    amina = await world.agent("amina", "PJSIP/1001")
    await world.customer(assigned_agent_id=amina.id)
    await world.dialer.generator.past_due()
    lines = {amina.id: False}

    async def has_line(user_id: int) -> bool:
        return lines.get(user_id, True)

    world.dialer.ctx.has_line = has_line
    assert (await world.dialer.tick()).previews == 0
    assert await world.messages("agent:amina", "dialer.preview") == []
    lines[amina.id] = True
    assert (await world.dialer.tick()).previews == 1
