"""What every part of the dialer shares: settings, store, bus, outbox, lists, pack and the clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bus.base import EventBus, Outbox
from config.list_models import Campaign as CampaignConfig
from config.lists import Lists
from config.settings import Settings
from dialer.rules import GenerationPolicy
from domain.compliance import Pack
from domain.events import AgentStateRequested
from store.db import Database
from store.models import AgentPresence, User

log = logging.getLogger(__name__)
SUPERVISORS = "supervisors"
DIALER_PAUSE_REASON = "dialer"


def carrier_of_device(device: str) -> str:
    """``client:amina`` is a Twilio Client identity; ``PJSIP/1001`` (any channel tech) is Asterisk."""
    return "twilio" if device.startswith("client:") else "asterisk"


def agent_stream(username: str) -> str:
    """The agent's socket stream (the same name agent_ui's WebSocket reads)."""
    return f"agent:{username}"


@dataclass
class DialerContext:
    settings: Settings
    database: Database
    bus: EventBus
    outbox: Outbox
    lists_source: Callable[[], Lists]
    pack: Pack
    clock: Callable[[], datetime]
    policy: GenerationPolicy = field(default_factory=GenerationPolicy)
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def lists(self) -> Lists:
        return self.lists_source()

    def now(self) -> datetime:
        return self.clock()

    def poke(self) -> None:
        """Wake the engine now (a payment, a ready agent, a saved outcome)."""
        self.wake.set()

    def campaign_config(self, code: str | None) -> CampaignConfig | None:
        return next((c for c in self.lists.dialer.campaigns if c.code == code), None)

    async def push(self, username: str, type_: str, data: dict[str, Any]) -> None:
        await self.outbox.append(agent_stream(username), type_, data)

    async def push_supervisors(self, type_: str, data: dict[str, Any]) -> None:
        await self.outbox.append(SUPERVISORS, type_, data)

    async def carrier_pause(self, user: User, paused: bool, carrier: str | None = None) -> None:
        """Keep queue calls away from an agent in a dialer preview (paused, reason "dialer"), or
        give them back (ready). The presence row is not changed: the reservation is on the task."""
        if not user.extension:
            return
        await self.bus.publish(AgentStateRequested(
            username=user.username, device=user.extension, state="paused" if paused else "ready",
            reason=DIALER_PAUSE_REASON if paused else None, queues=tuple(user.queues or ()),
            carrier=carrier or carrier_of_device(user.extension)))

    async def give_back(self, agent_id: int | None, call_id: str | None = None) -> None:
        """End the dialer's carrier pause of an agent who is ready again (no wrap-up to wait for).

        ``call_id``: the dial that just ended. An agent still ``ringing`` on it is about to be
        ready (the presence service handles the same CallEnded, maybe after us): a customer who was
        busy or did not answer never connects the call, so the agent's state never leaves ringing
        before the call ends. Without this the agent would stay paused at the carrier ("dialer")."""
        if agent_id is None:
            return
        async with self.database.session() as session:
            user = await session.get(User, agent_id)
            row = (await session.execute(select(AgentPresence.state, AgentPresence.call_id)
                                         .where(AgentPresence.user_id == agent_id))).first()
        state, on_call = (row[0], row[1]) if row is not None else (None, None)
        ending = call_id is not None and state == "ringing" and on_call == call_id
        if user is not None and (state == "ready" or ending):
            await self.carrier_pause(user, False)
        self.poke()
