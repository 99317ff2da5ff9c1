"""The whole app served in-process for browser tests: uvicorn on 127.0.0.1 (an ephemeral port) in a
background thread with its own event loop, over a fresh, migrated SQLite file with demo data."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from config.settings import CONFIG_DIR, AmiSettings, Settings
from store.db import Database, make_engine
from store.migrate import upgrade_async
from store.seed.demo import ensure_demo_users, load_demo

DEMO_CUSTOMERS = 24


async def _prepare(url: str) -> None:
    await upgrade_async(url)
    db = Database(make_engine(url))
    try:
        await ensure_demo_users(db)
        await load_demo(db, customers=DEMO_CUSTOMERS)
    finally:
        await db.dispose()


def make_settings(root: Path, *, ami: bool = False) -> Settings:
    """Settings for one test server; its config lists are a private copy (admin tests edit them)."""
    config_dir = root / "config"
    shutil.copytree(CONFIG_DIR / "defaults", config_dir)
    values: dict[str, Any] = {
        "env": "test", "database_url": f"sqlite+aiosqlite:///{root / 'switchboard.db'}",
        "secret_key": "browser-tests-" + "k" * 40, "config_dir": config_dir,
        "attachments_dir": root / "attachments", "wrapup_seconds": 120, "redis_url": None,
        "public_url": "http://127.0.0.1",
    }
    if ami:
        values["ami"] = AmiSettings(host="127.0.0.1", port=5038, username="switchboard",
                                    secret="switchboard-test", queues=["collections", "customer_service"])
    return Settings(**values)


def build_app(settings: Settings, *, dialer: bool = False, dialer_clock: datetime | None = None) -> FastAPI:
    """``create_app`` with the production components (:func:`agent_ui.wiring.default_components`);
    with ``dialer`` the dialer runs even where the settings turn it off; ``dialer_clock``: its clock
    stands there. The routes are production's whatever runs."""
    from agent_ui.app import create_app
    from agent_ui.components.dialer import DialerComponent
    from agent_ui.wiring import default_components

    if dialer:  # a server whose dialer runs: production serves the dialer's routes only then
        settings = settings.model_copy(update={"dialer": settings.dialer.model_copy(update={"enabled": True})})
    components = default_components(settings)
    if dialer and not any(isinstance(c, DialerComponent) for c in components):
        components.append(DialerComponent())
    if dialer_clock is not None:
        for part in components:
            if isinstance(part, DialerComponent):
                part.clock = lambda: dialer_clock
    return create_app(settings, components=components)


@dataclass
class LiveServer:
    settings: Settings
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def login(self, username: str, password: str) -> str:
        res = httpx.post(f"{self.url}/api/auth/login", json={"username": username, "password": password}, timeout=10)
        res.raise_for_status()
        return str(res.json()["token"])

    def api(self, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{self.url}{path}", headers={"Authorization": f"Bearer {token}"},
                             timeout=15, **kw)


def start_server(root: Path, *, ami: bool = False, dialer: bool = False,
                 dialer_clock: datetime | None = None) -> LiveServer:
    settings = make_settings(root, ami=ami)
    asyncio.run(_prepare(settings.database_url))
    config = uvicorn.Config(build_app(settings, dialer=dialer, dialer_clock=dialer_clock), host="127.0.0.1", port=0, log_level="warning",
                            lifespan="on", ws_ping_interval=None)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="browser-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(settings, f"http://127.0.0.1:{port}", server, thread)
