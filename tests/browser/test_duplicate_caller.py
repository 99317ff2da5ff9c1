"""Issue 15, item 3 in the desk: the new-caller form answers an existing customer's phone with who
has it and offers to open them; with a government ID on record, "Create anyway" needs a reason,
which is kept as a note on the new record."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Chromium, screenshot
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


async def _new_caller(page: Page, name: str, phone: str, government_id: str = "") -> None:
    await page.get_by_role("tab", name="Incoming Call").click()
    await page.locator("#existing-q").get_by_label("No").check()
    form = page.locator("#new-caller")
    await form.get_by_label("Full name").fill(name)
    await form.get_by_label("Phone number (10 digits)").fill(phone)
    await form.get_by_label("Government ID", exact=True).fill(government_id)
    await form.get_by_role("button", name="Save and continue").click()


async def test_the_new_caller_form_names_the_owner_and_needs_a_reason(browser: Chromium, server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    assert amina["assigned_agent"] == "agent1" and amina["government_id"]
    owner = f"Amina Wanjiru (client {amina['client_id']})"
    browser.guard.allow(r"409 \(Conflict\)")  # the refused create, shown in words on the form
    page = await browser.signed_in("agent1", "agent1-pass")
    created: list[int] = []
    page.on("response", lambda r: created.append(r.status) if r.request.method == "POST"
            and r.url.endswith("/api/customers") else None)

    # her own number: refused with who has it, and "Open … instead" opens her
    await _new_caller(page, "A. Wanjiru", "0712 345 678")
    await expect(page.locator("#nc-error")).to_contain_text(f"This number belongs to {owner}.")
    await page.locator("#nc-duplicate").scroll_into_view_if_needed()
    await screenshot(page, "desk-new-caller-duplicate.png")
    await page.get_by_role("button", name=f"Open {owner} instead").click()
    await expect(page.locator("#record-name")).to_have_text("Amina Wanjiru")
    assert await page.locator("#record").get_attribute("data-customer-id") == str(amina["id"])
    assert created == [409]

    # a new number with her government ID: created only with a reason, which is kept
    await _new_caller(page, "Baraka Wanjiru", "0798111222", amina["government_id"])
    await expect(page.locator("#nc-error")).to_contain_text(f"This government ID belongs to {owner}.")
    await page.get_by_role("button", name="Create anyway").click()
    await expect(page.locator("#nc-error")).to_contain_text("Give the reason for creating a new customer anyway")
    assert created == [409, 409]
    await expect(page.get_by_label("Reason to create a new customer anyway")).to_be_focused()
    await page.get_by_label("Reason to create a new customer anyway").fill("Her son; he showed his mother's ID card")
    await page.get_by_role("button", name="Create anyway").click()
    await expect(page.locator("#record-name")).to_have_text("Baraka Wanjiru")
    assert created == [409, 409, 201]
    await page.locator("#rtab-history").click()
    await expect(page.locator("#section-history")).to_contain_text("Her son; he showed his mother's ID card")
    await expect(page.locator("#section-history")).to_contain_text(f"same government ID as {owner}")
    browser.guard.check()
