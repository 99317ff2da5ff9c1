"""Chromium (Debian's, driven by Playwright) for the browser tests, and a guard that fails a test on
any console error or page error that the test did not expect by name."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, ConsoleMessage, Error, Page, async_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TIMEZONE = "Africa/Nairobi"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@dataclass
class ConsoleGuard:
    """Collects console errors and uncaught page errors of every page it watches."""

    allowed: list[re.Pattern[str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect errors matching ``pattern`` (e.g. the 404 of a record an agent may not open)."""
        self.allowed.append(re.compile(pattern))

    def watch(self, page: Page) -> Page:
        def on_console(msg: ConsoleMessage) -> None:
            if msg.type == "error":
                self._add(f"console error on {page.url}: {msg.text} @ {msg.location}")

        def on_page_error(err: Error) -> None:
            self._add(f"page error on {page.url}: {err.message}\n{err.stack or ''}")

        page.on("console", on_console)
        page.on("pageerror", on_page_error)
        return page

    def _add(self, text: str) -> None:
        if not any(p.search(text) for p in self.allowed):
            self.problems.append(text)

    def check(self) -> None:
        assert not self.problems, "browser errors:\n" + "\n".join(self.problems)


@dataclass
class Chromium:
    browser: Browser
    base_url: str
    guard: ConsoleGuard
    contexts: list[BrowserContext] = field(default_factory=list)

    async def page(self) -> Page:
        """A page in a fresh context (its own cookies and storage: one person each)."""
        context = await self.browser.new_context(base_url=self.base_url, timezone_id=TIMEZONE,
                                                 viewport={"width": 1440, "height": 960}, locale="en-US")
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        return self.guard.watch(await context.new_page())

    async def signed_in(self, username: str, password: str, path: str = "/") -> Page:
        page = await self.page()
        await page.goto(f"/login?next={path}")
        await page.get_by_label("Username").fill(username)
        await page.get_by_label("Password").fill(password)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(f"**{path}")
        await page.wait_for_selector("body[data-ready='true']")
        return page


@asynccontextmanager
async def chromium(base_url: str) -> AsyncIterator[Chromium]:
    if not HAVE_CHROMIUM:
        pytest.skip("Debian's chromium is not installed")
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        handle = Chromium(browser, base_url, ConsoleGuard())
        try:
            yield handle
        finally:
            for context in handle.contexts:
                await context.close()
            await browser.close()


async def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    await page.screenshot(path=str(path), full_page=False)
    return path
