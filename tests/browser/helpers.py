"""Small helpers shared by the browser tests: finding demo customers and driving by keyboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from playwright.async_api import Page

from tests.browser.server import LiveServer


def customers_of(server: LiveServer, agent: str) -> list[dict[str, Any]]:
    """The demo customers assigned to ``agent`` (read with the supervisor's token)."""
    token = server.login("supervisor", "supervisor-pass")
    items = server.api("GET", "/api/customers?limit=200", token).json()["items"]
    return [c for c in items if c["assigned_agent"] == agent]


def customer_named(server: LiveServer, name: str) -> dict[str, Any]:
    token = server.login("supervisor", "supervisor-pass")
    items = server.api("GET", f"/api/customers?q={name}", token).json()["items"]
    return next(c for c in items if c["name"] == name)


async def active_id(page: Page) -> str:
    return str(await page.evaluate("document.activeElement ? document.activeElement.id : ''"))


async def tab_to(page: Page, element_id: str, *, max_tabs: int = 3) -> None:
    """Press Tab until ``element_id`` has the focus (at most ``max_tabs`` presses)."""
    for _ in range(max_tabs):
        await page.keyboard.press("Tab")
        if await active_id(page) == element_id:
            return
    raise AssertionError(f"Tab did not reach #{element_id}; focus is on #{await active_id(page)}")


async def unlabelled_controls(page: Page) -> list[str]:
    """Visible form controls with neither a <label> nor an aria-label."""
    return list(await page.evaluate("""() => Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => el.type !== 'hidden' && el.offsetParent !== null)
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
      .map((el) => el.id || el.name || el.outerHTML.slice(0, 80))"""))


async def type_date(page: Page, day: date) -> None:
    """Type a date into the focused <input type=date> with the keyboard, in the browser's field order."""
    order = await page.evaluate("""() => new Intl.DateTimeFormat(navigator.language, {day: '2-digit', month: '2-digit',
      year: 'numeric'}).formatToParts(new Date(2026, 10, 22)).filter((p) => p.type !== 'literal').map((p) => p.type)""")
    parts = {"day": f"{day.day:02d}", "month": f"{day.month:02d}", "year": f"{day.year:04d}"}
    await page.keyboard.type("".join(parts[p] for p in order))


async def duplicate_ids(page: Page) -> list[str]:
    return list(await page.evaluate("""() => { const seen = new Set(); const dup = new Set();
      for (const el of document.querySelectorAll('[id]')) { if (seen.has(el.id)) dup.add(el.id); seen.add(el.id); }
      return [...dup]; }"""))
