"""The whole app served for the browser-phone tests, on the real test PBX: uvicorn in a thread over
a fresh SQLite file with demo data, its AMI bridge logged in, the browser phones provisioned into
the test PBX's configuration (pjsip_switchboard.conf, reloaded over AMI), recordings picked up from
the PBX's spool directory, and a compliance pack open around the clock (no test depends on today:
Kenya's pack closes on Sundays and at night)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
import yaml

from config.compliance_loader import PACKS_DIR
from config.phone_settings import PhoneSettings, RecordingSettings
from config.settings import AmiSettings
from tests.browser.server import LiveServer, _prepare, build_app, make_settings


@dataclass(frozen=True)
class Rig:
    """Where the PBX is: the shared test PBX, or (for a developer's runs) a private instance."""

    pbx_root: Path
    etc: str = "etc/asterisk-test"  # inside the chroot
    spool: str = "/var/spool/asterisk-test/monitor"  # MixMonitor's directory inside the chroot (pbx.sh makes it)
    sip_port: int = 5060
    ami_port: int = 5038
    ws_url: str = "ws://127.0.0.1:8088/ws"
    customer_uac_port: int = 5075  # identified as the trunk
    customer_uas_port: int = 5080  # the trunk's contact: click-to-call lands here


WEB_AGENTS = {"webagent1": ("PJSIP/2001", ["collections"]), "webagent2": ("PJSIP/2002", [])}
PASSWORD = "web-agent-pass"


def always_open_pack(directory: Path) -> Path:
    data = yaml.safe_load((PACKS_DIR / "kenya.yaml").read_text(encoding="utf-8"))
    data.update(name="kenya-always-open", calling_hours={"default": "00:00-24:00"})
    path = directory / "kenya_always_open.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def start_phone_server(root: Path, rig: Rig, **overrides: object) -> LiveServer:
    base = make_settings(root, ami=True)
    etc = rig.pbx_root / rig.etc
    settings = base.model_copy(update={
        "compliance_pack": str(always_open_pack(root)),
        "ami": AmiSettings(host="127.0.0.1", port=rig.ami_port, username="switchboard", secret="switchboard-test",
                           queues=["collections", "customer_service"]),
        "phone": PhoneSettings(ws_url=rig.ws_url, pjsip_include=etc / "pjsip_switchboard.conf",
                               dialplan_include=etc / "extensions_switchboard.conf", media_address="127.0.0.1",
                               loopback_ice=True, audio_processing=False, rtp_timeout=15),
        "recordings": RecordingSettings(local_dir=root / "recordings", asterisk_dir=rig.spool,
                                        pickup_dir=rig.pbx_root / rig.spool.lstrip("/"), ingest_wait_seconds=15),
        **overrides,
    })
    asyncio.run(_prepare(settings.database_url))
    server = uvicorn.Server(uvicorn.Config(build_app(settings, dialer=True), host="127.0.0.1", port=0,
                                           log_level="warning", lifespan="on", ws_ping_interval=None))
    thread = threading.Thread(target=server.run, name="phone-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(settings, f"http://127.0.0.1:{port}", server, thread)


def add_web_agents(live: LiveServer) -> None:
    """The browser-phone agents (2001, 2002), declared ``webrtc`` by the admin: provisioned."""
    admin = live.login("admin", "admin-pass")
    for username, (extension, queues) in WEB_AGENTS.items():
        made = live.api("POST", "/api/users", admin, json={
            "username": username, "password": PASSWORD, "role": "agent", "display_name": username.title(),
            "extension": extension, "queues": queues})
        assert made.status_code == 201, made.text
        phone = live.api("PUT", f"/api/users/{username}/phone", admin, json={"kind": "webrtc"})
        assert phone.status_code == 200, phone.text


def wait_api(live: LiveServer, token: str, path: str, check: object, timeout: float = 20.0) -> object:
    """GET ``path`` until ``check(json)`` is truthy (bounded); returns the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        answer = httpx.get(f"{live.url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
        if check(answer):  # type: ignore[operator]
            return answer
        if time.monotonic() > deadline:
            raise AssertionError(f"{path} never matched: {answer}")
        time.sleep(0.2)
