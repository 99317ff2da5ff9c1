"""Issue 15, item 1 in the desk: agent1 hands a follow-up to agent2; agent2's task card names the
customer, the reason and who set it, and "Open" opens the record while the task is open."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from tests.browser.harness import TIMEZONE, Chromium, screenshot
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


async def test_a_follow_up_handed_to_another_agent_opens_for_them(browser: Chromium, server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    assert amina["assigned_agent"] == "agent1"
    browser.guard.allow(rf"404|/api/customers/{amina['id']}")
    # agent1 writes the note and hands the follow-up to agent2, due now (today in the browser's zone)
    one = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
    await expect(one.locator("#record-name")).to_have_text("Amina Wanjiru")
    await one.get_by_label("Status (layer 1)").select_option("contacted")
    await one.get_by_label("Reason (layer 2)").select_option("dispute")
    await one.get_by_label("Comments").fill("Disputes the late fee")
    await one.get_by_label("Subject").fill("Wants a senior agent about the fee")
    await one.get_by_label("Complete: no follow-up needed").uncheck()
    await one.get_by_label("Follow up by (username)").fill("agent2")
    await one.get_by_label("Follow up on").fill(datetime.now(ZoneInfo(TIMEZONE)).strftime("%Y-%m-%dT%H:%M"))
    await one.get_by_label("Instructions").fill("Call her back about the fee")
    await one.get_by_role("button", name="Save", exact=True).click()
    await expect(one.locator("#notes-error")).to_be_hidden()
    await expect(one.locator("#section-history")).to_contain_text("Wants a senior agent")

    # agent2 sees it in "My tasks" with the customer, the reason and who set it
    two = await browser.signed_in("agent2", "agent2-pass")
    card = two.locator("#task-list li.task", has_text="Wants a senior agent about the fee")
    await expect(card).to_have_count(1)
    client = amina["client_id"]
    await expect(card.locator(".task-customer")).to_have_text(f"Amina Wanjiru (client {client})")
    await expect(card.locator(".task-reason")).to_have_text("Reason: Wants a senior agent about the fee")
    await expect(card.locator(".task-instructions")).to_have_text("Call her back about the fee")
    await expect(card.locator(".task-setter")).to_have_text(re.compile(r"^Set by .+"))
    assert "agent2" not in await card.locator(".task-setter").inner_text()
    await screenshot(two, "desk-task-handed-over.png")
    await card.get_by_role("button", name="Open Amina Wanjiru").click()
    await expect(two.locator("#record-name")).to_have_text("Amina Wanjiru")
    await expect(two.locator("#record-ids")).to_contain_text("Opened for a follow-up task assigned to you")
    await expect(two.locator("#record-error")).to_be_hidden()

    # done: the record is no longer agent2's to open
    await card.get_by_role("checkbox").check()
    await expect(card).to_have_class(re.compile(r"\bdone\b"))
    await two.goto(f"/customers/{amina['id']}")
    await expect(two.locator("#record-error")).to_contain_text(f"No customer {amina['id']} was found")
    await expect(two.locator("#record")).to_be_hidden()
    browser.guard.check()
