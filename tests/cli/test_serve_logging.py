"""``switchboard serve`` logs through one configuration for the app and uvicorn (runtime/logging.py).

A real subprocess on a migrated SQLite file, with ``SWITCHBOARD_LOG_FORMAT=json``: every stderr
line is a JSON object with the worker id, the app's own lines are there (not only uvicorn's), the
access log line of a request with ``?token=`` has the token redacted, and the once-a-second
scheduler runs are not logged at INFO.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agent_ui.cli import main

REPO = Path(__file__).resolve().parents[2]
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudDEifQ.c2lnbmF0dXJl"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_writes_json_lines_with_the_worker_for_app_and_uvicorn(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("SWITCHBOARD_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO), "SWITCHBOARD_DATABASE_URL": url,
           "SWITCHBOARD_ATTACHMENTS_DIR": str(tmp_path / "files"), "SWITCHBOARD_LOG_FORMAT": "json",
           "SWITCHBOARD_WORKER_ID": "w-serve-test", "SWITCHBOARD_DIALER__ENABLED": "true"}
    err_path = tmp_path / "stderr.txt"
    with open(err_path, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "agent_ui.cli", "serve", "--host", "127.0.0.1",
                                 "--port", str(port)], cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                stderr=err)
        try:
            deadline = time.monotonic() + 60
            while True:
                assert proc.poll() is None and time.monotonic() < deadline, err_path.read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/health?token={TOKEN}", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.3)
            time.sleep(2.5)  # a few of the scheduler's once-a-second runs
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    text = err_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines and all(line["worker"] == "w-serve-test" for line in lines)
    loggers = {line["logger"] for line in lines}
    assert "agent_ui.components.live" in loggers  # the app's own lines
    assert {"uvicorn.error", "uvicorn.access"} <= loggers  # and uvicorn's, through the same handler
    [access] = [line for line in lines if line["logger"] == "uvicorn.access" and "token=" in line["msg"]][:1]
    assert "/api/health?token=[redacted]" in access["msg"]
    assert TOKEN not in text and TOKEN[:24] not in text
    assert not [line for line in lines if line["logger"].startswith("apscheduler") and line["level"] == "INFO"]
