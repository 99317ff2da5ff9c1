"""Issue 15 item 11 in the desk: an agent edits an alternative contact, then removes it; it stays in the history."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.harness import Chromium
from tests.browser.helpers import customers_of
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


async def test_agent_edits_then_removes_an_alternative_contact(browser: Chromium, server: LiveServer) -> None:
    customer = customers_of(server, "agent1")[1]
    page = await browser.signed_in("agent1", "agent1-pass", f"/customers/{customer['id']}")
    await page.get_by_role("tab", name="Alternative contacts").click()
    section = page.locator("#section-contacts")
    await page.get_by_role("button", name="Add Alternative Contact").click()
    await page.get_by_label("Name", exact=True).fill("Jane Chebet")
    await page.get_by_label("Relationship to the customer").fill("cousin")
    await page.locator("#ac-phone").fill("0733555111")
    await page.locator("#contact-form").get_by_role("button", name="Save").click()
    await expect(section).to_contain_text("+254733555111")

    await section.get_by_role("button", name="Edit Jane Chebet").click()
    await expect(page.locator("#ac-phone")).to_have_value("0733555111")
    await page.get_by_label("Name", exact=True).fill("Jane C. Chebet")
    await page.locator("#ac-phone").fill("0733555222")
    await page.locator("#contact-form").get_by_role("button", name="Save").click()
    await expect(section.locator("table").first).to_contain_text("Jane C. Chebet")
    await expect(section.locator("table").first).to_contain_text("+254733555222")
    await expect(section.locator("table").first).not_to_contain_text("+254733555111")

    await section.get_by_role("button", name="Remove Jane C. Chebet").click()
    await expect(section.locator(".confirm-bar")).to_contain_text("Remove Jane C. Chebet (0733555222)")
    await section.get_by_role("button", name="Yes, remove").click()
    await expect(section.locator("table").first).not_to_contain_text("Jane C. Chebet")
    removed = section.locator("#removed-contacts")
    await expect(removed).to_contain_text("Removed contacts (1)")

    await page.reload()  # the server kept it: still listed as removed, not as a contact
    await page.get_by_role("tab", name="Alternative contacts").click()
    await expect(page.locator("#removed-contacts")).to_contain_text("Removed contacts (1)")
    token = server.login("supervisor", "supervisor-pass")
    listed = server.api("GET", f"/api/customers/{customer['id']}/contacts?include_removed=true", token)
    assert listed.status_code == 200, listed.text
    jane = [c for c in listed.json()["items"] if c["name"] == "Jane C. Chebet"]
    assert len(jane) == 1 and jane[0]["removed_at"] is not None and jane[0]["phone"] == "+254733555222"
    browser.guard.check()
