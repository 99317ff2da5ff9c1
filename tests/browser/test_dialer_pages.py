"""The dialer's pages: the manual Outgoing Call asks a supervisor's approval from the desktop, the
request reaches the supervisor live, the decision reaches the agent live; the supervisor sees why
the dialer is not dialling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.harness import chromium
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer, start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def dialer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    # a Wednesday 10:00 in Nairobi: inside the Kenya calling hours whatever today is
    live = start_server(Path(tmp_path_factory.mktemp("browser-dialer")), dialer=True,
                        dialer_clock=datetime(2026, 3, 4, 7, 0, tzinfo=UTC))
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
        await agent.get_by_role("button", name="Request approval").click()  # no reason is picked for the agent
        await expect(agent.locator("#manual-status")).to_have_text("Choose the reason for this call first.")
        await agent.get_by_label("Reason for calling").select_option(label="Late")
        await agent.get_by_role("button", name="Request approval").click()
        await expect(agent.locator("#manual-status")).to_contain_text("Waiting for a supervisor")
        await expect(agent.get_by_role("button", name="Call", exact=True)).to_be_disabled()
        request = sup.locator("#approvals li[data-approval-id]")
        await expect(request).to_contain_text("agent1 asks to call +254711222333")
        await expect(request).to_contain_text("Customer asked us to call her work line")
        await sup.get_by_role("button", name="Approve agent1").click()
        await expect(sup.locator("#approvals")).to_contain_text("No request is waiting.")
        await expect(agent.locator("#manual-status")).to_contain_text("Approved until")
        call = agent.get_by_role("button", name="Call", exact=True)  # approved, but this server has no phone line:
        await expect(call).to_be_disabled()  # held with the reason, as the record's Phone Call is
        await expect(call).to_have_attribute("title", re.compile(r"^The phone system \(Asterisk\) is not connected"))
        browser.guard.check()


async def test_no_phone_line_no_dialling(dialer_server: LiveServer) -> None:
    """Issue 15 item 5: no Asterisk on this server, so the agent has no line: Phone Call is disabled
    with the reason, and a dial sent anyway fails at once with it, as often as it is tried."""
    async with chromium(dialer_server.url) as browser:
        amina = customer_named(dialer_server, "Amina Wanjiru")
        agent = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
        reason = "The phone system (Asterisk) is not connected, so calls cannot be placed. Tell your supervisor."
        api = "import('/static/js/lib/api.js')"
        line = await agent.evaluate(f"{api}.then((m) => m.get('/api/dialer/line'))")
        assert line["ok"] is False and line["reason"] == reason
        call = agent.locator('[data-quick="call"]')
        await expect(call).to_be_disabled()
        await expect(call).to_have_attribute("title", reason)
        await expect(agent.locator(".no-line")).to_contain_text(reason)
        browser.guard.allow(r"status of 409 \(Conflict\).*/api/calls")  # the two refusals below
        for _ in range(2):  # nothing is held: the same sentence each time, never "already has a dial"
            status = await agent.evaluate(
                f"{api}.then((m) => m.post('/api/calls', {{customer_id: {amina['id']}}}))"
                ".then(() => 'dialled', (err) => [err.status, err.message])")
            assert status == [409, reason]
        browser.guard.check()
