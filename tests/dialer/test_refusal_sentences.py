"""Issue 15 item 6: a dial refused because of the agent's state says so in words, never the state's code."""

from __future__ import annotations

import re

import pytest

from domain.errors import AgentNotAvailable
from tests.dialer.conftest import World

CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.mark.parametrize(("state", "words"), [
    ("logged_out", "Amina is logged out: go Ready or Paused to dial"),
    ("on_call", "Amina is on a call: finish it first"),
    ("ringing", "Amina has a call ringing: answer or end it first"),
])
async def test_a_busy_or_logged_out_agent_is_refused_in_words(world: World, state: str, words: str) -> None:
    await world.agent("amina", "PJSIP/1001", state=state)
    customer = await world.customer()
    with pytest.raises(AgentNotAvailable) as refused:
        await world.dialer.click_to_call("amina", customer.id)
    assert refused.value.message == words and not CODE.search(refused.value.message)
    assert refused.value.details == {"state": state}  # the code stays for programs, in details
    assert world.carrier.requests == []
