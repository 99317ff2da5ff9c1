"""The ``rig`` fixture: the webhook service against the local Twilio stand-in (see :mod:`tests.twilio.rig`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.twilio.rig import Rig, running_rig


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    async with running_rig() as built:
        yield built
