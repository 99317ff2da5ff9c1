"""The wallboard's override: a supervisor puts an agent left on a dead call back to ready.

agent3's presence row says "on a call" for a call that ended unseen (what a failover can leave).
On the supervisor's wallboard the agent's row has "Set ready" and "Log out"; pressing "Set ready"
changes the row at once (and the agent's own desktop), and the audit log has the override.
"""

from __future__ import annotations

import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime

import pytest
from playwright.async_api import expect

from tests.browser.harness import Chromium
from tests.browser.server import LiveServer

pytestmark = pytest.mark.browser
STALE_CALL = "default/1765000000.7"


def _sql(server: LiveServer, statement: str, *params: object) -> list[tuple[object, ...]]:
    path = server.settings.database_url.split("///", 1)[1]
    with closing(sqlite3.connect(path, timeout=10)) as db, db:
        return list(db.execute(statement, params))


async def test_a_supervisor_sets_a_stuck_agent_ready_from_the_wallboard(browser: Chromium, server: LiveServer) -> None:
    token = server.login("agent3", "agent3-pass")
    assert server.api("PUT", "/api/agents/me/state", token, json={"state": "ready"}).status_code == 200
    [(user_id,)] = _sql(server, "SELECT id FROM users WHERE username = 'agent3'")
    _sql(server, "UPDATE agent_presence SET state = 'on_call', call_id = ?, since = ? WHERE user_id = ?",
         STALE_CALL, datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"), user_id)
    refused = server.api("PUT", "/api/agents/me/state", token, json={"state": "ready"})
    assert refused.status_code == 422  # the agent cannot leave a call the carrier never ended

    agent = await browser.signed_in("agent3", "agent3-pass")
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    row = sup.locator("#agents-table tr[data-agent='agent3']")
    await expect(row.locator("[data-agent-state]")).to_have_attribute("data-agent-state", "on_call")
    await expect(row).to_contain_text(STALE_CALL)
    await expect(row.get_by_role("button", name=re.compile(r"^Log .+ out$"))).to_be_visible()
    await row.get_by_role("button", name=re.compile(r"^Set .+ ready$")).click()
    await expect(row.locator("[data-agent-state]")).to_have_attribute("data-agent-state", "ready")
    await expect(sup.locator("#toasts")).to_contain_text("is now")
    await expect(row).not_to_contain_text(STALE_CALL)
    await expect(agent.locator("#state-pill")).to_have_text("Ready")  # the agent's desktop follows
    [(actor, details)] = _sql(server, "SELECT u.username, a.details FROM audit_log a JOIN users u ON u.id = a.actor_id "
                                      "WHERE a.action = 'agent_state_forced' AND a.entity_id = 'agent3'")
    assert actor == "supervisor" and '"from": "on_call"' in str(details) and STALE_CALL in str(details)
    assert server.api("PUT", "/api/agents/me/state", token, json={"state": "logged_out"}).status_code == 200
    browser.guard.check()
