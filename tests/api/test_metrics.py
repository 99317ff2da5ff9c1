"""``GET /metrics`` (issue 14 item 8): scraped after real actions, the counters have moved.

The app with the live layer (an Asterisk server configured on a port where nothing answers): a
request through a route, a ring that pops a customer, a message queued in the outbox. Then: who may
scrape (this host, or the token), and each app counts in its own registry. SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from agent_ui.app import create_app
from agent_ui.components.asterisk import AsteriskComponent
from agent_ui.components.live import LiveComponent
from agent_ui.services import build_services
from config.settings import AmiSettings, MetricsSettings
from domain.events import AgentRinging, Direction
from store.models import Message
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.support.server import free_port

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def scrape(client: httpx.AsyncClient) -> Samples:
    reply = await client.get("/metrics")
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("text/plain")
    return parse(reply.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
async def live(api: ApiWorld) -> AsyncIterator[ApiWorld]:
    api.services.settings = api.settings.model_copy(update={"ami": AmiSettings(host="127.0.0.1", port=free_port())})
    components = [LiveComponent(), AsteriskComponent()]  # in production's order (agent_ui.wiring)
    for component in components:
        await component.start(api.services)
    try:
        yield api
    finally:
        for component in reversed(components):
            await component.stop(api.services)


async def test_the_counters_move_after_real_actions(live: ApiWorld) -> None:
    api = live
    customer = await api.customer("Wanjiku Kamau", "0712345678")
    before = await scrape(api.client)
    route = {"method": "GET", "route": "/api/customers/{customer_id}", "status": "200"}

    for _ in range(3):
        reply = await api.client.get(f"/api/customers/{customer['id']}", headers=api.as_("amina"))
        assert reply.status_code == 200
    missing = await api.client.get("/api/no-such-thing")
    assert missing.status_code == 404

    amina = api.users["amina"]
    assert api.services.bus is not None and api.services.outbox is not None and amina.extension
    await api.services.bus.publish(AgentRinging(
        call_id="default/1765000000.1", device=amina.extension, member_name="Amina", queue="collections",
        caller_number="0712345678", dialed_number="0800123457", direction=Direction.INBOUND))
    async with asyncio.timeout(5.0):
        while not [m for m in await api.services.outbox.read("agent:amina", 0, 0) if m.type == "call.ringing"]:
            await asyncio.sleep(0.02)

    async with api.services.database.session() as session:  # one SMS waiting for a provider
        session.add(Message(customer_id=customer["id"], direction="outbound", channel="sms",
                            to_address="+254712345678", body="Hello", status="queued"))

    after = await scrape(api.client)
    count = "switchboard_http_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 3
    assert value(after, count, method="GET", route="<unmatched>", status="404") >= 1
    assert value(after, "switchboard_pops_total", matched="true") - value(before, "switchboard_pops_total",
                                                                          matched="true") == 1
    assert value(after, "switchboard_pop_latency_seconds_count") - value(
        before, "switchboard_pop_latency_seconds_count") == 1
    assert value(after, "switchboard_outbox_depth", channel="sms") == 1
    assert value(after, "switchboard_outbox_depth", channel="email") == 0
    assert ("switchboard_bus_lag_events", frozenset({("group", "pop")})) in after  # the in-process bus: measurable
    assert value(after, "switchboard_ami_connected", server="default", connection="actions") == 0  # nobody answers
    assert ("switchboard_ami_connected", frozenset({("server", "default"), ("connection", "events")})) in after


async def test_only_this_host_or_the_token(api: ApiWorld) -> None:
    app = api.client._transport.app  # type: ignore[attr-defined]
    outside = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("203.0.113.9", 40000)),
                                base_url="http://testserver")
    async with outside:
        assert_error_shape(await outside.get("/metrics"), 403, "permission-denied")
        api.services.settings.metrics = MetricsSettings(token=SecretStr("scrape-me-" + "x" * 20), loopback=False)
        assert (await outside.get("/metrics", headers={"Authorization": "Bearer scrape-me-" + "x" * 20})).status_code == 200
        assert_error_shape(await outside.get("/metrics", headers={"Authorization": "Bearer wrong"}), 403,
                           "permission-denied")
        assert_error_shape(await api.client.get("/metrics"), 403, "permission-denied")  # loopback is off now
        assert_error_shape(await api.client.get("/metrics", headers=api.as_("admin")), 403, "permission-denied")


async def test_each_app_counts_in_its_own_registry(api: ApiWorld) -> None:
    other_services = build_services(api.settings)
    other = create_app(api.settings, other_services, components=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=other), base_url="http://testserver") as client:
        first = await scrape(client)
        for _ in range(2):
            await api.client.get("/api/auth/me", headers=api.as_("amina"))
        second = await scrape(client)
    await other_services.close()
    labels = {"method": "GET", "route": "/api/auth/me", "status": "200"}
    name = "switchboard_http_request_duration_seconds_count"
    assert value(first, name, **labels) == value(second, name, **labels) == 0  # the other app's requests
    assert value(await scrape(api.client), name, **labels) == 2
    assert other_services.metrics.registry is not api.services.metrics.registry
    assert REGISTRY.get_sample_value("switchboard_pops_total", {"matched": "true"}) is None  # nothing global
