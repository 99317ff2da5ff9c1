"""A desktop on a server without M-Pesa settings says so instead of offering a button that fails."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.harness import Chromium
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


async def test_without_mpesa_the_desktop_says_so(browser: Chromium, server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    page = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
    await expect(page.locator("#mpesa-off")).to_have_text("M-Pesa payment requests are not set up on this server.")
    await expect(page.locator("#mpesa-request")).to_be_hidden()
    assert await page.get_by_role("button", name="Request payment").count() == 0
    browser.guard.check()
