"""Item 7 of issue 15: on a Sunday under the Kenya pack the agent's empty "Calls to make" says why
(the calling hours are closed, and when they open), the same sentence as the supervisor's "why am I
not dialling?". The dialer's clock is fixed to a Sunday morning in Nairobi."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.async_api import expect

from tests.browser.harness import chromium
from tests.browser.server import LiveServer, start_server

pytestmark = pytest.mark.browser

SUNDAY_10_NAIROBI = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
SENTENCE = "No calls on Sundays under the Kenya rules. Next: Mon 09 Mar 08:00 (Africa/Nairobi)."


@pytest.fixture(scope="module")
def sunday_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("browser-queue-why")), dialer=True,
                        dialer_clock=SUNDAY_10_NAIROBI)
    try:
        yield live
    finally:
        live.stop()


async def test_the_empty_queue_says_the_calling_hours_are_closed(sunday_server: LiveServer) -> None:
    async with chromium(sunday_server.url) as browser:
        agent = await browser.signed_in("agent1", "agent1-pass")
        await agent.get_by_role("tab", name="Outgoing Call").click()
        empty = agent.locator("#preview-empty")
        await expect(empty).to_have_text(f"No call is queued for you. {SENTENCE}")
        await expect(empty).to_have_attribute("data-reason", "window_closed")
        await expect(empty).not_to_contain_text("Go ready")
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        await expect(sup.locator("#dialer-status tr[data-campaign='collections']")).to_contain_text(SENTENCE)
        browser.guard.check()
