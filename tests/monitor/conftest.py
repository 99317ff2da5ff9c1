"""Live monitoring's API tests run on SQLite and PostgreSQL (``world``: the Kenya pack, notice on)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.monitor.world import MonitorWorld, monitor_world


@pytest.fixture
async def world(database: Any, database_url: str, tmp_path: Path) -> AsyncIterator[MonitorWorld]:
    async for built in monitor_world(database_url, tmp_path):
        yield built
