"""Each page loads for its role with no console error; the state bar follows the agent's state."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Route, expect

from tests.browser.harness import Chromium

pytestmark = pytest.mark.browser


async def test_agent_desktop_state_bar(browser: Chromium) -> None:
    page = await browser.signed_in("agent3", "agent3-pass")
    pill = page.locator("#state-pill")
    await expect(pill).to_have_text("Logged out")
    shown = await page.evaluate("""() => [...document.querySelectorAll('[hidden]')]
        .filter((el) => el.checkVisibility()).map((el) => el.id || el.className)""")
    assert shown == [], f"elements marked hidden but shown (the call's empty details were): {shown}"
    await page.get_by_role("button", name="Ready").click()
    await expect(pill).to_have_text("Ready")
    await expect(pill).to_have_attribute("data-state", "ready")
    await page.get_by_label("Pause code").select_option("lunch")
    await page.get_by_role("button", name="Pause", exact=True).click()
    await expect(pill).to_have_text("Paused")
    await expect(page.locator("#state-reason")).to_have_text("Lunch")
    await expect(page.locator("#state-clock")).to_have_text("0:01", timeout=5000)
    await page.get_by_role("button", name="Leave queue").click()
    await expect(pill).to_have_text("Logged out")
    browser.guard.check()


async def test_pages_need_sign_in_and_role(browser: Chromium) -> None:
    page = await browser.page()
    await page.goto("/supervisor")
    await page.wait_for_url("**/login?next=%2Fsupervisor")
    agent = await browser.signed_in("agent2", "agent2-pass")
    await agent.goto("/admin")
    await agent.wait_for_url(browser.base_url + "/")
    await expect(agent.locator("nav[aria-label='Main'] a")).to_have_count(1)
    browser.guard.check()


async def test_admin_and_supervisor_pages_load(browser: Chromium) -> None:
    admin = await browser.signed_in("admin", "admin-pass", "/admin")
    await expect(admin.get_by_label("Extension of agent1")).to_have_value("PJSIP/1001")
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    await expect(sup.locator("#agents-table")).to_contain_text("Grace Achieng")
    browser.guard.check()


@pytest.mark.parametrize(("status", "body", "content_type"), [
    (502, "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>", "text/html"),
    (500, '{"error_id": "internal-error", "message": "internal error", "details": {}}', "application/json"),
])
async def test_a_server_failure_reads_as_a_sentence(browser: Chromium, status: int, body: str,
                                                    content_type: str) -> None:
    """A proxy's HTML page or our bare 500 is never shown as it came: the person reads what happened
    and what to do, with no status code and no markup."""
    browser.guard.allow(f"status of {status}")
    page = await browser.signed_in("agent3", "agent3-pass")

    async def fail(route: Route) -> None:
        await route.fulfill(status=status, body=body, content_type=content_type)

    await page.route("**/api/agents/me/state", fail)
    await page.get_by_role("button", name="Ready").click()
    toast = page.locator("#toasts .toast.error")
    await expect(toast).to_have_text("Could not change state: The server had a problem and could not finish this. "
                                     "Try again; if it keeps happening, tell your supervisor.")
    await expect(page.locator("#state-pill")).to_have_text("Logged out")
    browser.guard.check()


async def test_a_late_answer_does_not_undo_a_newer_state(browser: Chromium) -> None:
    """The desk reads the agent's state when its socket says hello. When that answer comes back after
    the agent pressed Ready (a slow server), the older "Logged out" must not replace "Ready"."""
    page = await browser.page()
    held: list[Route] = []
    release = asyncio.Event()

    async def late(route: Route) -> None:
        answer = await route.fetch()  # read now (logged out) ...
        held.append(route)
        await release.wait()  # ... delivered after the agent's Ready has been shown
        await route.fulfill(response=answer)

    await page.route("**/api/agents/me", late)
    await page.goto("/login?next=/")
    await page.get_by_label("Username").fill("agent3")
    await page.get_by_label("Password").fill("agent3-pass")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("body[data-ready='true']")
    for _ in range(150):  # the hello's read is held (15 s at most)
        if held:
            break
        await asyncio.sleep(0.1)
    assert held, "the desk never read the agent's state"
    pill = page.locator("#state-pill")
    await page.get_by_role("button", name="Ready").click()
    await expect(pill).to_have_text("Ready")
    async with page.expect_event("requestfinished", lambda r: r.url.endswith("/api/agents/me")):
        release.set()
    await page.wait_for_timeout(300)  # the page renders what it got right after reading it
    assert await pill.inner_text() == "Ready"
    await page.get_by_role("button", name="Leave queue").click()
    await expect(pill).to_have_text("Logged out")
    browser.guard.check()


async def test_signing_out_in_one_window_says_so_in_the_other(browser: Chromium) -> None:
    """Every session of the user ends: the other window goes to the sign-in page, which says why,
    and the agent who was Ready is out of the queues."""
    first = await browser.signed_in("agent3", "agent3-pass")
    second = await browser.signed_in("agent3", "agent3-pass")
    await first.get_by_role("button", name="Ready").click()
    await expect(first.locator("#state-pill")).to_have_text("Ready")
    await second.get_by_role("button", name="Sign out").click()
    await first.wait_for_url("**/login?**")
    await expect(first.locator("#login-error")).to_have_text(
        "You were signed out: the session ended in another tab or window, or your account changed. Sign in again.")
    again = await browser.signed_in("agent3", "agent3-pass")
    await expect(again.locator("#state-pill")).to_have_text("Logged out")
    browser.guard.check()
