"""M-Pesa in a real Chromium: during a call the agent presses "Request payment", the fake Daraja
answers with the callback, and the live strip shows the receipt with no reload (the promise is
kept); a cancelled request is shown in words; a payment in suspense reaches the supervisor live
and is assigned; and the report has "paid during the call".

The app runs under uvicorn in a thread of its own (SQLite, demo data, the live layer and the
payments component on a fixed clock: Wednesday 4 March 2026, 10:00 in Nairobi); the call is the
carrier's events on the app's bus (AgentRinging, AgentConnected), as the AMI bridge publishes them.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from playwright.async_api import Page, expect

from agent_ui.app import create_app
from agent_ui.components.payments import PaymentsComponent
from agent_ui.services import Services
from agent_ui.wiring import default_components
from config.mpesa_settings import MpesaSettings
from domain.clock import local_today
from domain.events import AgentConnected, AgentRinging, Direction, Event
from payments.fakes import FakeDaraja
from tests.browser.harness import Chromium, chromium, screenshot
from tests.browser.server import _prepare, make_settings
from tests.payments.conftest import WEDNESDAY_10_NAIROBI
from tests.support.server import free_port

pytestmark = pytest.mark.browser
TOKEN = "browser-" + "t0k3n" * 5


@dataclass
class MpesaServer:
    url: str
    fake: FakeDaraja
    loop: asyncio.AbstractEventLoop
    server: uvicorn.Server
    thread: threading.Thread
    app: Any
    errors: list[logging.LogRecord]

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def publish(self, event: Event) -> None:
        bus = self.services.bus
        assert bus is not None
        asyncio.run_coroutine_threadsafe(bus.publish(event), self.loop).result(10)

    def customer(self, name: str) -> dict[str, Any]:
        items = self.api("GET", f"/api/customers?q={name}", "supervisor").json()["items"]
        found: dict[str, Any] = next(c for c in items if c["name"] == name)
        return found

    def api(self, method: str, path: str, user: str, **kw: Any) -> httpx.Response:
        token = httpx.post(f"{self.url}/api/auth/login", json={"username": user, "password": f"{user}-pass"},
                           timeout=10).json()["token"]
        return httpx.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=15,
                             **kw)


class _Errors(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(scope="module")
def mpesa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MpesaServer]:
    root = Path(tmp_path_factory.mktemp("browser-mpesa"))
    fake = FakeDaraja()
    fake.start_in_thread()
    port = free_port()
    base = make_settings(root)
    settings = base.model_copy(update={"public_url": f"http://127.0.0.1:{port}", "mpesa": MpesaSettings(
        consumer_key=fake.consumer_key, consumer_secret=fake.consumer_secret, shortcode=fake.shortcode,
        passkey=fake.passkey, base_url=fake.base_url, callback_token=TOKEN, sweep_seconds=0.2)})
    asyncio.run(_prepare(settings.database_url))
    components = [PaymentsComponent(clock=lambda: WEDNESDAY_10_NAIROBI) if c.name == "payments" else c
                  for c in default_components(settings)]  # the whole app: the pages call every part of it
    app = create_app(settings, components=components)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on",
                                           ws_ping_interval=None))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=lambda: loop.run_until_complete(server.serve()), daemon=True, name="mpesa-app")
    errors: list[logging.LogRecord] = []
    handler = _Errors(errors)
    logging.getLogger().addHandler(handler)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.05)
    live = MpesaServer(f"http://127.0.0.1:{port}", fake, loop, server, thread, app, errors)
    fake.call(_register(fake, live.url))
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        fake.stop_thread()
        logging.getLogger().removeHandler(handler)


async def _register(fake: FakeDaraja, url: str) -> None:
    fake.registered = {"ConfirmationURL": f"{url}/webhooks/mpesa/c2b/confirmation/{TOKEN}",
                       "ValidationURL": f"{url}/webhooks/mpesa/c2b/validation/{TOKEN}", "ResponseType": "Completed"}


def _ring_and_answer(live: MpesaServer, call_id: str, number: str) -> None:
    live.publish(AgentRinging(call_id=call_id, device="PJSIP/1001", member_name=None, queue="collections",
                              caller_number=number, dialed_number="0800123457", direction=Direction.INBOUND))
    live.publish(AgentConnected(call_id=call_id, device="PJSIP/1001", queue="collections", hold_seconds=4,
                                ring_seconds=3))


async def _on_a_call(browser: Chromium, live: MpesaServer, call_id: str) -> Page:
    page = await browser.signed_in("agent1", "agent1-pass")
    await page.get_by_role("button", name="Ready").click()
    await expect(page.locator("#state-pill")).to_have_text("Ready")
    _ring_and_answer(live, call_id, "+254712345678")
    await expect(page.locator("#call-status")).to_have_text("Answered: on the call")
    await expect(page.locator("#state-pill")).to_have_text("On call")
    return page


async def test_request_payment_during_a_call_shows_the_receipt_live(mpesa_server: MpesaServer) -> None:
    live = mpesa_server
    amina = live.customer("Amina Wanjiru")
    today = local_today(live.services.settings.timezone)  # the call centre's day: a promise cannot be due before it
    res = live.api("POST", f"/api/customers/{amina['id']}/promises", "agent1",
                   json={"amount": "2000", "due_date": today.isoformat()})  # due before the demo's promises
    assert res.status_code == 201, res.text
    async with chromium(live.url) as browser:
        page = await _on_a_call(browser, live, "default/1772600000.11")
        await page.evaluate("window.__sameDocument = true")
        await page.get_by_role("button", name="Request payment from Amina Wanjiru").click()
        dialog = page.locator("#mpesa-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog).to_contain_text("To Amina Wanjiru, on the customer\u2019s own M-Pesa number.")
        amount = page.get_by_label("Amount (whole shillings)")
        await expect(amount).not_to_have_value("")
        requested = await amount.input_value()
        await page.get_by_role("button", name="Send request").click()
        line = page.locator("#mpesa-lines li[data-request-id]").last
        await expect(line).to_contain_text("Payment request to Amina Wanjiru")
        await expect(line).to_have_attribute("data-state", "paid")
        await expect(line).to_contain_text(f"Paid KES {int(requested):,}.00, receipt QK7")
        paid = page.locator("#mpesa-lines li[data-payment-id]")
        await expect(paid).to_contain_text("Amina Wanjiru paid")
        await expect(paid).to_contain_text("paid on the agent's payment request")
        assert await page.evaluate("window.__sameDocument === true")  # no reload
        await page.locator("#pop-matches").get_by_role("button", name="Open Amina Wanjiru").click()
        await expect(page.locator("#record-name")).to_have_text("Amina Wanjiru")
        await screenshot(page, "mpesa-request-paid.png")

        [push] = [s for s in live.fake.seen if s.path.endswith("processrequest")]
        assert push.body["PhoneNumber"] == "254712345678" and push.body["Amount"] == int(requested)
        promises = live.api("GET", f"/api/customers/{amina['id']}/promises", "agent1").json()["items"]
        assert any(p["amount"] == "2000.00" and p["status"] == "kept" for p in promises), promises
        history = live.api("GET", f"/api/customers/{amina['id']}/interactions?channel=mpesa", "agent1").json()
        assert history["items"][0]["call_id"] == "default/1772600000.11"
        assert history["items"][0]["operator"] == "agent1"

        live.fake.next_outcome(1032)
        await page.locator("#mpesa-request").click()
        await page.get_by_label("Amount (whole shillings)").fill("500")
        await page.get_by_role("button", name="Send request").click()
        await expect(page.locator("#mpesa-error")).to_be_hidden()
        await expect(dialog).to_be_hidden(timeout=15_000)  # sent (the push and its answer take a while on a busy box)
        cancelled = page.locator("#mpesa-lines li[data-request-id]").last
        await expect(cancelled).to_have_attribute("data-state", "failed", timeout=15_000)
        await expect(cancelled).to_contain_text("The customer cancelled the request on the phone.")
        browser.guard.check()
    assert live.errors == [], [r.getMessage() for r in live.errors]


async def test_a_payment_in_suspense_is_assigned_by_the_supervisor_live(mpesa_server: MpesaServer) -> None:
    live = mpesa_server
    async with chromium(live.url) as browser:
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        await expect(sup.locator("#suspense-card")).to_be_visible()
        agent = await browser.signed_in("agent1", "agent1-pass")
        body, status = live.fake.call(live.fake.pay_bill(amount=750, bill_ref="NOT-A-CLIENT", msisdn="2547*****678"))
        assert status == 200
        item = sup.locator(f"#suspense-list li[data-receipt='{body['TransID']}']")
        await expect(item).to_contain_text("KES 750.00")
        await expect(item).to_contain_text("a masked number is never enough to post")
        await item.get_by_role("button", name=f"Assign {body['TransID']} to Amina Wanjiru").click()
        await expect(sup.locator("#toasts")).to_contain_text("to Amina Wanjiru")
        await expect(item).to_have_count(0)
        await expect(agent.locator("#mpesa-lines li[data-payment-id]").last).to_contain_text(
            f"receipt {body['TransID']} · assigned by a supervisor")
        await sup.get_by_label("Report", exact=True).select_option("payments")
        await sup.get_by_role("button", name="Run").click()
        await expect(sup.locator("#report-out")).to_contain_text("M-Pesa: paid during the call, per agent")
        browser.guard.check()
    assert live.errors == [], [r.getMessage() for r in live.errors]
