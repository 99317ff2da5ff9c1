"""The IVR as its users see it, in Chromium with a real call through the test PBX: a customer
(sipp, SIP INFO keys) is identified by caller ID, verifies, hears the balance and asks for an
agent; agent1's incoming-call card says who she is, that her ID was verified and what she did;
the supervisor's wallboard shows the IVR panel; her record's history has the IVR's entry."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import expect

from agent_ui.components.ivr import ivr_parts
from tests.browser.harness import chromium, screenshot
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer, _prepare, build_app, make_settings
from tests.ivr_pbx.conftest import AGI_PORT
from tests.ivr_pbx.scenarios import Keys, Pause, ivr_caller
from tests.pbx.harness import Pbx

pytestmark = [pytest.mark.pbx, pytest.mark.browser]


def start_ivr_server(root: Path) -> LiveServer:
    """The browser tests' server (demo data, the AMI bridge) with the IVR's FastAGI server on."""
    settings = make_settings(root, ami=True)
    settings = settings.model_copy(update={"ivr": settings.ivr.model_copy(update={"agi_port": int(AGI_PORT)})})
    asyncio.run(_prepare(settings.database_url))
    app = build_app(settings)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
                                           ws_ping_interval=None))
    thread = threading.Thread(target=server.run, name="browser-ivr-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    assert ivr_parts(app.state.services).agi is not None
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(settings, f"http://127.0.0.1:{port}", server, thread)


@pytest.fixture(scope="module")
def ivr_server(pbx: Pbx, prompts_installed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_ivr_server(Path(tmp_path_factory.mktemp("browser-ivr")))
    try:
        yield live
    finally:
        live.stop()


async def test_the_agent_sees_what_the_caller_did_in_the_ivr(pbx_clean: Pbx, phones, ivr_server: LiveServer) -> None:
    amina = customer_named(ivr_server, "Amina Wanjiru")
    token = ivr_server.login("agent1", "agent1-pass")
    record = ivr_server.api("GET", f"/api/customers/{amina['id']}", token).json()
    last4 = "".join(c for c in record["government_id"] if c.isdigit())[-4:]
    async with chromium(ivr_server.url) as browser:
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        await expect(sup.locator("#ivr-panel [data-metric='in-ivr']")).to_have_text("0")
        agent = await browser.signed_in("agent1", "agent1-pass")
        phones.agent(1001, hold_seconds=4)
        await agent.get_by_role("button", name="Ready").click()
        await expect(agent.locator("#state-pill")).to_have_text("Ready")
        await asyncio.sleep(1.5)  # the queue has agent1 (QueueAdd)

        caller = ivr_caller("0712345678", [Pause(1500), Keys("1"), Pause(900), Keys(last4), Pause(900), Keys("1"),
                                           Pause(1500), Keys("0"), Pause(9000)])
        phones.started.append(caller)
        caller.start()
        await expect(sup.locator("#ivr-panel [data-metric='in-ivr']")).to_have_text("1", timeout=15_000)

        card = agent.locator("#call-ivr")
        await expect(card).to_contain_text("Amina Wanjiru", timeout=30_000)
        await expect(card).to_contain_text("identified by caller ID")
        await expect(card.locator("[data-ivr-verified='yes']")).to_have_text("ID verified")
        await expect(card).to_contain_text("heard the balance")
        await expect(card.locator("[data-ivr-path]")).to_have_text(
            "Keys: language:1 → verify:**** → main:1 → main:0 → agent")
        await expect(agent.locator("#pop-matches")).to_contain_text("Amina Wanjiru")
        await screenshot(agent, "agent-desktop-ivr-pop.png")

        await expect(sup.locator("#ivr-panel [data-metric='in-ivr']")).to_have_text("0", timeout=15_000)
        await expect(sup.locator("#ivr-panel [data-metric='self-service']")).to_contain_text("of 1")
        await expect(sup.locator(".queue[data-queue='collections'] [data-metric='answered']")).to_have_text(
            "1", timeout=20_000)  # the call the IVR handed to the queue, answered by agent1
        await screenshot(sup, "wallboard-ivr.png")
        await asyncio.to_thread(caller.check, 60)

        await agent.locator("#pop-matches").get_by_role("button", name="Open Amina Wanjiru").click()
        await expect(agent.locator("#record-name")).to_have_text("Amina Wanjiru")
        await agent.get_by_role("tab", name="Interaction history").click()
        history = agent.locator("#history-list")
        await expect(history).to_contain_text("Balance enquiry (IVR)")
        await agent.locator("#hist-type").select_option("channel:ivr")
        await agent.get_by_role("button", name="Filter").click()
        await expect(history.locator("li.note")).to_have_count(1)
        browser.guard.check()
