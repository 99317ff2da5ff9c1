"""The ``switchboard`` command against a temporary SQLite database: main(argv) and a real subprocess."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from agent_ui.cli import main
from config.settings import CONFIG_DIR
from store.db import Database, make_engine
from store.migrate import head_revision
from store.models import Customer, User
from store.repositories.users import UserRepository

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", url)
    return url


def _count(url: str, model: type[Customer] | type[User]) -> int:
    async def go() -> int:
        db = Database(make_engine(url))
        try:
            async with db.session() as s:
                return int(await s.scalar(select(func.count()).select_from(model)) or 0)
        finally:
            await db.dispose()
    return asyncio.run(go())


def _verify(url: str, username: str, password: str) -> User | None:
    async def go() -> User | None:
        db = Database(make_engine(url))
        try:
            async with db.session() as s:
                return await UserRepository(s).verify(username, password)
        finally:
            await db.dispose()
    return asyncio.run(go())


def test_db_upgrade_then_user_create(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert head_revision() in capsys.readouterr().out
    assert main(["user", "create", "wanjiku", "--role", "supervisor", "--password", "sup3r-secret",
                 "--extension", "PJSIP/2001"]) == 0
    assert "Created supervisor 'wanjiku' on PJSIP/2001" in capsys.readouterr().out
    user = _verify(db_url, "wanjiku", "sup3r-secret")
    assert user is not None and user.extension == "PJSIP/2001"
    # Domain errors: one clear line, exit code 2, no traceback.
    assert main(["user", "create", "wanjiku", "--role", "agent", "--password", "another-pass"]) == 2
    assert "already taken" in capsys.readouterr().err
    assert main(["user", "create", "otieno", "--role", "boss", "--password", "another-pass"]) == 2
    assert "unknown role 'boss'" in capsys.readouterr().err
    assert main(["user", "create", "otieno", "--role", "agent", "--password", "short"]) == 2
    assert "password" in capsys.readouterr().err
    assert _count(db_url, User) == 1


def test_commands_on_an_unmigrated_database_say_how_to_fix_it(
        db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--customers", "3"]) == 2
    err = capsys.readouterr().err
    assert "not migrated" in err and "switchboard db upgrade" in err and "Traceback" not in err


def test_demo_loads_once_and_prints_logins(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "--customers", "6"]) == 0
    out = capsys.readouterr().out
    assert "Loaded 6 customers" in out
    for login in ("agent1", "agent1-pass", "PJSIP/1001", "supervisor-pass", "admin-pass"):
        assert login in out
    assert _count(db_url, Customer) == 6
    assert main(["demo", "--customers", "6"]) == 2
    assert "already loaded" in capsys.readouterr().err
    assert _count(db_url, Customer) == 6


def test_import_customers_exit_codes_and_bad_lines(db_url: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["db", "upgrade"]) == 0
    good = tmp_path / "good.csv"
    good.write_text("name,phone\nAmina Wanjiru,0712345678\nBrian Otieno,+254722000111\n", encoding="utf-8")
    assert main(["import", "customers", str(good)]) == 0
    assert "Imported 2 of 2 rows; 0 bad" in capsys.readouterr().out
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("name,phone,timezone\nGrace Achieng,0711000001,\n,0711000002,\nNine,711000003,\n"
                     "Zone,0711000004,Mars/Olympus\n", encoding="utf-8")
    assert main(["import", "customers", str(mixed)]) == 1
    out = capsys.readouterr().out
    assert "line 3: name: required" in out
    assert "line 4: phone:" in out
    assert "line 5: timezone:" in out
    assert "Imported 1 of 4 rows; 3 bad" in out
    assert _count(db_url, Customer) == 3
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    assert main(["import", "customers", str(binary)]) == 2
    assert "not CSV" in capsys.readouterr().err


def test_run_demo_without_serving_is_repeatable(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run-demo", "--customers", "4", "--no-serve"]) == 0
    assert "agent1-pass" in capsys.readouterr().out
    assert _count(db_url, Customer) == 4
    assert main(["run-demo", "--customers", "4", "--no-serve"]) == 0
    out = capsys.readouterr().out
    assert "demo data not loaded again" in out and "existing" in out
    assert _count(db_url, Customer) == 4
    assert _count(db_url, User) == 5


def test_bad_configuration_is_one_clear_line(db_url: str, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SWITCHBOARD_TIMEZONE", "Mars/Olympus")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "SWITCHBOARD_TIMEZONE" in err and "Traceback" not in err
    monkeypatch.delenv("SWITCHBOARD_TIMEZONE")
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", "nosuchdb://x")
    assert main(["db", "upgrade"]) == 2
    assert "bad database URL" in capsys.readouterr().err


def test_unreachable_postgres_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "cannot use the database" in err and "Traceback" not in err


def test_db_upgrade_in_a_subprocess_from_another_directory(tmp_path: Path) -> None:
    """The migrations are found from the package, whatever the working directory."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWITCHBOARD_DATABASE_URL": "sqlite+aiosqlite:///./x.db"}
    done = subprocess.run([sys.executable, "-m", "agent_ui.cli", "db", "upgrade"], cwd=elsewhere, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert head_revision() in done.stdout
    assert (elsewhere / "x.db").exists()
    bad = subprocess.run([sys.executable, "-m", "agent_ui.cli", "db", "upgrade", "--revision", "nope"],
                         cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and "nope" in bad.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_answers_health_then_stops(db_url: str, tmp_path: Path) -> None:
    assert main(["db", "upgrade"]) == 0
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWITCHBOARD_DATABASE_URL": db_url,
           "SWITCHBOARD_ATTACHMENTS_DIR": str(tmp_path / "files")}
    proc = subprocess.Popen([sys.executable, "-m", "agent_ui.cli", "serve", "--host", "127.0.0.1",
                             "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                reply = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2)
                body = reply.json()
                break
            except httpx.TransportError:
                time.sleep(0.3)
        assert body is not None and body.get("status") == "ok", proc.stdout.read() if proc.stdout else ""
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_serve_refuses_a_bad_config_file_or_an_unmigrated_database(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "1"]) == 2  # nothing listens: it stops before serving
    assert "not migrated" in capsys.readouterr().err
    assert main(["db", "upgrade"]) == 0
    config_dir = tmp_path / "config"
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    broken = config_dir / "dispositions.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("statuses:", "statuses: [oops", 1),
                      encoding="utf-8")
    monkeypatch.setenv("SWITCHBOARD_CONFIG_DIR", str(config_dir))
    assert main(["serve", "--port", "1"]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "dispositions.yaml" in err and "Traceback" not in err


def test_run_demo_prints_its_progress_on_stderr_and_keeps_stdout_readable(
        db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 15 item 14: the setup says what it does and counts the demo customers (not a terminal here:
    one counter line per tenth), on stderr; stdout keeps the summary and the logins."""
    assert main(["run-demo", "--customers", "20", "--no-serve"]) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert lines[:2] == ["Setting up: migrating the database …", "Setting up: the demo users …"]
    counts = [line for line in lines if line.startswith("Demo customers: ")]
    assert counts[0] == "Demo customers: 0/20" and counts[-1] == "Demo customers: 20/20 (100%)"
    assert counts[1:] == [f"Demo customers: {n}/20 ({n * 5}%)" for n in range(2, 21, 2)]
    assert "Demo customers" not in captured.out and "Loaded 20 customers" in captured.out
    assert "agent1-pass" in captured.out


def test_demo_progress_in_a_subprocess_is_on_stderr(tmp_path: Path) -> None:
    env = {**os.environ, "SWITCHBOARD_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'p.db'}",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "agent_ui.cli", "run-demo", "--customers", "5", "--no-serve"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "Demo customers: 5/5 (100%)" in done.stderr and "Demo customers" not in done.stdout
    assert "Loaded 5 customers" in done.stdout


def test_on_a_terminal_the_progress_is_a_bar_that_counts() -> None:
    from io import StringIO

    from rich.console import Console

    from agent_ui.cli_progress import StepProgress

    screen = StringIO()
    with StepProgress(Console(file=screen, force_terminal=True, width=100), "Demo customers", 8) as bar:
        for done in range(1, 9):
            bar.update(done)
    drawn = screen.getvalue()
    assert "Demo customers" in drawn and "8/8" in drawn and "━" in drawn
