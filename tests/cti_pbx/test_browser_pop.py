"""A real call from the test PBX (Asterisk 22 + sipp) through the whole desktop: the caller waits
on the supervisor's wallboard, the agent goes ready, the incoming panel pops with the right
customer, the socket is killed mid-call and the page shows the `call.ended` it missed, and the
agent saves a follow-up note with a 3-layer disposition and a promise to pay."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.harness import chromium, screenshot
from tests.browser.server import LiveServer, start_server
from tests.pbx.harness import DID_DIRECT, Pbx

pytestmark = [pytest.mark.pbx, pytest.mark.browser]


@pytest.fixture(scope="module")
def pbx_server(pbx: Pbx, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("browser-pbx")), ami=True)
    try:
        yield live
    finally:
        live.stop()


async def test_real_call_pops_survives_socket_loss_and_is_noted(pbx_clean: Pbx, phones, pbx_server: LiveServer) -> None:
    async with chromium(pbx_server.url) as browser:
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        await sup.evaluate("window.__sameDocument = true")
        agent = await browser.signed_in("agent1", "agent1-pass")
        await expect(agent.locator("#state-pill")).to_have_text("Logged out")
        promises_before = int(await sup.locator("#promises-made").inner_text())  # taken today

        phones.agent(1001)  # rings 1 s, then answers
        call = phones.customer_call(caller="0712345678", did=DID_DIRECT, hold_seconds=8)
        waiting = sup.locator(".queue[data-queue='collections'] [data-metric='waiting']")
        await expect(waiting).to_have_text("1", timeout=20_000)  # nobody ready yet: the caller waits
        await screenshot(sup, "wallboard.png")

        row = sup.locator("#agents-table tr[data-agent='agent1'] [data-agent-state]")
        await agent.get_by_role("button", name="Ready").click()  # QueueAdd: the queue rings PJSIP/1001
        await expect(agent.get_by_role("tab", name="Incoming Call")).to_have_attribute("aria-selected", "true")
        matches = agent.locator("#pop-matches")
        await expect(matches).to_contain_text("Amina Wanjiru", timeout=20_000)
        await expect(matches).to_contain_text("Customer")
        await expect(agent.locator("#call-caller")).to_contain_text("0712345678")
        await expect(agent.locator("#existing-yes")).to_be_checked()
        await screenshot(agent, "agent-desktop-pop.png")
        await expect(agent.locator("#call-card")).to_have_attribute("data-call-state", "answered", timeout=15_000)
        await expect(agent.locator("#state-pill")).to_have_text("On call")
        await expect(row).to_have_attribute("data-agent-state", "on_call")
        await expect(waiting).to_have_text("0")

        await agent.context.set_offline(True)  # the agent's link dies mid-call
        await agent.evaluate("window.switchboard.socket.drop()")
        await expect(agent.locator("#conn-banner")).to_contain_text("Connection lost")
        await expect(row).to_have_attribute("data-agent-state", "wrap_up", timeout=25_000)  # the call ended meanwhile
        await expect(agent.locator("#call-card")).to_have_attribute("data-call-state", "answered")  # not seen yet
        await agent.context.set_offline(False)
        await expect(agent.locator("#call-card")).to_have_attribute("data-call-state", "ended")
        await expect(agent.locator("#call-status")).to_contain_text("Ended")
        await expect(agent.locator("#state-pill")).to_have_text("Wrap-up")
        await expect(agent.locator("#wrapup-box")).to_be_visible()
        await expect(agent.locator("#conn-banner")).to_be_hidden()
        assert "/login" not in agent.url

        await matches.get_by_role("button", name="Open Amina Wanjiru").click()
        await expect(agent.locator("#record-name")).to_have_text("Amina Wanjiru")
        await agent.locator("#nf-action").select_option("customer")
        await agent.locator("#nf-call_result").select_option("answered")
        await agent.locator("#nf-call_status").select_option("connected")
        await agent.locator("#nf-status_action").select_option("spoke_to_customer")
        await agent.locator("#nf-party_response").select_option("promised_to_pay")
        await agent.locator("#nf-disp_status").select_option("contacted")
        await agent.locator("#nf-disp_reason").select_option("promise_to_pay")
        await agent.locator("#nf-disp_resolution").select_option("payment_scheduled")
        await agent.locator("#nf-promised_amount").fill("3200")
        promised = date.today() + timedelta(days=4)
        await agent.locator("#nf-promised_date").fill(promised.isoformat())
        await agent.locator("#nf-comments").fill("Called in about the overdue loan; will pay on Friday.")
        await agent.locator("#nf-subject").fill("Inbound: promise to pay")
        await agent.get_by_role("button", name="Save", exact=True).click()
        note = agent.locator("#history-list li.note").first
        await expect(note).to_contain_text("Contacted → Promise to pay → Payment scheduled")
        await expect(note).to_contain_text(f"Promised KES 3,200.00 by {promised.day} {promised:%b %Y}")
        await expect(agent.locator("#state-pill")).to_have_text("Ready")  # saving the outcome ends wrap-up
        await expect(row).to_have_attribute("data-agent-state", "ready")
        await expect(sup.locator("#promises-made")).to_have_text(str(promises_before + 1))  # due in 4 days
        assert await sup.evaluate("window.__sameDocument === true")

        token = pbx_server.login("agent1", "agent1-pass")
        saved = pbx_server.api("GET", "/api/customers?q=0712345678", token).json()["items"][0]
        notes = pbx_server.api("GET", f"/api/customers/{saved['id']}/interactions", token).json()["items"]
        assert notes[0]["call_id"], "the note is linked to the call"
        pbx_server.api("PUT", "/api/agents/me/state", token, json={"state": "logged_out"})
        call.check(timeout=30)
        browser.guard.check()
