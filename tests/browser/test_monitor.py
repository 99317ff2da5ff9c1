"""Live monitoring in the browser (issue 22): the wallboard's Listen / Whisper / Barge, and the notice
on the agent's desk.

agent2 is on a call (its rows written as the live layer would). On the supervisor's wallboard
agent2's row has Listen, Whisper and Barge; Listen asks the API (the supervisor's phone is
PJSIP/1004; this server has no PBX, so the session stays requested) and says so; agent2's desk
shows "A supervisor is listening to this call." until the supervisor presses Stop.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from playwright.async_api import expect

from tests.browser.harness import Chromium
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser
CALL = "default/1765000000.22"


def _sql(server: LiveServer, statement: str, *params: object) -> list[tuple[object, ...]]:
    path = server.settings.database_url.split("///", 1)[1]
    with closing(sqlite3.connect(path, timeout=10)) as db, db:
        return list(db.execute(statement, params))


async def test_a_supervisor_listens_from_the_wallboard_and_the_agent_is_told(browser: Chromium,
                                                                              server: LiveServer) -> None:
    token = server.login("agent2", "agent2-pass")
    assert server.api("PUT", "/api/agents/me/state", token, json={"state": "ready"}).status_code == 200
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    [(agent_id,)] = _sql(server, "SELECT id FROM users WHERE username = 'agent2'")
    _sql(server, "INSERT INTO call_records (call_id, direction, carrier, server, ivr, agent_id, device, offered_at, "
                 "answered_at, abandoned) VALUES (?, 'inbound', 'asterisk', 'default', '[]', ?, 'PJSIP/1002', ?, ?, 0)",
         CALL, agent_id, now, now)
    _sql(server, "UPDATE agent_presence SET state = 'on_call', call_id = ?, since = ? WHERE user_id = ?",
         CALL, now, agent_id)
    _sql(server, "UPDATE users SET extension = 'PJSIP/1004' WHERE username = 'supervisor'")
    try:
        desk = await browser.signed_in("agent2", "agent2-pass")
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        row = sup.locator("#agents-table tr[data-agent='agent2']")
        for mode in ("Listen", "Whisper", "Barge"):
            await expect(row.get_by_role("button", name=f"{mode} to Brian Kiprono's call")).to_be_visible()
        await row.get_by_role("button", name="Listen to Brian Kiprono's call").click()
        await expect(sup.locator("#toasts")).to_contain_text("Calling your phone to listen to Brian Kiprono's call.")
        notice = desk.locator("#monitor-notice")
        await expect(notice).to_have_text("A supervisor is listening to this call.")
        await row.get_by_role("button", name="Stop monitoring Brian Kiprono's call").click()
        await expect(sup.locator("#toasts")).to_contain_text("You left the call.")
        await expect(notice).to_be_hidden()
        [(mode, status, supervisor)] = _sql(server, "SELECT m.mode, m.status, u.username FROM monitor_sessions m "
                                                    "JOIN users u ON u.id = m.supervisor_id WHERE m.call_id = ?", CALL)
        assert (mode, status, supervisor) == ("listen", "ended", "supervisor")
        browser.guard.check()
    finally:
        _sql(server, "UPDATE call_records SET ended_at = ? WHERE call_id = ?", now, CALL)
        _sql(server, "UPDATE agent_presence SET state = 'ready', call_id = NULL WHERE user_id = ?", agent_id)
        _sql(server, "UPDATE users SET extension = NULL WHERE username = 'supervisor'")
        server.api("PUT", "/api/agents/me/state", token, json={"state": "logged_out"})


async def test_the_supervisor_page_has_the_desks_phone_bar(browser: Chromium, server: LiveServer) -> None:
    """The supervisor's page mounts the desk's phone bar (so a Listen rings the browser phone there): with
    no extension there is no phone and no bar; with a desk phone the bar says which phone rings. The
    desk's call-only controls (hold, transfers, pausing the recording) are not on this page."""
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    await expect(sup.locator("body")).to_have_attribute("data-ready", "true")
    await expect(sup.locator("#phonebar")).to_be_hidden()
    _sql(server, "UPDATE users SET extension = 'PJSIP/1004' WHERE username = 'supervisor'")
    try:
        await sup.reload()
        bar = sup.locator("#phonebar")
        await expect(bar).to_be_visible()
        await expect(bar.locator("#phone-state")).to_have_text("Desk phone")
        await expect(bar.locator("#phone-reason")).to_have_text("Calls ring PJSIP/1004.")
        for name in ("Answer", "Hang up", "Mute", "Keypad"):
            await expect(bar.get_by_role("button", name=name, exact=True)).to_be_hidden()
        assert await sup.locator("#phone-hold, #phone-transfer-toggle, #phone-record").count() == 0
        browser.guard.check()
    finally:
        _sql(server, "UPDATE users SET extension = NULL WHERE username = 'supervisor'")
