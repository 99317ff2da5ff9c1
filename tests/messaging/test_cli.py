"""``switchboard sms send-bulk``: count and cost, confirmation, a run sent through the fake
provider, and a resume that sends nothing twice (a temporary SQLite database with demo data)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import func, select

from agent_ui.cli import main
from messaging.fakes import FakeSms
from store.db import Database, make_engine
from store.models import Message
from tests.browser.server import _prepare

OPEN_PACK = """name: open_all_week
calling_hours: {default: "00:00-24:00"}
relations:
  collections: {allowed: [customer, guarantor, relationship_officer]}
  service: {allowed: [customer, guarantor, relationship_officer]}
messages:
  hours: {default: "00:00-24:00"}
"""


def _statuses(url: str) -> dict[str, int]:
    async def go() -> dict[str, int]:
        db = Database(make_engine(url))
        try:
            async with db.session() as s:
                rows = await s.execute(select(Message.status, func.count()).group_by(Message.status))
                return {status: n for status, n in rows.tuples().all()}
        finally:
            await db.dispose()
    return asyncio.run(go())


@pytest.fixture
def fake_at() -> object:
    fake = FakeSms("africastalking")
    fake.start_in_thread()
    yield fake
    fake.stop_thread()


def test_send_bulk_states_count_and_cost_sends_and_resumes_without_double_sends(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], fake_at: FakeSms) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    asyncio.run(_prepare(url))
    (tmp_path / "open.yaml").write_text(OPEN_PACK)
    for key, value in {
        "SWITCHBOARD_DATABASE_URL": url, "SWITCHBOARD_COMPLIANCE_PACK": str(tmp_path / "open.yaml"),
        "SWITCHBOARD_SMS__PROVIDERS": '["africastalking"]', "SWITCHBOARD_SMS__AFRICASTALKING__USERNAME": "sandbox",
        "SWITCHBOARD_SMS__AFRICASTALKING__API_KEY": "fake-key", "SWITCHBOARD_SMS__AFRICASTALKING__BASE_URL": fake_at.url,
        "SWITCHBOARD_SMS__POLL_SECONDS": "0.05",
    }.items():
        monkeypatch.setenv(key, value)
    assert main(["sms", "send-bulk", "--filter", "dpd:1-3000", "--template", "overdue_notice"]) == 1  # no tty, no --yes
    assert "Not sent (confirm with --yes)" in capsys.readouterr().out
    assert _statuses(url) == {}
    assert main(["sms", "send-bulk", "--filter", "dpd:1-3000", "--template", "overdue_notice", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "customers (accounts 1-3000 days past due), template overdue_notice" in out and "estimated cost KES" in out
    sent = _statuses(url)
    assert sent.get("sent", 0) > 0 and set(sent) <= {"sent", "blocked", "failed"}
    assert len(fake_at.taken) == sent["sent"]
    assert main(["sms", "send-bulk", "--resume", "1", "--yes"]) == 0
    assert _statuses(url) == sent and len(fake_at.taken) == sent["sent"]  # nothing sent twice
    assert main(["sms", "send-bulk", "--filter", "nonsense", "--template", "overdue_notice", "--yes"]) == 2
    assert "unknown filter" in capsys.readouterr().err
