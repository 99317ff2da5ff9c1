"""The desk is the agent's phone, on the real test PBX in Chromium (issue 20).

Each test is one scenario of :mod:`tests.phone_pbx.scenarios` (their docstrings say what is
proven); the PBX is cleaned (channels hung up, queue members removed) before and after each.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.server import LiveServer
from tests.pbx.harness import Pbx
from tests.phone_pbx import scenarios
from tests.phone_pbx.server import Rig

pytestmark = [pytest.mark.pbx, pytest.mark.browser]


async def test_the_desk_registers_its_phone_and_ready_needs_it(pbx_clean: Pbx, phone_server: LiveServer, rig: Rig,
                                                               tmp_path: Path) -> None:
    await scenarios.register_and_ready_gate(phone_server, rig, tmp_path)


async def test_an_inbound_call_with_every_control_a_blind_transfer_and_its_recording(
        pbx_clean: Pbx, phone_server: LiveServer, rig: Rig, tmp_path: Path) -> None:
    await scenarios.inbound_call_controls_transfer_and_recording(phone_server, rig, tmp_path)


async def test_a_warm_transfer_returns_then_completes(pbx_clean: Pbx, phone_server: LiveServer, rig: Rig,
                                                      tmp_path: Path) -> None:
    await scenarios.warm_transfer_return_then_complete(phone_server, rig, tmp_path)


async def test_click_to_call_rings_the_browser_before_the_customer(pbx_clean: Pbx, phone_server: LiveServer,
                                                                  rig: Rig, tmp_path: Path) -> None:
    await scenarios.click_to_call_rings_the_browser_first(phone_server, rig, tmp_path)
