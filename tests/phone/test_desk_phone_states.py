"""The desk's phone says what is wrong, in Chromium, without a PBX: no microphone (permission refused)
and a phone server that cannot be reached; a desk phone shows no call controls."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, Playwright, async_playwright, expect

from config.phone_settings import PhoneSettings
from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, ConsoleGuard
from tests.browser.server import LiveServer, start_server
from tests.phone_pbx.server import add_web_agents

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not HAVE_CHROMIUM:
        pytest.skip("Debian's chromium is not installed")
    live = start_server(Path(tmp_path_factory.mktemp("desk-phone")))
    # nothing listens on port 9: the phone server is unreachable (provisioning stays off)
    live.settings.phone = PhoneSettings(ws_url="ws://127.0.0.1:9/ws")
    try:
        add_web_agents(live)
        yield live
    finally:
        live.stop()


Handles = tuple[Playwright, Browser, ConsoleGuard]


async def _desk(live: LiveServer, username: str, password: str, *, microphone: bool) -> tuple[Page, Handles]:
    guard = ConsoleGuard()
    guard.allow("WebSocket connection to 'ws://127.0.0.1:9/ws' failed")  # the unreachable phone server
    playwright = await async_playwright().start()
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream"] + (["--use-fake-ui-for-media-stream"]
                                                                      if microphone else [])
    browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
    page = guard.watch(await (await browser.new_context(base_url=live.url)).new_page())
    await page.goto("/login?next=/")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_selector("body[data-ready='true']")
    return page, (playwright, browser, guard)


async def _close(handles: Handles) -> None:
    playwright, browser, guard = handles
    await browser.close()
    await playwright.stop()
    guard.check()


async def test_no_microphone_and_an_unreachable_phone_server_are_said(desk_server: LiveServer) -> None:
    page, handles = await _desk(desk_server, "webagent1", "web-agent-pass", microphone=False)
    try:
        state = page.locator("#phone-state")
        await expect(state).to_have_attribute("data-state", "no-microphone")
        await expect(page.locator("#phone-reason")).to_contain_text("Allow it and reload")
    finally:
        await _close(handles)
    page, handles = await _desk(desk_server, "webagent1", "web-agent-pass", microphone=True)
    try:
        await expect(page.locator("#phone-state")).to_have_attribute("data-state", "connecting")
        await expect(page.locator("#phone-reason")).to_contain_text("reconnecting", timeout=15_000)
        await expect(page.get_by_role("button", name="Answer")).to_be_hidden()
    finally:
        await _close(handles)


async def test_a_desk_phone_has_no_call_controls(desk_server: LiveServer) -> None:
    page, handles = await _desk(desk_server, "agent1", "agent1-pass", microphone=True)
    try:
        await expect(page.locator("#phone-state")).to_have_attribute("data-state", "desk")
        await expect(page.locator("#phone-reason")).to_contain_text("PJSIP/1001")
        await expect(page.get_by_role("button", name="Hang up")).to_be_hidden()
    finally:
        await _close(handles)
