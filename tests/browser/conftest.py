"""Fixtures of the browser tests: an in-process server (with demo data) and Debian's Chromium."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.browser.harness import Chromium, chromium
from tests.browser.server import LiveServer, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server for the tests that need no PBX (no AMI configured)."""
    live = start_server(Path(tmp_path_factory.mktemp("browser-server")))
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture
async def browser(server: LiveServer) -> AsyncIterator[Chromium]:
    """Chromium on the shared server; the test fails on any unexpected console or page error."""
    async with chromium(server.url) as handle:
        yield handle
        handle.guard.check()
