"""The supervisor's and admin's side in Chromium, on a server with the dialer running: a broken
promise raises an escalation the supervisor sees live and reassigns; the call log filters to an
agent and a report's agent row drills down to that agent's calls of the day; the SLA report over
three seeded days shows the figures worked out by hand; note search; a disposition added through
the admin's form reaches an open agent desktop without a reload, and a restore takes it away again."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect
from sqlalchemy import select, update

from store.db import Database, make_engine
from store.models import AgentStateEntry, CallRecord, Customer, Interaction, PromiseToPay, User
from tests.browser.harness import SCREENSHOTS, Chromium, chromium, screenshot
from tests.browser.helpers import customer_named, duplicate_ids, unlabelled_controls
from tests.browser.server import LiveServer, start_server
from tests.supervision.sla_data import EXPECTED_DAYS, EXPECTED_TOTALS, seed_sla

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def sup_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("browser-supervision")), dialer=True)
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
async def browser(sup_server: LiveServer) -> AsyncIterator[Chromium]:
    async with chromium(sup_server.url) as handle:
        yield handle
        handle.guard.check()


async def test_a_broken_promise_escalates_live_and_is_reassigned(browser: Chromium, sup_server: LiveServer) -> None:
    token = sup_server.login("supervisor", "supervisor-pass")
    scanned = sup_server.api("POST", "/api/escalations/scan", token)  # the demo's past-due accounts, now
    assert scanned.status_code == 200 and scanned.json()["raised"] > 0, scanned.text
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    await sup.wait_for_function("(n) => document.querySelectorAll('#escalations tr[data-escalation-id]').length >= n",
                                arg=scanned.json()["raised"])
    await sup.evaluate("window.__sameDocument = true")
    before = int(await sup.locator("#esc-count").inner_text())
    amina = customer_named(sup_server, "Amina Wanjiru")
    today = datetime.now(UTC).date()  # the API takes no past date: taken for tomorrow, then 4 days ago in the store
    made = sup_server.api("POST", f"/api/customers/{amina['id']}/promises", token,
                          json={"amount": "15000", "due_date": (today + timedelta(days=1)).isoformat(),
                                "notes": "promised after payday"})
    assert made.status_code == 201, made.text
    await _move_due_date(sup_server, made.json()["id"], today - timedelta(days=4))
    # the dialer's generator marks it broken (a second or so), the escalation queue raises it, the page shows it
    row = sup.locator("#escalations tr[data-escalation-id]", has_text="Amina Wanjiru").filter(
        has_text="broken promise of KES 15,000")
    await expect(row).to_be_visible(timeout=20_000)
    await expect(row).to_have_attribute("data-state", "open")
    await expect(sup.locator("#esc-count")).not_to_have_text(str(before))
    assert int(await sup.locator("#esc-count").inner_text()) > before
    await expect(row.locator("td").nth(4)).to_have_text("agent1")
    await sup.locator("#escalations-card").screenshot(path=str(SCREENSHOTS / "escalations.png"))
    escalation_id = await row.get_attribute("data-escalation-id")
    await row.get_by_label(re.compile(r"^Reassign Amina Wanjiru")).select_option("agent2")
    await row.get_by_label(re.compile(r"^Note for Amina Wanjiru")).fill("agent2 handles payday promises")
    await row.get_by_role("button", name="Reassign").click()
    await expect(row.locator("td").nth(4)).to_have_text("agent2")
    await expect(row).to_have_attribute("data-state", "acknowledged")
    record = sup_server.api("GET", f"/api/customers/{amina['id']}", token).json()
    assert record["assigned_agent"] == "agent2"
    assert any(n["subject"] == "Escalation: account reassigned from agent1 to agent2" for n in record["interactions"])
    await row.get_by_label(re.compile(r"^Note for Amina Wanjiru")).fill("agreed a plan")
    await row.get_by_role("button", name="Close").click()
    await expect(sup.locator(f"#escalations tr[data-escalation-id='{escalation_id}']")).to_have_count(0)
    assert await sup.evaluate("window.__sameDocument === true")
    back = sup_server.api("PUT", f"/api/customers/{amina['id']}/assignee", token, json={"agent": "agent1"})
    assert back.status_code == 200, back.text


async def _move_due_date(server: LiveServer, promise_id: int, due: date) -> None:
    db = Database(make_engine(server.settings.database_url))
    try:
        async with db.session() as session:
            await session.execute(update(PromiseToPay).where(PromiseToPay.id == promise_id).values(due_date=due))
    finally:
        await db.dispose()


async def _seed_calls(server: LiveServer) -> None:
    """The SLA report's three days, and five answered calls of agent1 and agent2 on 20 November
    (queue sales: not in the SLA range) for the call log."""
    db = Database(make_engine(server.settings.database_url))
    try:
        await seed_sla(db)
        async with db.session() as session:
            users = dict((await session.execute(select(User.username, User.id))).tuples().all())
            customers = list((await session.scalars(select(Customer).order_by(Customer.id).limit(5))).all())
            start = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
            for n, agent in enumerate(["agent1", "agent2", "agent1", "agent2", "agent1"]):
                at = start + timedelta(hours=n)
                call_id = f"log/{n}"
                session.add(CallRecord(call_id=call_id, direction="inbound", queue="sales", customer_id=customers[n].id,
                                       agent_id=users[agent], offered_at=at, answered_at=at + timedelta(seconds=9),
                                       ended_at=at + timedelta(minutes=3), hold_seconds=9, talk_seconds=171,
                                       caller_number="+254712000" + str(600 + n)))
                session.add_all([
                    AgentStateEntry(user_id=users[agent], at=at + timedelta(seconds=7), state="ringing", call_id=call_id),
                    AgentStateEntry(user_id=users[agent], at=at + timedelta(seconds=9), state="on_call", call_id=call_id),
                    AgentStateEntry(user_id=users[agent], at=at + timedelta(minutes=3), state="wrap_up", call_id=call_id),
                    AgentStateEntry(user_id=users[agent], at=at + timedelta(minutes=3, seconds=42), state="ready")])
                session.add(Interaction(customer_id=customers[n].id, channel="call", call_id=call_id,
                                        operator_id=users[agent], created_at=at + timedelta(minutes=3, seconds=40),
                                        disposition_status="contacted", disposition_reason="account_discussed",
                                        disposition_resolution="closed"))
    finally:
        await db.dispose()


@pytest.fixture(scope="module")
def seeded(sup_server: LiveServer) -> LiveServer:
    asyncio.run(_seed_calls(sup_server))
    return sup_server


async def test_call_log_filters_to_an_agent_and_drills_down(browser: Chromium, seeded: LiveServer) -> None:
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    card = sup.locator("#calls-card")
    await card.get_by_label("Agent", exact=True).select_option("agent1")
    await card.get_by_label("From", exact=True).fill("2026-11-20")
    await card.get_by_label("To", exact=True).fill("2026-11-20")
    await card.get_by_role("button", name="Show calls").click()
    rows = card.locator("tbody tr")
    await expect(rows).to_have_count(3)
    assert set(await rows.evaluate_all("(rs) => rs.map((r) => r.dataset.agent)")) == {"agent1"}
    await expect(rows.first).to_contain_text("Answered")
    await expect(rows.first).to_contain_text("Contacted → Spoke to customer (general) → No further action")
    await expect(rows.first.locator("td").nth(8)).to_have_text("0:42")  # wrap-up, from the state log
    href = await card.locator("#calls-csv").get_attribute("href")
    assert href and "agent=agent1" in href and "format=csv" in href
    exported = await sup.context.request.get(href)
    assert len((await exported.text()).strip().splitlines()) == 4  # the header and three calls
    await card.screenshot(path=str(SCREENSHOTS / "call-log.png"))
    note_link = rows.first.get_by_role("link", name=re.compile(r"^note \d+$"))
    note_id = (await note_link.inner_text()).split()[1]
    await note_link.click()
    await sup.wait_for_selector("body[data-ready='true']")
    await expect(sup.locator(f"#note-{note_id}")).to_have_class(re.compile("linked"))
    await expect(sup.locator(f"#note-{note_id}")).to_be_in_viewport()
    await sup.go_back()
    await sup.wait_for_selector("body[data-ready='true']")
    card = sup.locator("#calls-card")
    rows = card.locator("tbody tr")
    # the performance report's agent row drills down to that agent's calls of the day
    reports = sup.locator("#reports-card")
    await reports.get_by_label("Report", exact=True).select_option("agents")
    await reports.get_by_label("From", exact=True).fill("2026-11-20")
    await reports.get_by_label("To", exact=True).fill("2026-11-20")
    await reports.get_by_role("button", name="Run").click()
    await reports.get_by_role("button", name="agent2's calls, 2026-11-20").click()
    await expect(rows).to_have_count(2)
    assert set(await rows.evaluate_all("(rs) => rs.map((r) => r.dataset.agent)")) == {"agent2"}
    assert await card.get_by_label("Agent", exact=True).input_value() == "agent2"
    assert not await unlabelled_controls(sup)
    assert not await duplicate_ids(sup)


def _cells(row: dict[str, Any]) -> list[str]:
    percent = f"{round(row['service_level'] * 1000) / 10:g}%"
    return [row["queue"], row["period"], str(row["offered"]), str(row["answered"]), str(row["answered_within"]),
            str(row["abandoned"]), str(row["short_abandoned"]), percent, f"{row['average_speed_of_answer']:g}",
            str(row["longest_wait"])]


async def test_sla_report_over_three_days_matches_the_hand_count(browser: Chromium, seeded: LiveServer) -> None:
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    reports = sup.locator("#reports-card")
    await reports.get_by_label("Report", exact=True).select_option("sla:day")
    await reports.get_by_label("From", exact=True).fill("2026-11-23")
    await reports.get_by_label("To", exact=True).fill("2026-11-25")
    await reports.get_by_role("button", name="Run").click()
    tables = reports.locator("#report-out table")
    await expect(tables).to_have_count(2)
    script = "(rs) => rs.map((r) => Array.from(r.cells).map((c) => c.textContent))"
    days = await tables.first.locator("tbody tr").evaluate_all(script)
    totals = await tables.nth(1).locator("tbody tr").evaluate_all(script)
    assert [[c for i, c in enumerate(r) if i != 2] for r in days] == [_cells(r) for r in EXPECTED_DAYS]
    assert [[c for i, c in enumerate(r) if i != 2] for r in totals] == [_cells(r) for r in EXPECTED_TOTALS]
    assert [r[2] for r in days] == ["20", "20", "20", "30"]  # each queue's threshold
    chart = reports.locator("svg.chart.bars")
    await expect(chart).to_be_visible()
    await expect(chart).to_have_attribute("aria-label", re.compile(r"collections 2026-11-24 33\.3%"))
    href = await reports.locator("#report-csv").get_attribute("href")
    assert href and "/api/reports/sla" in href and "format=csv" in href
    exported = await sup.context.request.get(href)
    assert len((await exported.text()).strip().splitlines()) == 1 + len(EXPECTED_DAYS)
    await reports.screenshot(path=str(SCREENSHOTS / "sla-report.png"))


async def test_note_search(browser: Chromium, sup_server: LiveServer) -> None:
    token = sup_server.login("agent1", "agent1-pass")
    amina = customer_named(sup_server, "Amina Wanjiru")
    note = sup_server.api("POST", f"/api/customers/{amina['id']}/interactions", token, json={
        "channel": "note", "purpose": "customer_service", "subject": "Inverter beeping at night",
        "detail": "Asked for a technician", "customer_mood": "confused"})
    assert note.status_code == 201, note.text
    sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
    card = sup.locator("#note-search-card")
    await card.get_by_label("Words").fill("inverter TECHNICIAN")
    await card.get_by_label("Mood").select_option("confused")
    await card.get_by_role("button", name="Search notes").click()
    rows = card.locator("tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("Amina Wanjiru")
    await expect(rows.first).to_contain_text("Customer service")
    href = await card.locator("#ns-csv").get_attribute("href")
    csv = await sup.context.request.get(href or "")
    assert "Inverter beeping at night" in await csv.text()


async def _until(read: Callable[[], Awaitable[list[str]]], ok: Callable[[list[str]], bool],
                 within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not ok(found := await read()):
        assert asyncio.get_running_loop().time() < deadline, f"still {found}"
        await asyncio.sleep(0.1)


async def _reasons_under(page: Page, status: str) -> list[str]:
    await page.get_by_label("Status (layer 1)").select_option(status)
    return list(await page.get_by_label("Reason (layer 2)").locator("option").evaluate_all(
        "(os) => os.map((o) => o.textContent)"))


async def test_a_disposition_added_in_the_form_reaches_the_desktop_and_a_restore_removes_it(
        browser: Chromium, sup_server: LiveServer) -> None:
    amina = customer_named(sup_server, "Amina Wanjiru")
    desk = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
    await desk.evaluate("window.__sameDocument = true")
    assert "Asked for a statement" not in await _reasons_under(desk, "contacted")
    admin = await browser.signed_in("admin", "admin-pass", "/admin")
    await admin.get_by_label("List", exact=True).select_option("dispositions")
    await expect(admin.locator("#config-editor")).to_have_attribute("data-state", "ready")
    form = admin.locator("#dispositions-form")
    await form.get_by_role("button", name="Add a reason under Contacted").click()
    await form.get_by_label("Code of the new reason").fill("asked_for_statement")
    await form.get_by_label("Label of reason (new)").fill("Asked for a statement")
    await form.locator("details[aria-label='Requires (fields of reason (new))'] summary").click()
    await form.get_by_label("comments: Requires (fields of reason (new))").check()
    await expect(form.locator("details[aria-label='Requires (fields of reason (new))'] summary")).to_have_text(
        "Requires: Comments")
    await admin.get_by_label("Comment", exact=True).fill("statement requests")
    await admin.get_by_role("button", name="Save as a new version").click()
    await expect(admin.locator("#toasts")).to_contain_text("dispositions version 2")
    versions = admin.locator("#config-versions li")
    await expect(versions.first).to_contain_text("Version 2")
    await expect(versions.first).to_contain_text("admin")
    await expect(versions.first).to_contain_text("statement requests")
    # the open desktop offers it, with no reload
    await _until(lambda: _reasons_under(desk, "contacted"), lambda found: "Asked for a statement" in found)
    await desk.get_by_label("Reason (layer 2)").select_option("asked_for_statement")
    await expect(desk.locator("[data-field='comments']")).to_have_class(re.compile("required"))
    await admin.get_by_role("button", name="Show changes").click()
    await expect(admin.locator("#config-diff")).to_contain_text("asked_for_statement")
    await admin.locator("#config-card").scroll_into_view_if_needed()
    await screenshot(admin, "admin-config.png")
    await admin.get_by_role("button", name="Restore version 1").click()
    await expect(admin.locator("#toasts")).to_contain_text("Version 1 restored as version 3")
    await _until(lambda: _reasons_under(desk, "contacted"), lambda found: "Asked for a statement" not in found)
    assert await desk.evaluate("window.__sameDocument === true")
    assert not await unlabelled_controls(admin)
    assert not await duplicate_ids(admin)


async def test_the_yaml_editor_marks_the_refused_line(browser: Chromium) -> None:
    admin = await browser.signed_in("admin", "admin-pass", "/admin")
    await admin.get_by_label("List", exact=True).select_option("dialer")
    await expect(admin.locator("#config-editor[data-list='dialer']")).to_have_attribute("data-state", "ready")
    text = admin.get_by_label("YAML text")
    await expect(text).to_have_value(re.compile("failed_attempts: 6"))
    original = await text.input_value()
    line = original.splitlines().index(next(x for x in original.splitlines() if "failed_attempts:" in x)) + 1
    browser.guard.allow(r"status of 422")
    await text.fill(original.replace("failed_attempts: 6 ", "failed_attempts: 0 "))
    await admin.get_by_role("button", name="Save as a new version").click()
    await expect(admin.locator("#yaml-errors")).to_contain_text(f"Line {line}: escalation.failed_attempts")
    await expect(admin.locator(f".gutter .bad[data-line='{line}']")).to_be_visible()
    await admin.locator("#yaml-errors button").first.click()
    selected = await text.evaluate("(t) => t.value.slice(t.selectionStart, t.selectionEnd)")
    assert "failed_attempts: 0" in selected


async def test_a_template_preview_uses_a_real_customer(browser: Chromium, sup_server: LiveServer) -> None:
    admin = await browser.signed_in("admin", "admin-pass", "/admin")
    await admin.get_by_label("List", exact=True).select_option("templates")
    await expect(admin.locator("#config-editor[data-list='templates']")).to_have_attribute("data-state", "ready")
    form = admin.locator("#templates-form")
    await form.get_by_label("Find a customer for the preview").fill("Amina")
    await form.get_by_role("button", name="Find", exact=True).click()
    await expect(form.get_by_label("Preview customer")).to_contain_text("Amina Wanjiru")
    body = form.get_by_label("Body of template payment_reminder")
    await body.fill("Dear {first_name}, {currency} {overdue_amount} is overdue on {account}. {grace_days_left} days left.")
    await form.get_by_role("button", name="Preview payment_reminder").click()
    shown = form.locator("[data-preview='payment_reminder']")
    amina = customer_named(sup_server, "Amina Wanjiru")
    token = sup_server.login("supervisor", "supervisor-pass")
    overdue = float(sup_server.api("GET", f"/api/customers/{amina['id']}", token).json()["summary"]["overdue_amount"])
    await expect(shown).to_contain_text(f"Dear Amina, KES {overdue:,.2f} is overdue on {amina['client_id']}.")
    await expect(shown).to_contain_text("No value for this customer: {grace_days_left}")
