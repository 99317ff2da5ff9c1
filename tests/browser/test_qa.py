"""Issue 22, quality scoring in Chromium: the supervisor picks a call from the week's calls to score,
its recording plays while they answer the scorecard (a refused answer is shown on its question),
saves the score; the agent sees the scored call on the desk and acknowledges it; the QA report
shows it. No code is visible text on the way."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from playwright.async_api import Page, expect
from sqlalchemy import select

from store.db import Database, make_engine
from store.models import CallRecord, Customer, Recording, RecordingStatus, User
from tests.browser.harness import chromium, screenshot
from tests.browser.server import LiveServer, _prepare, build_app, make_settings
from tests.browser.test_no_codes import CODE, VISIBLE_TEXT
from tests.recordings.wavs import tone_wav

pytestmark = pytest.mark.browser
CALL_ID = "qa-browser-1"
CALL_AT = datetime.now(UTC) - timedelta(hours=1)
CALL_DAY = CALL_AT.astimezone(ZoneInfo("Africa/Nairobi")).date().isoformat()  # the week shown holds this day


@pytest.fixture(scope="module")
def qa_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own: its recordings in a directory of the test (the shared one writes none)."""
    root = Path(tmp_path_factory.mktemp("browser-qa"))
    base = make_settings(root)
    settings = base.model_copy(update={"recordings": base.recordings.model_copy(
        update={"local_dir": root / "recordings"})})
    asyncio.run(_prepare(settings.database_url))
    asyncio.run(_recorded_call(settings.database_url))
    (root / "recordings").mkdir()
    (root / "recordings" / f"{CALL_ID}.wav").write_bytes(tone_wav(4.0))
    server = uvicorn.Server(uvicorn.Config(build_app(settings), host="127.0.0.1", port=0, log_level="warning",
                                           lifespan="on", ws_ping_interval=None))
    thread = threading.Thread(target=server.run, name="browser-qa-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the test server did not start"
        time.sleep(0.05)
    live = LiveServer(settings, f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}", server, thread)
    try:
        yield live
    finally:
        live.stop()


async def _recorded_call(url: str) -> None:
    """agent1's 16-minute call with Amina Wanjiru an hour ago, recorded (a 4 s tone stands for it)."""
    db = Database(make_engine(url))
    at = CALL_AT
    try:
        async with db.session() as s:
            agent = await s.scalar(select(User).where(User.username == "agent1"))
            customer = await s.scalar(select(Customer).where(Customer.name == "Amina Wanjiru"))
            assert agent is not None and customer is not None
            s.add(CallRecord(call_id=CALL_ID, direction="inbound", agent_id=agent.id, customer_id=customer.id,
                             offered_at=at, answered_at=at + timedelta(seconds=4), ended_at=at + timedelta(minutes=16),
                             talk_seconds=16 * 60, ivr=[], abandoned=False, queue="collections"))
            s.add(Recording(call_id=CALL_ID, external_ref=f"{CALL_ID}.wav", status=RecordingStatus.STORED,
                            agent_id=agent.id, storage_key=f"{CALL_ID}.wav", started_at=at, duration_ms=4000,
                            stored_at=at + timedelta(minutes=16)))
    finally:
        await db.dispose()


async def _no_codes(page: Page, where: str) -> None:
    texts: list[str] = await page.evaluate(VISIBLE_TEXT)
    bad = [f"{where}: {code} in {text[:100]!r}" for text in texts for code in CODE.findall(text)]
    assert bad == [], bad


async def _answer(page: Page, question: str, choice: str) -> None:
    await page.locator(f"#qa-form [data-question='{question}']").get_by_label(choice, exact=True).check()


async def test_a_supervisor_scores_a_call_while_it_plays_and_the_agent_acknowledges(qa_server: LiveServer) -> None:
    async with chromium(qa_server.url) as browser:
        browser.guard.allow(r"status of 422 .*/api/qa/reviews")  # the unanswered question, refused on purpose
        sup = await browser.signed_in("supervisor", "supervisor-pass", "/supervisor")
        await sup.get_by_label("Week of").fill(CALL_DAY)
        await sup.locator("#qa-form-week").get_by_role("button", name="Show").click()
        row = sup.locator(f"#qa-calls tr[data-call-id='{CALL_ID}']")
        await expect(row).to_contain_text("A long call")
        await expect(row).to_contain_text("Amina Wanjiru")
        await row.get_by_role("button", name="Listen and score").click()
        await expect(sup.locator("#qa-panel")).to_contain_text("Scoring")
        # the recording plays while the supervisor answers
        await sup.wait_for_function("() => { const a = document.querySelector('#qa-audio');"
                                    " return a && !a.paused && a.duration > 3 && a.currentTime > 0; }")
        for question, choice in (("greeting", "Yes"), ("right_party_check", "Yes"), ("disclosure", "No"),
                                 ("balance_explained", "4"), ("negotiation", "3"), ("hardship_handled", "Not applicable"),
                                 ("promise_captured", "Yes"), ("note_complete", "Yes"),
                                 ("threatened_customer", "No"), ("third_party_disclosure", "No"),
                                 ("abusive_language", "No")):
            await _answer(sup, question, choice)
        await sup.get_by_label("Remark on: Said the call may be recorded and that it is about a debt").fill(
            "Not said at the start")
        await sup.get_by_role("button", name="Save the score").click()  # courtesy is not answered yet
        courtesy = sup.locator("#qa-form [data-question='courtesy'] .qa-field-error")
        await expect(courtesy).to_have_text("Answer this question.")
        await expect(sup.locator("#qa-errors")).to_contain_text("Stayed courteous and professional throughout")
        await _no_codes(sup, "scoring form")
        await expect(sup.locator("#qa-so-far")).to_have_text("So far: 76 of 100")  # 57 of 75: courtesy not answered yet
        await _answer(sup, "courtesy", "5")
        await expect(sup.locator("#qa-so-far")).to_have_text("So far: 80 of 100")
        await sup.get_by_label("Comments for the agent").fill("A good close. Say the disclosure first.")
        await sup.evaluate("document.querySelector('#qa-panel').scrollIntoView({ block: 'start' })")
        await screenshot(sup, "qa-scoring.png")
        await sup.get_by_role("button", name="Save the score").click()
        review = sup.locator("#qa-panel .qa-review")
        # 5 + 10 + 0 + 8 + 9 + 15 + 10 + 15 = 72 of 90 (hardship N/A): 80
        await expect(review.locator(".qa-score")).to_have_text("Score 80 of 100, at or above the pass mark of 80")
        await expect(sup.locator(f"#qa-calls tr[data-call-id='{CALL_ID}']")).to_have_count(0)
        await _no_codes(sup, "scored")

        await sup.locator("#report-kind").select_option("qa")
        await sup.locator("#report-form").get_by_role("button", name="Run").click()
        await expect(sup.locator("#report-out tr[data-agent='agent1']")).to_contain_text("80 of 100")
        await _no_codes(sup, "qa report")

        desk = await browser.signed_in("agent1", "agent1-pass", "/")
        await desk.get_by_role("tab", name="My scored calls").click()
        mine = desk.locator(f"#qa-mine .qa-review[data-call-id='{CALL_ID}']")
        await expect(mine).to_contain_text("Score 80 of 100")
        await expect(mine).to_contain_text("A good close. Say the disclosure first.")
        await expect(mine.locator("[data-question='disclosure']")).to_contain_text("No (Not said at the start)")
        await expect(desk.locator("#qa-mine-count")).to_have_text("1 to read")
        await screenshot(desk, "qa-agent-review.png")
        await _no_codes(desk, "my scored calls")
        await mine.get_by_role("button", name="I have read this review").click()
        await expect(mine.locator(".qa-ack")).to_contain_text("Acknowledged on")
        await expect(desk.locator("#qa-mine-count")).to_have_text("all read")
    browser.guard.check()


async def test_the_admin_edits_the_scorecards_as_yaml_and_a_bad_one_is_refused(qa_server: LiveServer) -> None:
    async with chromium(qa_server.url) as browser:
        browser.guard.allow(r"status of 422")  # the refused edit, on purpose
        admin = await browser.signed_in("admin", "admin-pass", "/admin")
        await admin.get_by_label("List", exact=True).select_option("scorecards")
        await expect(admin.locator("#config-editor[data-list='scorecards']")).to_have_attribute("data-state", "ready")
        text = admin.get_by_label("YAML text")
        await expect(text).to_have_value(re.compile("Threatened the customer"))
        yaml_text = await text.input_value()
        bad = re.sub(r"^( +)auto_fail: true$", r"\1auto_fail: true\n\1max: 3", yaml_text, count=1, flags=re.M)
        await text.fill(bad)
        await admin.get_by_label("Comment", exact=True).fill("a max on a yes/no question")
        await admin.get_by_role("button", name="Save as a new version").click()
        await expect(admin.locator("#config-error")).to_contain_text("cannot have a max")
    browser.guard.check()
