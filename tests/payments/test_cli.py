"""``switchboard mpesa register-urls`` against the fake Daraja, and ``switchboard mpesa replay``
over callbacks stored in a migrated SQLite database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from agent_ui.cli import main
from payments.c2b_protocol import c2b_body
from payments.fakes import FakeDaraja
from store.db import Database, make_engine
from store.models import Customer, CustomerPhone, MpesaCallback, MpesaPayment, StatementTransaction

TOKEN = "cli-token-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeDaraja]:
    daraja = FakeDaraja()
    daraja.start_in_thread()
    try:
        yield daraja
    finally:
        daraja.stop_thread()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeDaraja) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    values = {"DATABASE_URL": url, "PUBLIC_URL": "https://sb.example.co.ke", "MPESA__CONSUMER_KEY": fake.consumer_key,
              "MPESA__CONSUMER_SECRET": fake.consumer_secret, "MPESA__SHORTCODE": fake.shortcode,
              "MPESA__PASSKEY": fake.passkey, "MPESA__BASE_URL": fake.base_url, "MPESA__CALLBACK_TOKEN": TOKEN}
    for key, value in values.items():
        monkeypatch.setenv(f"SWITCHBOARD_{key}", value)
    return url


def test_register_urls(env: str, fake: FakeDaraja, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mpesa", "register-urls"]) == 0
    assert fake.registered == {
        "ConfirmationURL": f"https://sb.example.co.ke/webhooks/mpesa/c2b/confirmation/{TOKEN}",
        "ValidationURL": f"https://sb.example.co.ke/webhooks/mpesa/c2b/validation/{TOKEN}",
        "ResponseType": "Completed"}
    assert "Registered with Daraja" in capsys.readouterr().out


def test_register_urls_without_settings_says_which(env: str, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SWITCHBOARD_MPESA__PASSKEY")
    assert main(["mpesa", "register-urls"]) == 2
    assert "SWITCHBOARD_MPESA__PASSKEY" in capsys.readouterr().err


def _seed(url: str, body: bytes) -> None:
    async def go() -> None:
        db = Database(make_engine(url))
        try:
            async with db.session() as s:
                customer = Customer(name="Amina", name_lower="amina", timezone="Africa/Nairobi", client_id="AM-1")
                customer.phones = [CustomerPhone(e164="+254712345678", position=0)]
                s.add(customer)
                s.add(MpesaCallback(kind="c2b_confirmation", body=body, status="failed", error="was down"))
        finally:
            await db.dispose()
    asyncio.run(go())


def _posted(url: str) -> tuple[list[str], list[str]]:
    async def go() -> tuple[list[str], list[str]]:
        db = Database(make_engine(url))
        try:
            async with db.session() as s:
                txns = list((await s.scalars(select(StatementTransaction.external_ref))).all())
                payments = list((await s.scalars(select(MpesaPayment.status))).all())
                return txns, payments
        finally:
            await db.dispose()
    return asyncio.run(go())


def test_replay_posts_what_was_stored(env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    body = c2b_body(trans_id="RKCLI1", amount=900, paid_at=datetime(2026, 3, 4, 7, tzinfo=UTC), shortcode="174379",
                    bill_ref=" am-1", msisdn="")
    _seed(env, json.dumps(body).encode())
    assert main(["mpesa", "replay"]) == 0
    assert "1 posted" in capsys.readouterr().out
    assert _posted(env) == (["RKCLI1"], ["posted"])
    assert main(["mpesa", "replay"]) == 0
    second = capsys.readouterr().out
    assert "0 posted" in second and "1 unchanged" in second
    assert _posted(env) == (["RKCLI1"], ["posted"])
