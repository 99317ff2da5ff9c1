"""The dialer's pages: the manual Outgoing Call asks a supervisor's approval from the desktop, the
request reaches the supervisor live, the decision reaches the agent live; the supervisor sees why
the dialer is not dialling."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.harness import chromium
from tests.browser.server import LiveServer, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dialer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("browser-dialer")), dialer=True)
    try:
        yield live
    finally:
        live.stop()


async def test_outgoing_call_approval_round_trip(dialer_server: LiveServer) -> None:
    async with chromium(dialer_server.url) as browser:
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        status = sup.locator("#dialer-status tr[data-campaign='collections']")
        await expect(status).to_contain_text("No agent in this campaign is ready.")
        await expect(sup.locator("#approvals")).to_contain_text("No request is waiting.")
        agent = await browser.signed_in("agent1", "agent1-pass")
        await agent.get_by_role("tab", name="Outgoing Call").click()
        await agent.get_by_label("Find the customer by phone, name or product serial").fill("Amina")
        await agent.locator("#manual-search").get_by_role("button", name="Search").click()
        await agent.get_by_role("button", name="Select Amina Wanjiru").click()
        await agent.get_by_label("Or another number").fill("0711222333")
        await agent.get_by_label("Why this call is needed (for the supervisor)").fill("Customer asked us to call her work line")
        await agent.get_by_role("button", name="Request approval").click()
        await expect(agent.locator("#manual-status")).to_contain_text("Waiting for a supervisor")
        await expect(agent.get_by_role("button", name="Call", exact=True)).to_be_disabled()
        request = sup.locator("#approvals li[data-approval-id]")
        await expect(request).to_contain_text("agent1 asks to call +254711222333")
        await expect(request).to_contain_text("Customer asked us to call her work line")
        await sup.get_by_role("button", name="Approve agent1").click()
        await expect(sup.locator("#approvals")).to_contain_text("No request is waiting.")
        await expect(agent.locator("#manual-status")).to_contain_text("Approved until")
        await expect(agent.get_by_role("button", name="Call", exact=True)).to_be_enabled()
        browser.guard.check()
