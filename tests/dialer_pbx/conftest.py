"""Fixtures of the dialer tests on the real test PBX: the whole app (uvicorn in the test's loop)
with its AMI bridge logged in to the loopback Asterisk and the progressive dialer ON.

The dialer runs with a 1 s preview (``preview_mode: auto``) and a short ring time, against a
compliance pack that is open around the clock (written to tmp; otherwise a copy of the Kenya
pack), so that no test depends on the wall clock: Kenya's pack closes at 20:00 and on Sundays.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import yaml

from config.compliance_loader import PACKS_DIR
from store.db import Database
from tests.cti_pbx.conftest import Live, app_on_pbx
from tests.cti_pbx.support import ami_env
from tests.pbx.harness import Pbx

RING_SECONDS = 4  # SWITCHBOARD_DIALER__ORIGINATE_TIMEOUT_SECONDS: the agent's and the customer's ring
PREVIEW_SECONDS = 1.0


def always_open_pack(directory: Path) -> Path:
    """The Kenya pack with calling hours 00:00-24:00 every day (attempt limits and relations kept)."""
    data = yaml.safe_load((PACKS_DIR / "kenya.yaml").read_text(encoding="utf-8"))
    data["name"] = "kenya-always-open"
    data["calling_hours"] = {"default": "00:00-24:00"}
    path = directory / "kenya_always_open.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture
def dialer_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The environment of a server on the test PBX with the dialer on (tests/conftest.py turns it off)."""
    env = {
        **ami_env(),
        "SWITCHBOARD_DIALER__ENABLED": "true",
        "SWITCHBOARD_DIALER__PREVIEW_MODE": "auto",
        "SWITCHBOARD_DIALER__PREVIEW_SECONDS": str(PREVIEW_SECONDS),
        "SWITCHBOARD_DIALER__ORIGINATE_TIMEOUT_SECONDS": str(RING_SECONDS),
        "SWITCHBOARD_DIALER__TICK_SECONDS": "0.5",
        "SWITCHBOARD_COMPLIANCE_PACK": str(always_open_pack(tmp_path)),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
async def dialing(pbx_clean: Pbx, dialer_env: dict[str, str], database: Database, database_url: str,
                  tmp_path: Path) -> AsyncIterator[Live]:
    """The whole app on ``database`` with the dialer running and the AMI bridge logged in."""
    del dialer_env
    async with app_on_pbx(pbx_clean, database, database_url, tmp_path, quiet_demo_work=True) as live:
        settings = live.app.services.settings
        assert settings.dialer.enabled and settings.dialer.preview_seconds == PREVIEW_SECONDS
        yield live
