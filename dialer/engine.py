"""Progressive mode: for each ready agent of a campaign, claim a task, preview it, then dial it.

The loop runs every ``settings.dialer.tick_seconds`` and at once when poked (a payment, an agent
going ready, an outcome, a preview timer running out), so the queue reacts within a second.

The agent's reservation lives on the task (``reserved``/``dialing`` with ``reserved_by_id``); the
presence row stays ``ready`` until the call rings the agent, and the agent is paused at the carrier
with reason ``dialer`` meanwhile, so no queue call lands on an agent who is reading a preview.
An agent with a reserved or dialling task is never offered a second one; an agent who pauses or
logs out during the preview gets the task taken back (``dialer.preview_cancelled``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bus.outbox_names import DIALER_BLOCKED, DIALER_PREVIEW, DIALER_PREVIEW_CANCELLED
from dialer.claim import claim_for_agent, release
from dialer.context import DialerContext
from dialer.dialing import DialPlan, DialSender, Refusal, reschedule_blocked
from dialer.gate import HISTORY, decide_numbers
from dialer.preview import preview_message, script, script_values, summary
from dialer.rules import purpose_of
from domain.agent_state import AgentState
from domain.compliance import Blocked
from domain.errors import SwitchboardError
from store.models import (
    AttemptState,
    CallTask,
    Campaign,
    DialAttempt,
    PromiseToPay,
    TaskStatus,
    User,
)
from store.repositories.dialer import LIVE_ATTEMPTS, AgentRow, DialerRepository

log = logging.getLogger(__name__)
MAX_CLAIMS_PER_AGENT = 10  # blocked tasks skipped per agent and tick, at most


@dataclass
class TickReport:
    previews: int = 0
    dials: int = 0
    blocked: int = 0
    released: int = 0
    campaigns: dict[str, str] = field(default_factory=dict)


class Engine:
    def __init__(self, ctx: DialerContext, dialer: DialSender, *, result_timeout: float = 20.0,
                 outcome_hold: timedelta = timedelta(hours=1)) -> None:
        self.ctx = ctx
        self.dialer = dialer
        self.result_timeout = timedelta(seconds=result_timeout)
        self.outcome_hold = outcome_hold
        self._timers: set[asyncio.TimerHandle] = set()

    async def campaigns(self) -> list[Campaign]:
        config = self.ctx.lists.dialer.campaigns
        async with self.ctx.database.session() as session:
            rows = await DialerRepository(session).ensure_campaigns(
                (c.code, c.label, c.carrier, c.queue) for c in config)
        return [row for row in rows.values() if row.active]

    async def tick(self) -> TickReport:
        report = TickReport()
        for campaign in await self.campaigns():
            report.released += await self._release_stale(campaign)
            report.dials += await self._auto_dial(campaign)
            await self._offer(campaign, report)
        await self._expire_silent_attempts()
        return report

    # --- previews -----------------------------------------------------------------------------------

    async def _free_agents(self, campaign: Campaign, now: datetime) -> list[AgentRow]:
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            agents = [a for a in await repo.campaign_agents(campaign.id) if a.state is AgentState.READY]
            busy = await repo.busy_agents()
            live = set((await session.scalars(
                select(DialAttempt.agent_id).where(DialAttempt.state.in_(LIVE_ATTEMPTS),
                                                   DialAttempt.ended_at.is_(None),
                                                   DialAttempt.requested_at > now - self.result_timeout * 6)
            )).all())
        free = [a for a in agents if a.user_id not in busy and a.user_id not in live]
        has_line = self.ctx.has_line
        return free if has_line is None else [a for a in free if await has_line(a.user_id)]

    async def _offer(self, campaign: Campaign, report: TickReport) -> None:
        now = self.ctx.now()
        for agent in await self._free_agents(campaign, now):
            for _ in range(MAX_CLAIMS_PER_AGENT):
                async with self.ctx.database.session() as session:
                    task_id = await claim_for_agent(session, campaign_id=campaign.id, agent_id=agent.user_id,
                                               now=now)
                if task_id is None:
                    break
                self.ctx.count_claim()
                log.info("dialer: task %s claimed for %s (campaign %s)", task_id, agent.username, campaign.code,
                         extra={"agent": agent.username})
                if await self.preview(task_id, agent.user_id, campaign):
                    report.previews += 1
                    break
                report.blocked += 1

    async def preview(self, task_id: int, agent_id: int, campaign: Campaign) -> bool:
        """Send the preview of a task just reserved for the agent; False if the gate blocks every
        number (the task is then rescheduled to the next allowed time, with its rule)."""
        ctx, now = self.ctx, self.ctx.now()
        settings = ctx.settings.dialer
        async with ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            task = await repo.task(task_id, for_update=True)
            agent = await session.get(User, agent_id)
            if task is None or agent is None or task.status != TaskStatus.RESERVED or task.reserved_by_id != agent_id:
                return False
            customer = await repo.customer(task.customer_id)
            assert customer is not None
            figures = await repo.figures(customer.id)
            history = (await repo.history([customer.id], now - HISTORY))[customer.id]
            numbers = decide_numbers(ctx.pack, customer, repo.numbers(customer), history, now=now,
                                     purpose=purpose_of(campaign.code), default_zone=ctx.settings.timezone,
                                     loan_id=figures.loan_id)
            if not any(n.decision.allowed for n in numbers):
                blocks = [n.decision for n in numbers if isinstance(n.decision, Blocked)]
                block = blocks[0] if blocks else Blocked("no_number", "the customer has no number", None)
                reschedule_blocked(task, block, now)
                ctx.count_block(block.rule)
                return False
            promise = await session.get(PromiseToPay, task.promise_id) if task.promise_id else None
            label, lines = script(ctx.lists, task.reason,
                                  script_values(customer, agent, figures, ctx.settings.currency, promise))
            auto = settings.preview_mode == "auto"
            dial_at = now + timedelta(seconds=settings.preview_seconds) if auto else None
            message = preview_message(task, customer, campaign.code, numbers, await summary(
                session, customer, figures), label, lines, mode=settings.preview_mode,
                preview_seconds=settings.preview_seconds, dial_at=dial_at)
        await ctx.carrier_pause(agent, True)
        await ctx.push(agent.username, DIALER_PREVIEW, message)
        if auto:
            self._wake_in(settings.preview_seconds)
        return True

    def _wake_in(self, seconds: float) -> None:
        handle = asyncio.get_running_loop().call_later(max(seconds, 0.0), self._fire)
        self._timers.add(handle)

    def _fire(self) -> None:
        now = asyncio.get_running_loop().time()
        self._timers = {t for t in self._timers if not t.cancelled() and t.when() > now}
        self.ctx.poke()

    def cancel_timers(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    # --- dialling -------------------------------------------------------------------------------------

    async def _auto_dial(self, campaign: Campaign) -> int:
        settings = self.ctx.settings.dialer
        if settings.preview_mode != "auto":
            return 0
        due = self.ctx.now() - timedelta(seconds=settings.preview_seconds)
        async with self.ctx.database.session() as session:
            rows = (await session.execute(
                select(CallTask.id, CallTask.reserved_by_id)
                .where(CallTask.campaign_id == campaign.id, CallTask.status == TaskStatus.RESERVED,
                       CallTask.reserved_at <= due))).all()
        dials = 0
        for task_id, agent_id in rows:
            if agent_id is not None and await self.dial(int(task_id), int(agent_id), None, strict=False):
                dials += 1
        return dials

    async def dial(self, task_id: int, agent_id: int, number: str | None, *, strict: bool) -> str | None:
        """Dial a reserved task; the attempt id, or None (no longer reserved, or blocked)."""
        outcome = await self.dialer.dial_task(task_id, agent_id, number, strict_number=strict)
        if isinstance(outcome, DialPlan):
            await self.dialer.publish(outcome)
            return outcome.request.call_id
        if isinstance(outcome, Refusal):
            await self._after_refusal(agent_id, outcome)
        return None

    async def _after_refusal(self, agent_id: int, refusal: Refusal) -> None:
        async with self.ctx.database.session() as session:
            agent = await session.get(User, agent_id)
        if agent is None:
            return
        await self.ctx.push(agent.username, DIALER_BLOCKED, {"task_id": refusal.task_id,
                                                               **refusal.block.details()})
        await self.ctx.give_back(agent_id)

    # --- housekeeping ---------------------------------------------------------------------------------

    async def _release_stale(self, campaign: Campaign) -> int:
        """Take previews back from agents who paused or logged out meanwhile."""
        now = self.ctx.now()
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            held = [(t, a) for a, t in (await repo.busy_agents()).items()]
            stale: list[tuple[int, User]] = []
            for task_id, agent_id in held:
                task = await repo.task(task_id)
                if task is None or task.campaign_id != campaign.id or task.status != TaskStatus.RESERVED:
                    continue
                if await repo.presence_state(agent_id) is not AgentState.READY:
                    user = await session.get(User, agent_id)
                    if user is not None and await release(session, task_id, agent_id, now):
                        stale.append((task_id, user))
        for task_id, user in stale:
            await self.ctx.push(user.username, DIALER_PREVIEW_CANCELLED, {"task_id": task_id,
                                                                            "why": "agent not ready"})
        return len(stale)

    async def _expire_silent_attempts(self) -> None:
        """Free agents whose dial went silent. A dial the carrier never answered becomes ``unknown``
        (never re-sent); a sent dial with no call event after the ring timeout, or a dial that never
        ended, leaves the task waiting for a disposition; a task waiting too long is queued again."""
        now = self.ctx.now()
        ring = timedelta(seconds=self.ctx.settings.dialer.originate_timeout_seconds) + self.result_timeout
        freed: list[int | None] = []
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            query = select(DialAttempt).where(DialAttempt.state.in_(LIVE_ATTEMPTS), DialAttempt.ended_at.is_(None),
                                              DialAttempt.requested_at < now - self.result_timeout)
            if repo.is_postgres:
                query = query.with_for_update(skip_locked=True)
            live = (await session.scalars(query)).all()
            for attempt in live:
                if attempt.details.get("silent") or attempt.details.get("events"):
                    if attempt.requested_at >= now - self.outcome_hold:
                        continue  # a call in progress
                elif attempt.state == AttemptState.SENT and attempt.requested_at >= now - ring:
                    continue  # still ringing, maybe
                if attempt.state == AttemptState.REQUESTED:
                    attempt.state = AttemptState.UNKNOWN
                attempt.details = {**attempt.details, "silent": now.isoformat()}
                freed.append(attempt.agent_id)
                if attempt.task_id is not None:
                    await session.execute(
                        update(CallTask).where(CallTask.id == attempt.task_id,
                                               CallTask.status == TaskStatus.DIALING)
                        .values(status=TaskStatus.WAITING_OUTCOME, last_outcome=attempt.state.value,
                                updated_at=now))
            await session.execute(
                update(CallTask).where(CallTask.status == TaskStatus.WAITING_OUTCOME,
                                       CallTask.updated_at < now - self.outcome_hold)
                .values(status=TaskStatus.QUEUED, reserved_by_id=None, reserved_at=None, next_eligible_at=now,
                        last_outcome="no_disposition", updated_at=now))
        for agent_id in freed:
            await self.ctx.give_back(agent_id)

    async def run(self) -> None:
        """The supervised loop: tick, then wait for a poke or the tick interval."""
        wake = self.ctx.wake
        while True:
            wake.clear()
            try:
                await self.tick()
            except SwitchboardError as exc:
                log.warning("dialer tick failed: %s %s", exc.error_id, exc.message)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self.ctx.settings.dialer.tick_seconds)
