"""Issue 15 item 6: sentences, not codes. Walk the desk (the record's every section, the work list, the
call log, the pop), the supervisor page (wallboard with a paused agent, dialer status, campaigns, every
report) and the admin page on the demo data, and assert no ``snake_case`` code and no unformatted money
is visible text. In the admin's list editors a code is shown as such (a <code> element): it is the key
the admin edits, so those are skipped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from tests.browser.harness import chromium
from tests.browser.helpers import customer_named
from tests.browser.server import LiveServer, start_server

pytestmark = pytest.mark.browser
CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
RAW_MONEY = re.compile(r"\b\d{4,}\.\d{2}\b|KES\s*\d{4,}\b")  # "1777558.00", "KES 1777558"
JS_LEAK = re.compile(r"\[object \w+\]|\bundefined\b|\bNaN\b")  # a value the page failed to format

# Every visible text node (not in <code>, <script>, <style>, nor in a hidden or collapsed element).
VISIBLE_TEXT = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || !node.textContent.trim() || el.closest('code, script, style, template')) continue;
    if (!el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true })) continue;
    out.push(node.textContent.trim());
  }
  return out;
}"""

# The figures after the bars of every bar chart that do not fit in the chart (were cut off at its edge).
FIGURES_CUT = """() => [...document.querySelectorAll('svg.chart.bars')].flatMap((chart) =>
  [...chart.querySelectorAll('text.value')].filter((t) => { const b = t.getBBox(); return b.x + b.width > chart.viewBox.baseVal.width; })
    .map((t) => t.textContent))"""


@pytest.fixture(scope="module")
def dialer_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = start_server(Path(tmp_path_factory.mktemp("browser-codes")), dialer=True)
    try:
        yield live
    finally:
        live.stop()


async def _codes(page: Page, where: str, seen: dict[str, list[str]]) -> str:
    texts: list[str] = await page.evaluate(VISIBLE_TEXT)
    for text in texts:
        for bad in CODE.findall(text) + RAW_MONEY.findall(text) + JS_LEAK.findall(text):
            seen.setdefault(f"{where}: {bad}", []).append(text[:120])
    return "\n".join(texts)


async def test_no_code_is_visible_text_on_the_desk_supervisor_and_admin_pages(dialer_server: LiveServer) -> None:
    server, seen = dialer_server, {}
    amina = customer_named(server, "Amina Wanjiru")
    sup_token = server.login("supervisor", "supervisor-pass")
    agent2 = server.login("agent2", "agent2-pass")
    paused = server.api("PUT", "/api/agents/me/state", agent2, json={"state": "paused", "reason": "lunch"})
    assert paused.status_code == 200, paused.text
    async with chromium(server.url) as browser:
        desk = await browser.signed_in("agent1", "agent1-pass", f"/customers/{amina['id']}")
        await expect(desk.locator("#record-name")).to_have_text("Amina Wanjiru")
        tabs = desk.locator("#record-tabs button")
        for i in range(await tabs.count()):
            await tabs.nth(i).click()
            await desk.wait_for_load_state("networkidle")
            shown = await _codes(desk, f"record/{await tabs.nth(i).inner_text()}", seen)
            assert "Amina Wanjiru" in shown
        await desk.get_by_role("tab", name="Loan details").click()
        assert "PAYG solar home system" in await _codes(desk, "record/loans", seen)
        for tab in ("Customer Follow-Up", "Call log", "Outgoing Call"):
            await desk.get_by_role("tab", name=tab).click()
            await desk.wait_for_load_state("networkidle")
            await _codes(desk, f"desk/{tab}", seen)
        # the pop: what the carrier's ring brings, with a queue, an IVR path and a guarantor's match
        await desk.evaluate("""(m) => window.switchboard.socket.dispatchEvent(new CustomEvent('call.ringing', { detail: {
            call_id: 'default/1.1', direction: 'inbound', caller_number: '+254712345678', dialed_number: '+254709000000',
            queue: 'customer_service', ivr: { path: ['main_menu', 'balance_enquiry'] }, device: 'PJSIP/1001',
            carrier: 'asterisk', rang_at: new Date().toISOString(),
            matches: [{ customer_id: m.id, name: m.name, relation: 'relationship_officer',
                        summary: { overdue_amount: '1777558.00', days_past_due: 1234, total_balance: '2000000.00',
                                   open_promise: null, last_interaction: null } }] } }))""", amina)
        incoming = desk.locator("#tab-incoming")
        await expect(incoming).to_be_visible()
        await expect(desk.locator("#call-queue")).to_have_text("Customer service")
        await expect(desk.locator("#pop-matches")).to_contain_text("KES 1,777,558.00")
        await expect(desk.locator("#pop-matches")).to_contain_text("1,234 days past due")
        assert "Relationship officer" in await _codes(desk, "pop", seen)

        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        await expect(sup.locator("#agents-table tr[data-agent='agent2']")).to_contain_text("Paused (Lunch)")
        await expect(sup.locator("#dialer-status tr[data-campaign='customer_service']")).to_contain_text(
            "Customer service")
        await sup.wait_for_load_state("networkidle")
        await _codes(sup, "supervisor", seen)
        await sup.locator("#assign-search").get_by_role("button").click()  # every account, with its campaign
        await expect(sup.locator("#assign-results tbody tr").first).to_be_visible()
        await _codes(sup, "supervisor/assign", seen)
        async with sup.expect_response(lambda r: "/api/calls" in r.url):
            await sup.locator("#calls-form").get_by_role("button", name="Show calls").click()
        await expect(sup.locator("#calls-out")).not_to_be_empty()
        await _codes(sup, "supervisor/calls", seen)
        kinds = await sup.locator("#report-kind option").evaluate_all("(os) => os.map((o) => o.value)")
        since = (date.today() - timedelta(days=28)).isoformat()  # the hourly SLA report covers 31 days at most
        await sup.locator("#report-from").fill(since)
        for kind in kinds:
            await sup.locator("#report-kind").select_option(kind)
            async with sup.expect_response(lambda r: "/api/reports/" in r.url):
                await sup.locator("#report-form").get_by_role("button", name="Run").click()
            await expect(sup.locator("#report-out")).not_to_be_empty()
            await _codes(sup, f"report/{kind}", seen)
            for cut in await sup.evaluate(FIGURES_CUT):
                seen.setdefault(f"report/{kind}: a chart's figure runs out of the chart", []).append(cut)
        notes = server.api("GET", f"/api/reports/notes?by=type&from={since}", sup_token).json()
        assert notes["groups"], "the demo data has notes to report on"

        admin = await browser.signed_in("admin", "admin-pass", "/admin")
        await admin.wait_for_load_state("networkidle")
        await _codes(admin, "admin", seen)
    assert seen == {}, "codes or raw figures shown to users:\n" + "\n".join(
        f"{k} in {v[0]!r}" for k, v in sorted(seen.items()))
    browser.guard.check()
