"""Live updates without a reload, and resilience: the supervisor's wallboard follows agent states,
a lost socket shows a banner (never a sign-out), keeps the form, and resumes what it missed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.async_api import expect

from domain.clock import local_today
from tests.browser.harness import Chromium
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser


async def test_wallboard_follows_agents_and_promises_without_reload(browser: Chromium, server: LiveServer) -> None:
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    await sup.evaluate("window.__sameDocument = true")
    row = sup.locator("#agents-table tr[data-agent='agent2'] [data-agent-state]")
    agent = await browser.signed_in("agent2", "agent2-pass")
    await agent.get_by_role("button", name="Ready").click()
    await expect(row).to_have_attribute("data-agent-state", "ready")
    await agent.get_by_label("Pause code").select_option("training")
    await agent.get_by_role("button", name="Pause", exact=True).click()
    await expect(row).to_have_attribute("data-agent-state", "paused")
    await expect(row).to_contain_text("(Training)")
    due = int(await sup.locator("#promises-count").inner_text())  # promises DUE today
    made = int(await sup.locator("#promises-made").inner_text())  # promises taken today
    token = server.login("agent1", "agent1-pass")
    amina = customer_named(server, "Amina Wanjiru")
    today = local_today(server.settings.timezone)  # the centre's day
    res = server.api("POST", f"/api/customers/{amina['id']}/interactions", token, json={
        "disposition": {"status": "contacted", "reason": "promise_to_pay"},
        "promised_amount": "2000", "promised_date": (today + timedelta(days=2)).isoformat()})
    assert res.status_code == 201, res.text
    await expect(sup.locator("#promises-made")).to_have_text(str(made + 1))
    await expect(sup.locator("#promises-count")).to_have_text(str(due))  # due in two days: not today's
    res = server.api("POST", f"/api/customers/{amina['id']}/promises", token,
                     json={"amount": "500", "due_date": today.isoformat()})
    assert res.status_code == 201, res.text
    await expect(sup.locator("#promises-count")).to_have_text(str(due + 1))
    await expect(sup.locator("#promises-made")).to_have_text(str(made + 2))
    assert await sup.evaluate("window.__sameDocument === true")
    await agent.get_by_role("button", name="Leave queue").click()
    await expect(row).to_have_attribute("data-agent-state", "logged_out")
    browser.guard.check()


async def test_reports_chart_and_csv(browser: Chromium) -> None:
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    await sup.get_by_label("Report", exact=True).select_option("notes:operator")
    await sup.get_by_role("button", name="Run").click()
    out = sup.locator("#report-out")
    await expect(out.locator("svg.chart.bars")).to_be_visible()
    await expect(out.locator("table")).to_contain_text("agent1")
    href = await sup.locator("#report-csv").get_attribute("href")
    assert href and "format=csv" in href
    csv = await sup.context.request.get(href)  # with the page's sign-in cookie
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv")
    assert (await csv.text()).splitlines()[0].startswith("group,id,created_at")
    await sup.get_by_label("Report", exact=True).select_option("agents")
    await sup.get_by_role("button", name="Run").click()
    await expect(out).to_contain_text("Agent activity and performance")
    browser.guard.check()


async def test_lost_socket_banner_keeps_form_and_resumes(browser: Chromium, server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    page = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
    await page.get_by_label("Subject").fill("Half-written note")
    await page.get_by_label("Comments").fill("Customer was explaining the M-Pesa delay when")
    await page.evaluate("window.__sameDocument = true")
    await page.context.set_offline(True)
    await page.evaluate("window.switchboard.socket.drop()")
    banner = page.locator("#conn-banner")
    await expect(banner).to_be_visible()
    await expect(banner).to_contain_text("Connection lost")
    token = server.login("agent1", "agent1-pass")  # meanwhile the agent's state changes elsewhere
    assert server.api("PUT", "/api/agents/me/state", token, json={"state": "paused", "reason": "meeting"}).status_code == 200
    await page.wait_for_timeout(1500)
    await expect(page.locator("#state-pill")).not_to_have_text("Paused")  # offline: not seen yet
    assert "/login" not in page.url
    await expect(page.get_by_label("Subject")).to_have_value("Half-written note")
    await page.context.set_offline(False)
    await expect(page.locator("#state-pill")).to_have_text("Paused")  # the missed event, resumed
    await expect(page.locator("#state-reason")).to_have_text("Meeting")
    await expect(banner).to_be_hidden()
    assert await page.evaluate("window.__sameDocument === true")
    await expect(page.get_by_label("Comments")).to_have_value("Customer was explaining the M-Pesa delay when")
    await page.reload()
    await page.wait_for_selector("body[data-ready='true']")
    await expect(page.get_by_label("Subject")).to_have_value("Half-written note")
    assert server.api("PUT", "/api/agents/me/state", token, json={"state": "logged_out"}).status_code == 200
    browser.guard.check()


async def test_admin_edits_pause_codes_with_validation(browser: Chromium) -> None:
    """The pause codes form: a refused code is marked and explained; the saved version reaches a
    desktop that is already open (no reload), and the installation's files are not written."""
    agent = await browser.signed_in("agent3", "agent3-pass")
    await agent.evaluate("window.__sameDocument = true")
    admin = await browser.signed_in("admin", "admin-pass", "/admin")
    await admin.get_by_label("List", exact=True).select_option("pause_codes")
    await expect(admin.locator("#config-editor[data-list='pause_codes']")).to_have_attribute("data-state", "ready")
    form = admin.locator("#pause-form")
    await expect(form.get_by_label("Label of pause code lunch")).to_have_value("Lunch")
    browser.guard.allow(r"status of 422")
    await form.get_by_role("button", name="Add a pause code").click()
    await form.get_by_label("Code of the new pause code").fill("Bad Code!")
    await form.get_by_label("Label of pause code (new)").fill("Coaching session")
    await admin.get_by_role("button", name="Save as a new version").click()
    errors = admin.locator("#config-error")
    await expect(errors).to_be_visible()
    await expect(errors).to_contain_text("pause_codes.6.code")
    await expect(form.locator("tr[data-path='pause_codes.6']")).to_have_attribute("aria-invalid", "true")
    await form.get_by_label("Code of the new pause code").fill("coaching")
    await admin.get_by_label("Comment", exact=True).fill("coaching sessions")
    await admin.get_by_role("button", name="Save as a new version").click()
    await expect(errors).to_be_hidden()
    await expect(admin.locator("#toasts")).to_contain_text("Saved")
    await expect(agent.get_by_label("Pause code").locator("option[value='coaching']")).to_have_text("Coaching session")
    assert await agent.evaluate("window.__sameDocument === true")
    browser.guard.check()
