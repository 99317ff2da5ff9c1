"""Real server processes (uvicorn, one app each) for the multi-worker CTI tests and the benches.

Each process gets its settings from the environment only (SWITCHBOARD_*), like production, logs to
a file the test can show on failure, and is stopped by its own pid.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.server import free_port

REPO = Path(__file__).resolve().parents[2]


class ServerProcess:
    def __init__(self, name: str, env: dict[str, str], log_dir: Path, *, cli: bool = False) -> None:
        """``cli``: run ``switchboard serve`` (needs a migrated database) instead of uvicorn's factory."""
        self.name = name
        self.cli = cli
        self.port = free_port()
        self.env = {**os.environ, **env, "SWITCHBOARD_WORKER_ID": name}
        self.log_path = log_dir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> ServerProcess:
        where = ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.cli:
            cmd = [sys.executable, "-m", "agent_ui.cli", "serve", *where]
        else:
            cmd = [sys.executable, "-m", "uvicorn", "--factory", "tests.cti_pbx.asgi:app", *where,
                   "--log-level", "warning", "--no-access-log"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        return self

    async def wait_up(self, within: float = 30) -> None:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as client:
            while True:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise AssertionError(f"{self.name} exited rc={self.proc.returncode}\n{self.log()}")
                try:
                    if (await client.get("/api/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"{self.name} not serving after {within}s\n{self.log()}")
                await asyncio.sleep(0.1)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the worker dies without releasing anything (its lease must expire)."""
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            assert self.proc is not None
            self.proc.wait(10)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.kill()

    def rss_mb(self) -> float:
        """The process's resident memory (VmRSS) in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def log(self, lines: int = 80) -> str:
        try:
            body = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return "(no log)"
        return f"--- {self.name} log ---\n" + "\n".join(body)
