"""Issue 15, item 9 in the desk: an agent whose zone is not the browser's nor the centre's enters a
callback time and sees it back the same, labelled with its zone; the record shows the customer's local
time next to the agent's."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.browser.harness import Chromium
from tests.browser.helpers import customers_of
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser

AGENT_ZONE = "Asia/Tokyo"  # +09:00, no daylight saving: 14:43 there is 05:43 UTC
BROWSER_ZONE = "America/New_York"  # the machine's own zone must play no part


async def test_an_agent_enters_a_callback_in_their_zone_and_sees_it_back(browser: Chromium,
                                                                         server: LiveServer) -> None:
    customer = customers_of(server, "agent2")[0]
    context = await browser.browser.new_context(base_url=browser.base_url, timezone_id=BROWSER_ZONE,
                                                viewport={"width": 1440, "height": 960}, locale="en-US")
    context.set_default_timeout(15_000)
    browser.contexts.append(context)
    page = browser.guard.watch(await context.new_page())
    token = server.login("agent2", "agent2-pass")
    try:
        await page.goto(f"/login?next=/customers/{customer['id']}")
        await page.get_by_label("Username").fill("agent2")
        await page.get_by_label("Password").fill("agent2-pass")
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_selector("body[data-ready='true']")
        assert await page.get_attribute("body", "data-timezone") == "Africa/Nairobi"  # the centre's by default

        # the agent picks their zone; the page comes back in it
        await page.get_by_label("Times in").select_option(AGENT_ZONE)
        await page.wait_for_selector(f"body[data-timezone='{AGENT_ZONE}'][data-ready='true']")
        await expect(page.locator("#record-name")).to_have_text(customer["name"])
        # the customer's local time beside the agent's, each with its zone
        clock = page.locator("#record-clock")
        await expect(clock).to_contain_text(re.compile(
            rf"Customer's local time \d\d:\d\d GMT\+3 \({customer['timezone']}\) · yours \d\d:\d\d GMT\+9"))

        # a callback entered at 14:43 in the agent's zone: the label names the zone
        await page.get_by_label("Status (layer 1)").select_option("contacted")
        await page.get_by_label("Reason (layer 2)").select_option("call_back")
        callback = page.get_by_label(re.compile(r"^Call back at \(Asia/Tokyo, GMT\+9\)"))
        await expect(callback).to_be_visible()
        await callback.fill("2026-12-20T14:43")
        await page.get_by_role("button", name="Save", exact=True).click()
        await expect(page.locator("#notes-error")).to_be_hidden()
        # ... and it comes back as 14:43, labelled, not as the browser's or the centre's clock
        await expect(page.locator("#section-history")).to_contain_text("Callback 20 Dec 2026, 14:43 GMT+9")
        notes = server.api("GET", f"/api/customers/{customer['id']}/interactions?limit=5", token).json()["items"]
        assert next(n["callback_at"] for n in notes if n["callback_at"]).startswith("2026-12-20T05:43:00")
        browser.guard.check()
    finally:
        server.api("PUT", "/api/auth/me/timezone", token, json={"timezone": None})
