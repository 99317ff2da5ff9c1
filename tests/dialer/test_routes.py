"""The dialer's HTTP routes over the real auth dependencies: 202 with the call_id, 409
compliance-blocked with the rule and next time, 403 approval-required, supervisor-only decisions,
and the status endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from agent_ui.app import create_app
from agent_ui.components.asterisk import AsteriskParts
from agent_ui.services import ListsSource, Services
from agent_ui.tokens import TokenService
from config.settings import CONFIG_DIR
from domain.events import EndCause
from store.models import Relation, Role, User
from tests.dialer.conftest import World


class ConnectedBridge:
    class actions:  # the shape agent_ui.line reads: bridge.actions.connected
        connected = True


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    services = Services(settings=world.settings, database=world.database,
                        lists_source=ListsSource(CONFIG_DIR / "defaults"), supervisor=world.supervisor,
                        tokens=TokenService("test-secret-key-0123456789abcdef0123", 1),
                        bus=world.bus, outbox=world.outbox)
    services.dialer = world.dialer  # as DialerComponent sets it; the app is the production one
    services.asterisk = AsteriskParts([ConnectedBridge()])  # type: ignore[list-item]  # a working line
    app = create_app(world.settings, services, components=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def _auth(world: World, user: User) -> dict[str, str]:
    services_tokens = TokenService("test-secret-key-0123456789abcdef0123", 1)
    return {"Authorization": f"Bearer {services_tokens.issue(user)}"}


async def test_click_to_call_routes(world: World, client: httpx.AsyncClient) -> None:
    amina = await world.agent("amina", "PJSIP/1001", role=Role.SUPERVISOR)  # sees every customer
    customer = await world.customer(contacts=((Relation.ALTERNATIVE_CONTACT, "Brother", "+254733000002"),))
    headers = _auth(world, amina)
    assert (await client.post("/api/calls", json={"customer_id": customer.id})).status_code == 401
    response = await client.post("/api/calls", json={"customer_id": customer.id}, headers=headers)
    assert response.status_code == 202, response.text
    call_id = response.json()["call_id"]
    await world.settle()
    assert [r.call_id for r in world.carrier.requests] == [call_id]
    await world.carrier.end(call_id, EndCause.NO_ANSWER)
    await world.settle()

    blocked = await client.post("/api/calls", json={"customer_id": customer.id, "number": "+254733000002"},
                                headers=headers)
    assert blocked.status_code == 409
    assert blocked.json()["error_id"] == "compliance-blocked"
    assert blocked.json()["details"] == {"rule": "relation_not_allowed", "next_allowed_at": None}

    manual = await client.post("/api/calls", json={"customer_id": customer.id, "number": "0799111222"},
                               headers=headers)
    assert manual.status_code == 403 and manual.json()["error_id"] == "approval-required"
    bad = await client.post("/api/calls", json={"customer_id": "x"}, headers=headers)
    assert bad.status_code == 422

    status = await client.get("/api/dialer/status", headers=headers)
    assert status.status_code == 200
    assert {c["campaign"] for c in status.json()["campaigns"]} >= {"collections"}


async def test_approval_routes_are_for_supervisors(world: World, client: httpx.AsyncClient) -> None:
    agent = await world.agent("brian", "PJSIP/1002")
    boss = await world.agent("sup", "PJSIP/1900", role=Role.SUPERVISOR)
    customer = await world.customer(assigned_agent_id=agent.id)  # an agent files for their own customers
    created = await client.post("/api/approvals", json={"number": "0799111222", "customer_id": customer.id,
                                                        "call_reason": "late", "reason": "new number"}, headers=_auth(world, agent))
    assert created.status_code == 201, created.text
    approval_id = created.json()["id"]
    assert (await client.get("/api/approvals?status=pending", headers=_auth(world, agent))).status_code == 403
    listed = await client.get("/api/approvals?status=pending", headers=_auth(world, boss))
    assert [a["id"] for a in listed.json()["approvals"]] == [approval_id]
    denied = await client.post(f"/api/approvals/{approval_id}/decision", json={"approve": True},
                               headers=_auth(world, agent))
    assert denied.status_code == 403
    decided = await client.post(f"/api/approvals/{approval_id}/decision", json={"approve": True},
                                headers=_auth(world, boss))
    assert decided.status_code == 200 and decided.json()["status"] == "approved"
    [pushed] = await world.messages("agent:brian", "approval.decided")
    assert pushed.data["approved"] is True
