"""What happens after a dial: the carrier's answer, the call's events, the agent's disposition.

- ``DialResult``: sent / not sent (safe to retry: a NEW attempt later) / unknown (never re-sent) /
  failed (the carrier refused: retry by policy).
- Call events with ``call_id`` = the attempt id reconcile an unknown attempt (the call exists);
  ``AgentConnected`` on an originated call means the customer answered; ``CallEnded`` gives the
  outcome: answered -> wait for the disposition; no answer, busy, failed -> retry by policy, give up,
  or escalate after N failures in a row.
- ``InteractionSaved`` with the attempt's call_id closes, retries or reschedules the task as the
  disposition tree's ``dialer`` hint says, and marks a right-party conversation (Reg F).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from bus.outbox_names import DIALER_ESCALATED, DIALER_OUTCOME
from dialer.context import DialerContext
from dialer.rules import FAILED_OUTCOMES, after_failed_attempt, callback_window, outcome_of_cause, priority
from domain.errors import InvalidInput
from domain.events import (
    AgentConnected,
    AgentRinging,
    CallEnded,
    CallOffered,
    DialOutcome,
    DialResult,
    EscalationRequested,
    InteractionSaved,
)
from domain.events.calls import is_own_call
from store.models import AttemptState, CallTask, DialAttempt, Interaction, TaskStatus, User
from store.repositories.dialer import DialerRepository

log = logging.getLogger(__name__)
NOT_SENT_DELAY_SECONDS = 30
_SETTLED = frozenset({AttemptState.ANSWERED, AttemptState.NO_ANSWER, AttemptState.BUSY, AttemptState.FAILED,
                      AttemptState.NOT_SENT})
_RESULT_STATES = {DialOutcome.ANSWERED: "answered", DialOutcome.NO_ANSWER: "no_answer",
                  DialOutcome.BUSY: "busy", DialOutcome.FAILED: "failed"}


def consecutive_failures(attempts: list[DialAttempt]) -> int:
    count = 0
    for attempt in reversed(attempts):
        if attempt.state == AttemptState.NOT_SENT:
            continue
        if attempt.state.value not in FAILED_OUTCOMES:
            break
        count += 1
    return count


class Outcomes:
    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    async def on_dial_result(self, ev: DialResult) -> None:
        if not is_own_call(ev.call_id):
            return
        if ev.outcome in _RESULT_STATES:  # a carrier that reports the final outcome itself
            await self._finish(ev.call_id, _RESULT_STATES[ev.outcome], ev.at, ev.reason)
            return
        now, agent_id, notice = self.ctx.now(), None, None
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            attempt = await repo.attempt(ev.call_id, for_update=True)
            if attempt is None:
                return
            if ev.outcome is DialOutcome.SENT and attempt.state in (AttemptState.REQUESTED, AttemptState.UNKNOWN):
                attempt.state, attempt.sent_at = AttemptState.SENT, attempt.sent_at or ev.at
            elif ev.outcome is DialOutcome.UNKNOWN and attempt.state == AttemptState.REQUESTED:
                attempt.state = AttemptState.UNKNOWN  # reconciled from the call's events, never re-sent
                attempt.details = {**attempt.details, "unknown": ev.reason}
            elif ev.outcome is DialOutcome.NOT_SENT and attempt.state == AttemptState.REQUESTED:
                attempt.state, attempt.ended_at = AttemptState.NOT_SENT, ev.at
                attempt.details = {**attempt.details, "not_sent": ev.reason}
                agent_id = attempt.agent_id
                notice = {"call_id": attempt.id, "task_id": attempt.task_id, "outcome": "not_sent",
                          "reason": ev.reason}
                if attempt.task_id is not None:
                    task = await repo.task(attempt.task_id, for_update=True)
                    if task is not None and task.status == TaskStatus.DIALING:
                        # Nothing went out: queue it again; the next dial is a new attempt.
                        task.status, task.attempts = TaskStatus.QUEUED, max(task.attempts - 1, 0)
                        task.reserved_by_id = task.reserved_at = None
                        task.next_eligible_at = now + timedelta(seconds=NOT_SENT_DELAY_SECONDS)
                        task.last_outcome, task.updated_at = "not_sent", now
        if notice is not None:
            await self._notify(agent_id, DIALER_OUTCOME, notice)
            await self.ctx.give_back(agent_id)

    async def on_call_seen(self, ev: CallOffered | AgentRinging | AgentConnected) -> None:
        """Any event of the call proves it was dialled: an unknown attempt becomes sent."""
        if not is_own_call(ev.call_id):
            return
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            attempt = await repo.attempt(ev.call_id, for_update=True)
            if attempt is None:
                return
            details: dict[str, Any] = {**attempt.details, "events": True}
            if isinstance(ev, AgentConnected):
                details["connected_at"] = ev.at.isoformat()
            attempt.details = details
            if attempt.state in (AttemptState.REQUESTED, AttemptState.UNKNOWN):
                attempt.state, attempt.sent_at = AttemptState.SENT, attempt.sent_at or ev.at

    async def on_call_ended(self, ev: CallEnded) -> None:
        if is_own_call(ev.call_id):
            await self._finish(ev.call_id, None, ev.at, ev.cause.value, talk=ev.talk_seconds)

    async def _finish(self, call_id: str, state: str | None, at: datetime, cause: str | None,
                      talk: int | None = None) -> None:
        now = self.ctx.now()
        config = self.ctx.lists.dialer
        escalated: dict[str, Any] | None = None
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            attempt = await repo.attempt(call_id, for_update=True)
            if attempt is None:
                return
            # CallEnded and the carrier's DialResult travel in different bus groups. A state guessed
            # from the hangup cause gives way to the carrier's explicit outcome, whichever came first:
            # the attempt is finished again with it (and the task too, if it still waits on this call).
            correcting = (attempt.ended_at is not None and state is not None
                          and bool(attempt.details.get("guessed")) and attempt.state.value != state)
            if attempt.ended_at is not None and not correcting:
                return
            guessed = state is None
            if state is None:
                state = "answered" if attempt.details.get("connected_at") else outcome_of_cause(cause or "")
            attempt.state, attempt.ended_at = AttemptState(state), at
            attempt.details = {**attempt.details, "cause": cause, "talk_seconds": talk, "guessed": guessed}
            agent_id, task_id, next_info = attempt.agent_id, attempt.task_id, "disposition"
            task = await repo.task(task_id, for_update=True) if task_id is not None else None
            if task is not None and task.status in (TaskStatus.DIALING, TaskStatus.WAITING_OUTCOME):
                task.last_outcome, task.updated_at = state, now
                if state == "answered":
                    task.status = TaskStatus.WAITING_OUTCOME
                else:
                    attempts = await repo.task_attempts(task.id)
                    same = sum(1 for a in attempts if a.state.value == state)
                    step = after_failed_attempt(config, state, same_outcome_count=same,  # type: ignore[arg-type]
                                                consecutive_failures=consecutive_failures(attempts), now=now)
                    task.reserved_by_id = task.reserved_at = None
                    next_info = step.why
                    if step.status == "queued":
                        task.status, task.next_eligible_at = TaskStatus.QUEUED, step.at or now
                    elif step.status == "done":
                        task.status = TaskStatus.DONE
                    else:
                        task.status = TaskStatus.ESCALATED
                        escalated = {"task_id": task.id, "customer_id": task.customer_id, "reason": task.reason,
                                     "why": step.why, "queue": config.escalation.queue}
        await self._notify(agent_id, DIALER_OUTCOME, {"call_id": call_id, "task_id": task_id,
                                                        "outcome": state, "next": next_info})
        if escalated is not None:
            await self.ctx.push_supervisors(DIALER_ESCALATED, escalated)
            await self.ctx.bus.publish(EscalationRequested(
                customer_id=escalated["customer_id"], rule="failed_attempts", trigger=f"task:{escalated['task_id']}",
                why=escalated["why"], task_id=escalated["task_id"], at=now))
        await self.ctx.give_back(agent_id, call_id)

    async def on_interaction_saved(self, ev: InteractionSaved) -> None:
        self.ctx.poke()
        if ev.call_id is None or not is_own_call(ev.call_id) or ev.status is None:
            return
        try:
            hint = self.ctx.lists.dialer_hint(ev.status, ev.reason, ev.resolution)
        except InvalidInput:
            log.warning("interaction %s: unknown disposition %s/%s/%s", ev.interaction_id, ev.status,
                        ev.reason, ev.resolution)
            return
        now, config = self.ctx.now(), self.ctx.lists.dialer
        path = "/".join(x for x in (ev.status, ev.reason, ev.resolution) if x)
        async with self.ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            attempt = await repo.attempt(ev.call_id, for_update=True)
            if attempt is None:
                return
            attempt.details = {**attempt.details, "disposition": path, "interaction_id": ev.interaction_id}
            if ev.status == "contacted" and ev.reason != "wrong_party":
                attempt.conversation = True  # a right-party conversation (Reg F's 7-day pause)
            task = await repo.task(attempt.task_id, for_update=True) if attempt.task_id else None
            if task is None or task.status not in (TaskStatus.DIALING, TaskStatus.WAITING_OUTCOME,
                                                   TaskStatus.QUEUED):
                return
            task.last_outcome, task.updated_at = (ev.reason or ev.status)[:32], now
            task.reserved_by_id = task.reserved_at = None
            interaction = await session.get(Interaction, ev.interaction_id)
            callback_at = interaction.callback_at if interaction is not None else None
            if hint == "reschedule_callback" and callback_at is not None:
                await self._as_callback(repo, task, attempt.agent_id, callback_at)
            elif hint in ("retry", "reschedule_callback"):
                task.status = TaskStatus.QUEUED
                task.next_eligible_at = now + timedelta(minutes=config.retry.no_answer.spacing_minutes)
            else:  # close, or no hint: the call reached its end
                task.status = TaskStatus.DONE

    async def _as_callback(self, repo: DialerRepository, task: CallTask, owner_id: int | None,
                           at: datetime) -> None:
        settings, config = self.ctx.settings.dialer, self.ctx.lists.dialer
        start, owner_until = callback_window(config, at, settings.callback_grace_minutes)
        figures = await repo.figures(task.customer_id)
        customer = await repo.customer(task.customer_id)
        task.status, task.source = TaskStatus.QUEUED, "callback"
        task.next_eligible_at, task.owner_id, task.owner_until = start, owner_id, owner_until
        task.priority = priority(config, self.ctx.policy, overdue_amount=figures.overdue_amount,
                                 days_past_due=figures.days_past_due,
                                 risk=customer.risk_score if customer else 0.0, callback=True)

    async def _notify(self, agent_id: int | None, type_: str, data: dict[str, Any]) -> None:
        if agent_id is None:
            return
        async with self.ctx.database.session() as session:
            user = await session.get(User, agent_id)
        if user is not None:
            await self.ctx.push(user.username, type_, data)
