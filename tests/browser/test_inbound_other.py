"""Issue 15, item 2 in the desk: on a live inbound call, agent3 identifies a caller who is agent1's
customer from the minimum (name, masked phone, client ID, end of the ID) and opens the record for
the call; outside a call the same search finds only agent3's own customers."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import Chromium, screenshot
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser
CALL = "default/1766000000.15"


def _sql(server: LiveServer, statement: str, *params: object) -> list[tuple[object, ...]]:
    path = server.settings.database_url.split("///", 1)[1]
    with closing(sqlite3.connect(path, timeout=10)) as db, db:
        return list(db.execute(statement, params))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


async def _search(page: Page, text: str) -> None:
    await page.locator("#existing-q").get_by_label("Yes").check()
    await page.get_by_label("Search by name, phone, government ID, client ID or serial").fill(text)
    await page.get_by_role("button", name="Search", exact=True).click()


async def test_an_inbound_caller_of_another_agent_is_identified_and_opened(browser: Chromium,
                                                                           server: LiveServer) -> None:
    amina = customer_named(server, "Amina Wanjiru")
    assert amina["assigned_agent"] == "agent1"
    browser.guard.allow(rf"404|/api/customers/{amina['id']}")
    page = await browser.signed_in("agent3", "agent3-pass")
    await page.get_by_role("tab", name="Incoming Call").click()

    # no call: the search covers agent3's own customers only
    await _search(page, "Amina Wanjiru")
    await expect(page.locator("#client-search-note")).to_have_text("No live call: searching your own customers only.")
    await expect(page.locator("#client-search-results")).to_have_text("No client found.")

    # a live inbound call from Amina's phone, answered by agent3 (what the carrier and the pop leave behind)
    [(agent3,)] = _sql(server, "SELECT id FROM users WHERE username = 'agent3'")
    token = server.login("agent3", "agent3-pass")
    assert server.api("PUT", "/api/agents/me/state", token, json={"state": "ready"}).status_code == 200
    _sql(server, "INSERT INTO call_records (call_id, direction, carrier, server, caller_number, queue, ivr, agent_id,"
                 " offered_at, answered_at, abandoned) VALUES (?, 'inbound', 'asterisk', 'default', ?, 'collections',"
                 " '[]', ?, ?, ?, 0)", CALL, amina["phone"], agent3, _now(), _now())
    _sql(server, "UPDATE agent_presence SET state = 'on_call', call_id = ?, since = ? WHERE user_id = ?",
         CALL, _now(), agent3)
    call = {"call_id": CALL, "state": "answered", "direction": "inbound", "caller_number": amina["phone"],
            "queue": "collections", "matches": [], "reason_code": None}
    try:
        await page.evaluate("(call) => sessionStorage.setItem('sb.desk.call', call)", json.dumps(call))
        await page.reload()
        await page.wait_for_selector("body[data-ready='true']")
        await expect(page.locator("#state-pill")).to_have_attribute("data-state", "on_call")
        await expect(page.locator("#call-status")).to_have_text("Answered: on the call")
        await _search(page, "Amina Wanjiru")
        await expect(page.locator("#client-search-note")).to_contain_text("On a call: searching all customers")
        found = page.locator(f"#client-search-results li[data-customer-id='{amina['id']}']")
        await expect(found).to_contain_text("Amina Wanjiru")
        masked = amina["phone"][:4] + "*" * (len(amina["phone"]) - 7) + amina["phone"][-3:]
        await expect(found).to_contain_text(f"Phone {masked}")
        if amina["client_id"]:
            await expect(found).to_contain_text(f"Client ID {amina['client_id']}")
        if amina["government_id"]:
            await expect(found).to_contain_text(f"ID ending {amina['government_id'][-3:]}")
        text = await found.inner_text()
        assert amina["phone"] not in text and "agent1" not in text
        if amina["government_id"]:
            assert amina["government_id"] not in text
        await screenshot(page, "desk-inbound-other-agents-customer.png")
        await found.get_by_role("button", name="This is the caller: open Amina Wanjiru").click()
        await expect(page.locator("#record-name")).to_have_text("Amina Wanjiru")
        await expect(page.locator("#record-ids")).to_contain_text("Opened for this call")
        await expect(page.locator("#record-error")).to_be_hidden()
        granted = _sql(server, "SELECT details FROM audit_log WHERE action = 'call_scoped_grant' AND actor_id = ?"
                               " AND customer_id = ?", agent3, amina["id"])
        assert len(granted) == 1 and CALL in str(granted[0][0])
        reads = _sql(server, "SELECT count(*) FROM audit_log WHERE action = 'call_scoped_read' AND actor_id = ?"
                             " AND customer_id = ?", agent3, amina["id"])
        assert reads[0][0] >= 1
    finally:
        _sql(server, "UPDATE call_records SET ended_at = ? WHERE call_id = ?", _now(), CALL)
        _sql(server, "DELETE FROM call_access_grants WHERE call_id = ?", CALL)
        _sql(server, "UPDATE agent_presence SET state = 'logged_out', call_id = NULL WHERE user_id = ?", agent3)
        await page.evaluate("sessionStorage.removeItem('sb.desk.call')")
    browser.guard.check()
