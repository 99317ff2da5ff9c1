"""``switchboard pbx provision``: writes the browser phones' PJSIP include from the database (digests
only) and reloads it over AMI on every configured server (a loopback fake AMI server here)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent_ui.cli import main
from store.db import Database, make_engine
from store.migrate import upgrade
from store.models import PhoneKind, PhoneLine, Role, User
from store.repositories.users import hash_password
from tests.cti.test_connection import FakeAmi


@pytest.fixture
def fake_ami_thread() -> Iterator[FakeAmi]:
    """The fake AMI server on its own loop in a thread (the command runs its own asyncio.run)."""
    fake = FakeAmi()
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(fake.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(5)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)


@pytest.fixture
def configured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", url)
    monkeypatch.setenv("SWITCHBOARD_PHONE__PJSIP_INCLUDE", str(tmp_path / "pbx" / "pjsip_switchboard.conf"))
    upgrade(url)

    async def seed() -> None:
        db = Database(make_engine(url))
        try:
            async with db.session() as session:
                user = User(username="amina", display_name="Amina", role=Role.AGENT, extension="PJSIP/2001",
                            password_hash=hash_password("amina-pass-1"), queues=[], active=True)
                session.add(user)
                await session.flush()
                session.add(PhoneLine(user_id=user.id, kind=PhoneKind.WEBRTC, sip_user="2001",
                                      password_digest="md5:" + "1" * 32, registered=False))
        finally:
            await db.dispose()

    asyncio.run(seed())
    return tmp_path / "pbx" / "pjsip_switchboard.conf"


def test_provision_writes_and_reloads(configured: Path, fake_ami_thread: FakeAmi, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SWITCHBOARD_AMI__HOST", "127.0.0.1")
    monkeypatch.setenv("SWITCHBOARD_AMI__PORT", str(fake_ami_thread.port))
    assert main(["pbx", "provision"]) == 0
    text = configured.read_text()
    assert "[2001](switchboard-webrtc)" in text and "password_digest = md5:" + "1" * 32 in text
    assert [r.fields["Module"] for r in fake_ami_thread.actions("Reload")] == ["res_pjsip.so"]
    assert "Reloaded res_pjsip.so on default" in capsys.readouterr().out
    assert main(["pbx", "provision"]) == 0  # nothing changed: nothing to reload
    assert len(fake_ami_thread.actions("Reload")) == 1
    assert main(["pbx", "provision", "--reload"]) == 0
    assert len(fake_ami_thread.actions("Reload")) == 2


def test_provision_says_what_is_missing(configured: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pbx", "provision"]) == 2  # written, but no AMI server to reload it on
    assert configured.exists() and "no Asterisk server" in capsys.readouterr().err
    monkeypatch.delenv("SWITCHBOARD_PHONE__PJSIP_INCLUDE")
    assert main(["pbx", "provision"]) == 2
    assert "SWITCHBOARD_PHONE__PJSIP_INCLUDE" in capsys.readouterr().err
