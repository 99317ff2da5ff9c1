"""What every part of the dialer shares: settings, store, bus, outbox, lists, pack and the clock."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bus.base import EventBus, Outbox
from bus.outbox_names import SUPERVISORS, agent_stream
from config.lists import Lists
from config.lists.models import Campaign as CampaignConfig
from config.settings import Settings
from dialer.rules import GenerationPolicy
from domain.agent_state import AgentEvent, AgentState, PauseReason, transition
from domain.carrier import carrier_for_device
from domain.compliance import Pack
from domain.events import AgentStateRequested
from runtime.metrics import Metrics
from store.db import Database
from store.models import AgentPresence, User

log = logging.getLogger(__name__)
DIALER_PAUSE_REASON = PauseReason.DIALER


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
    # Whether an agent (by id) has a working phone line (agent_ui.line); None: every agent has one.
    # The progressive dialer offers no call to an agent without one (issue 15: no fake dialling).
    has_line: Callable[[int], Awaitable[bool]] | None = None
    metrics: Metrics | None = None  # the app's registry (GET /metrics): claims, and blocks by rule

    def count_claim(self) -> None:
        if self.metrics is not None:
            self.metrics.dialer_claims.inc()

    def count_block(self, rule: str) -> None:
        if self.metrics is not None:
            self.metrics.dialer_blocks.labels(rule=rule).inc()

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

    async def carrier_pause(self, user: User, paused: bool) -> None:
        """Keep queue calls away from an agent in a dialer preview (paused, reason "dialer"), or
        give them back (ready). The presence row is not changed: the reservation is on the task.
        The pause goes to the carrier of the agent's device (where their queue membership is), not
        the campaign's: pause and give-back always reach the same carrier."""
        if not user.extension:
            return
        await self.bus.publish(AgentStateRequested(
            username=user.username, device=user.extension, state=AgentState.PAUSED if paused else AgentState.READY,
            reason=DIALER_PAUSE_REASON if paused else None, queues=tuple(user.queues or ()),
            carrier=carrier_for_device(user.extension)))

    async def give_back(self, agent_id: int | None, call_id: str | None = None) -> None:
        """End the dialer's carrier pause of an agent who is ready again (no wrap-up to wait for).

        ``call_id``: the dial that just ended. An agent on it is judged by the state its end moves
        them to (domain.agent_state: ringing -> ready; the presence service handles the same
        CallEnded, maybe after us): a customer who was busy or did not answer never connects the
        call, so the agent's state never leaves ringing before the call ends. Without this the
        agent would stay paused at the carrier ("dialer")."""
        if agent_id is None:
            return
        async with self.database.session() as session:
            user = await session.get(User, agent_id)
            row = (await session.execute(select(AgentPresence.state, AgentPresence.call_id)
                                         .where(AgentPresence.user_id == agent_id))).first()
        state, on_call = (AgentState(row[0]), row[1]) if row is not None else (None, None)
        move = transition(state, AgentEvent.CALL_ENDED) if state and call_id and on_call == call_id else None
        after = move.to if move is not None else state
        if user is not None and after is AgentState.READY:
            await self.carrier_pause(user, False)
        self.poke()
