"""The one object the application wires in: ``Dialer(settings, database, bus, outbox, lists, pack,
supervisor)``; ``subscribe(bus)`` before the bus starts, ``await start()`` after, ``await stop()``.

``start`` spawns three supervised loops: the engine (ticks every ``tick_seconds`` and at once when
poked by an event), the task generator (broken promises and callbacks every second, account scans
every ``generate_seconds``, approval time-outs), and the follow-up pusher (APScheduler).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from bus.base import EventBus, Outbox
from config.lists import Lists
from config.settings import Settings
from dialer.approvals import Approvals
from dialer.context import DIALER_PAUSE_REASON, DialerContext
from dialer.dialing import DialSender
from dialer.engine import Engine, TickReport
from dialer.followups import FollowUpPusher
from dialer.generator import Generator
from dialer.outcomes import Outcomes
from dialer.payments import CONCURRENCY as PAYMENT_CONCURRENCY
from dialer.payments import Payments
from dialer.rules import CALLBACK, GenerationPolicy, callback_window, postpone_until
from dialer.status import StatusReport
from domain.compliance import Pack
from domain.errors import Conflict, InvalidInput, NotFound, SwitchboardError
from domain.events import (
    AgentConnected,
    AgentRinging,
    AgentStateChanged,
    AgentStateRequested,
    CallEnded,
    CallOffered,
    DialResult,
    InteractionSaved,
    PaymentReceived,
    utcnow,
)
from runtime.metrics import Metrics
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import Role, TaskStatus
from store.repositories.dialer import DialerRepository

log = logging.getLogger(__name__)
_TASKS = ("dialer.engine", "dialer.generator", "dialer.followups")


class Dialer:
    def __init__(self, settings: Settings, database: Database, bus: EventBus, outbox: Outbox,
                 lists: Lists | Callable[[], Lists], pack: Pack, supervisor: TaskSupervisor, *,
                 clock: Callable[[], datetime] = utcnow, policy: GenerationPolicy | None = None,
                 generate_seconds: float = 15.0, followup_interval: float = 1.0,
                 has_line: Callable[[int], Awaitable[bool]] | None = None, metrics: Metrics | None = None) -> None:
        source: Callable[[], Lists] = lists if callable(lists) else (lambda: lists)
        self.ctx = DialerContext(settings=settings, database=database, bus=bus, outbox=outbox,
                                 lists_source=source, pack=pack, clock=clock,
                                 policy=policy or GenerationPolicy(), has_line=has_line, metrics=metrics)
        self.supervisor = supervisor
        self.sender = DialSender(self.ctx)
        self.engine = Engine(self.ctx, self.sender)
        self.outcomes = Outcomes(self.ctx)
        self.payments = Payments(self.ctx)
        self.generator = Generator(self.ctx)
        self.approvals = Approvals(self.ctx)
        self.followups = FollowUpPusher(self.ctx, interval=followup_interval)
        self.reports = StatusReport(self.ctx)
        self.generate_seconds = generate_seconds
        self.running = False

    # --- wiring -------------------------------------------------------------------------------------

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(DialResult, self.outcomes.on_dial_result, group="dialer.dial_result")
        bus.subscribe(CallOffered, self.outcomes.on_call_seen, group="dialer.call_seen")
        bus.subscribe(AgentRinging, self.outcomes.on_call_seen, group="dialer.call_seen")
        bus.subscribe(AgentConnected, self.outcomes.on_call_seen, group="dialer.call_seen")
        bus.subscribe(CallEnded, self.outcomes.on_call_ended, group="dialer.call_ended")
        bus.subscribe(InteractionSaved, self.outcomes.on_interaction_saved, group="dialer.interaction")
        bus.subscribe(PaymentReceived, self.payments.on_payment, group="dialer.payment",
                      concurrency=PAYMENT_CONCURRENCY)
        bus.subscribe(AgentStateChanged, self._on_agent_state, group="dialer.agent_state")
        bus.subscribe(AgentStateRequested, self._on_agent_request, group="dialer.agent_request")

    async def _on_agent_state(self, _ev: AgentStateChanged) -> None:
        self.ctx.poke()

    async def _on_agent_request(self, ev: AgentStateRequested) -> None:
        if ev.reason != DIALER_PAUSE_REASON:  # our own pauses need no new tick
            self.ctx.poke()

    async def start(self) -> None:
        self.supervisor.spawn("dialer.engine", self.engine.run)
        self.supervisor.spawn("dialer.generator", self._generate_loop)
        self.supervisor.spawn("dialer.followups", self.followups.run)
        self.running = True
        self.ctx.poke()

    async def stop(self) -> None:
        self.running = False
        self.engine.cancel_timers()
        await self.supervisor.cancel(*_TASKS)
        self.followups.stop()

    async def _generate_loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_slow = loop.time()
        while True:
            try:
                await self.generator.fast_pass()
                await self.approvals.expire()
                if loop.time() >= next_slow:
                    next_slow = loop.time() + self.generate_seconds
                    await self.generator.slow_pass()
            except SwitchboardError as exc:
                log.warning("dialer generator failed: %s %s", exc.error_id, exc.message)
            await asyncio.sleep(self.ctx.settings.dialer.tick_seconds)

    # --- one pass (tests, admin) ------------------------------------------------------------------------

    async def tick(self) -> TickReport:
        await self.generator.fast_pass()
        return await self.engine.tick()

    # --- what the routes call ---------------------------------------------------------------------------

    async def click_to_call(self, username: str, customer_id: int, number: str | None = None) -> str:
        """Dial now from a customer record (202 with the call_id); ComplianceBlocked (409) etc."""
        plan = await self.sender.click_to_call(username, customer_id, number)
        await self.sender.publish(plan)
        return plan.request.call_id

    async def preview_dial_now(self, username: str, task_id: int, number: str | None = None) -> str:
        """The agent clicks "call" in the preview (optionally ticking one of its numbers)."""
        agent_id = await self._agent_id(username)
        call_id = await self.engine.dial(task_id, agent_id, number, strict=number is not None)
        if call_id is None:
            raise Conflict("this call is not in your preview any more", {"task_id": str(task_id)})
        return call_id

    async def request_approval(self, username: str, number: str, customer_id: int | None,
                               reason: str | None) -> dict[str, Any]:
        return await self.approvals.request(username, number, customer_id, reason)

    async def decide_approval(self, supervisor: str, approval_id: int, approve: bool) -> dict[str, Any]:
        return await self.approvals.decide(supervisor, approval_id, approve)

    async def list_approvals(self, status: str | None = None) -> list[dict[str, Any]]:
        return await self.approvals.list(status)

    async def enqueue(self, customer_id: int, reason: str, *, source: str = "manual",
                      at: datetime | None = None, comment: str | None = None) -> int:
        return await self.generator.enqueue(customer_id, reason, source=source, at=at, comment=comment)

    async def postpone(self, username: str, task_id: int, hours: int, comment: str | None) -> dict[str, Any]:
        """Seed 001: postpone by 4 or 8 hours with a comment; offered to this agent first."""
        until = postpone_until(self.ctx.lists.dialer, hours, comment, self.ctx.now())
        return await self._move(username, task_id, until, comment, "postponed", reason=None)

    async def schedule_callback(self, username: str, at: datetime, comment: str | None = None, *,
                                task_id: int | None = None, customer_id: int | None = None) -> dict[str, Any]:
        """A callback at a chosen time, offered first to this agent: an existing task is moved,
        or a new ``callback`` task is queued for the customer."""
        if at.tzinfo is None:
            raise InvalidInput("the callback time needs a time zone", {"at": "naive datetime"})
        if task_id is not None:
            return await self._move(username, task_id, at, comment, "callback", reason=CALLBACK)
        if customer_id is None:
            raise InvalidInput("give a task_id or a customer_id", {"customer_id": "required"})
        agent_id = await self._agent_id(username)
        new_id = await self.generator.enqueue(customer_id, CALLBACK, source="callback", at=at, comment=comment)
        return await self._move(username, new_id, at, comment, "callback", reason=CALLBACK, owner=agent_id)

    async def _move(self, username: str, task_id: int, at: datetime, comment: str | None, outcome: str, *,
                    reason: str | None, owner: int | None = None) -> dict[str, Any]:
        ctx, now = self.ctx, self.ctx.now()
        grace = ctx.settings.dialer.callback_grace_minutes
        start, owner_until = (callback_window(ctx.lists.dialer, at, grace) if reason == CALLBACK
                              else (at, callback_window(ctx.lists.dialer, at, grace)[1]))
        async with ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            user = await repo.user_by_name(username)
            if user is None:
                raise NotFound("no such user")
            task = await repo.task(task_id, for_update=True)
            if task is None:
                raise NotFound(f"no call task {task_id}", {"task_id": str(task_id)})
            mine = user.id in (task.reserved_by_id, task.owner_id) or owner == user.id
            if not mine and user.role == Role.AGENT:
                attempts = await repo.task_attempts(task.id)
                mine = bool(attempts) and attempts[-1].agent_id == user.id
            if not mine and user.role == Role.AGENT:  # as if it did not exist: nothing leaks
                raise NotFound(f"no call task {task_id}", {"task_id": str(task_id)})
            if task.status in (TaskStatus.DONE, TaskStatus.CANCELLED):
                raise Conflict(f"the task is {task.status.value}", {"status": task.status.value})
            was_reserved = task.status == TaskStatus.RESERVED
            task.status, task.next_eligible_at, task.last_outcome = TaskStatus.QUEUED, start, outcome
            task.owner_id, task.owner_until = user.id, owner_until
            task.reserved_by_id = task.reserved_at = None
            if reason is not None:
                task.reason, task.source = reason, "callback"
            if comment:
                task.comment = comment.strip()[:2000]
            task.updated_at = now
            body = {"task_id": task.id, "status": "queued", "next_eligible_at": start.isoformat(),
                    "owner": username, "owner_until": owner_until.isoformat(), "comment": task.comment}
        if was_reserved:
            await ctx.give_back(user.id)
        ctx.poke()
        return body

    async def status(self) -> list[dict[str, Any]]:
        return [await self.reports.campaign(c, self.running) for c in await self.engine.campaigns()]

    async def my_queue(self, username: str) -> dict[str, Any]:
        """Why the agent's "Calls to make" is empty (the same reasons as :meth:`status`)."""
        agent_id = await self._agent_id(username)
        async with self.ctx.database.session() as session:
            state = await DialerRepository(session).presence_state(agent_id)
        return await self.reports.agent_queue(username, await self.engine.campaigns(), self.running, state)

    async def _agent_id(self, username: str) -> int:
        async with self.ctx.database.session() as session:
            user = await DialerRepository(session).user_by_name(username)
        if user is None:
            raise NotFound("no such user")
        return user.id

