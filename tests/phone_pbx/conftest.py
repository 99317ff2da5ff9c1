"""Fixtures of the browser-phone tests: the real test PBX, the app on it, the web agents.

The scenarios themselves are in :mod:`tests.phone_pbx.scenarios`, written against a :class:`Rig`
so a developer can run them against a private Asterisk too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.harness import HAVE_CHROMIUM
from tests.browser.server import LiveServer
from tests.pbx.harness import Pbx
from tests.phone_pbx.server import Rig, add_web_agents, start_phone_server


@pytest.fixture(scope="module")
def rig(pbx: Pbx) -> Rig:
    return Rig(pbx.root)


@pytest.fixture(scope="module")
def phone_server(rig: Rig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    if not HAVE_CHROMIUM:
        pytest.skip("Debian's chromium is not installed")
    live = start_phone_server(Path(tmp_path_factory.mktemp("phone-server")), rig)
    try:
        add_web_agents(live)
        yield live
    finally:
        live.stop()
