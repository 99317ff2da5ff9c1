"""The composer and the bulk page walked in Chromium, as an agent and a supervisor would: the live
counter, the "2 SMS: charged twice" warning, a real send through the fake Africa's Talking, its
status changing live on the conversation, and a bulk reminder with count, cost and progress."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from playwright.async_api import expect

from agent_ui.app import create_app
from agent_ui.components.messaging import MessagingComponent
from agent_ui.wiring import default_components
from messaging.fakes import FakeSms
from tests.browser.harness import Chromium, chromium, screenshot
from tests.browser.server import _prepare
from tests.browser.server import make_settings as browser_settings
from tests.messaging.conftest import MONDAY_10_NAIROBI, TOKEN, Clock, sms_settings

pytestmark = pytest.mark.browser


@dataclass
class SmsServer:
    url: str
    at: FakeSms
    ib: FakeSms


@pytest.fixture(scope="module")
def sms_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmsServer]:
    root = Path(tmp_path_factory.mktemp("sms-browser"))
    at, ib = FakeSms("africastalking", latency=0.3), FakeSms("infobip")
    at.start_in_thread()
    ib.start_in_thread()
    base = browser_settings(root)
    settings = base.model_copy(update={"sms": sms_settings(at, ib, request_timeout=3.0)})
    asyncio.run(_prepare(settings.database_url))
    components = [MessagingComponent(clock=Clock(MONDAY_10_NAIROBI)) if c.name == "messaging" else c
                  for c in default_components(settings)]  # the whole app: the pages call every part of it
    app = create_app(settings, components=components)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on",
                                           ws_ping_interval=None))
    thread = threading.Thread(target=server.run, name="sms-browser-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield SmsServer(f"http://127.0.0.1:{port}", at, ib)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        at.stop_thread()
        ib.stop_thread()


@pytest.fixture
async def browser(sms_server: SmsServer) -> AsyncIterator[Chromium]:
    async with chromium(sms_server.url) as handle:
        yield handle
        handle.guard.check()


def _amina(server: SmsServer) -> int:
    token = httpx.post(f"{server.url}/api/auth/login", json={"username": "agent1", "password": "agent1-pass"}).json()
    found = httpx.get(f"{server.url}/api/customers?q=Amina Wanjiru",
                      headers={"Authorization": f"Bearer {token['token']}"}).json()["items"]
    return int(found[0]["id"])


async def test_the_composer_counts_warns_sends_and_shows_the_status_live(browser: Chromium,
                                                                         sms_server: SmsServer) -> None:
    page = await browser.signed_in("agent1", "agent1-pass", f"/customers/{_amina(sms_server)}")
    await page.get_by_role("button", name="Send SMS").click()
    dialog = page.locator("#quick-dialog")
    await expect(dialog).to_be_visible()
    message = dialog.get_by_label("Message")
    await message.fill("Habari Amina, tafadhali piga simu.")
    counter = dialog.locator("#composer-counter")
    await expect(counter).to_have_text("34 characters · 1 SMS (GSM-7, 160 per SMS)")
    warning = dialog.locator("#composer-warning")
    await expect(warning).to_be_hidden()
    await message.fill("Habari Amina! " + "Your solar payment is due. " * 6 + "€")
    await expect(counter).to_have_text("178 characters · 2 SMS (GSM-7, 153 per SMS)")
    await expect(warning).to_be_visible()
    await expect(warning).to_contain_text("2 SMS: charged twice")
    await message.press("End")
    await message.type(" 😀")  # one emoji: the whole text becomes UCS-2
    await expect(counter).to_contain_text("SMS (UCS-2, 67 per SMS)")
    await screenshot(page, "sms-composer.png")
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog.locator("#quick-error")).to_contain_text("charged")  # not sent without the tick
    assert sms_server.at.taken == {}
    await dialog.get_by_label("Send it anyway").check()
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_hidden()
    await page.locator("#rtab-messages").click()
    row = page.locator("#conversation-list li").first
    await expect(row).to_have_attribute("data-status", "sent", timeout=10_000)  # live, over the socket
    [taken] = sms_server.at.taken.values()
    assert taken.text.endswith("€ 😀") and taken.to == "+254712345678"
    async with httpx.AsyncClient() as client:
        reply = await client.post(f"{sms_server.url}/webhooks/sms/africastalking/delivery?token={TOKEN}",
                                  data=sms_server.at.at_report(taken.message_id, "Success"))
    assert reply.status_code == 200
    await expect(row).to_have_attribute("data-status", "delivered")
    await expect(row.locator("[data-role=status]")).to_have_text("delivered")
    await screenshot(page, "sms-conversation.png")


async def test_a_supervisor_sends_a_bulk_reminder_after_seeing_count_and_cost(browser: Chromium,
                                                                              sms_server: SmsServer) -> None:
    page = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    await expect(page.locator("#sms-providers li[data-provider=africastalking]")).to_contain_text("working")
    await page.get_by_label("Send to").select_option(label="Accounts 1-30 days past due")
    await page.get_by_label("Template").select_option(label="Overdue notice")
    before = len(sms_server.at.taken)
    await page.get_by_role("button", name="Count and cost…").click()
    dialog = page.locator("#bulk-dialog")
    await expect(dialog).to_be_visible()
    count_text = await dialog.locator("#bulk-count").inner_text()
    count = int(count_text.split()[0])
    assert count > 0
    await expect(dialog.locator("#bulk-cost")).to_contain_text("KES")
    await screenshot(page, "sms-bulk-confirm.png")
    await dialog.get_by_role("button", name="Send").click()
    await expect(page.locator("#bulk-out")).to_have_attribute("data-status", "done", timeout=30_000)
    await expect(page.locator("#bulk-progress")).to_have_attribute("value", "100")
    await screenshot(page, "sms-bulk-done.png")
    assert len(sms_server.at.taken) - before <= count  # blocked ones (gate) are not sent
