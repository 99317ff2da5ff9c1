"""The supervisors' escalation queue: records raised by the rules, shown live, acted on.

Raised from events (a broken promise from the dialer, N failed attempts from the dialer, a saved
disposition marked ``escalate``) and from a periodic scan of the accounts (days past due, overdue
amount, no contact while past due). Every raise and every action is pushed to the ``supervisors``
stream (``escalation.raised`` / ``escalation.updated`` with the open count for the page header)
and written in the customer's history. Handlers are idempotent: a redelivered event finds the
escalation already raised (one per rule, account and trigger).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bus.base import EventBus, Outbox
from bus.outbox_names import ESCALATION_RAISED, ESCALATION_UPDATED, SUPERVISORS
from config.lists import Lists
from config.lists.rules import check_disposition
from domain.errors import Conflict, InvalidInput, SwitchboardError
from domain.events import EscalationRequested, InteractionSaved, PromiseBroken, utcnow
from store.db import Database
from store.models import Customer, Escalation, EscalationState, Role, User
from store.repositories import escalation_scan as scan_queries
from store.repositories.audit import AuditLog
from store.repositories.escalations import EscalationRepository, EscalationRow, StateFilter
from supervision.escalation_rules import (
    NO_CONTACT,
    RULE_LABELS,
    SCANNED,
    Figures,
    Raise,
    on_account,
    on_broken_promise,
    on_disposition,
    summary,
)

log = logging.getLogger(__name__)
Action = Literal["acknowledge", "reassign", "follow_up", "close"]


def view(row: EscalationRow, now: datetime) -> dict[str, Any]:
    e = row.escalation
    end = e.closed_at or now
    return {
        "id": e.id, "customer_id": e.customer_id, "customer_name": row.customer_name,
        "customer_url": f"/customers/{e.customer_id}", "rule": e.rule, "rule_label": RULE_LABELS.get(e.rule, e.rule),
        "summary": e.summary, "figures": e.figures, "state": e.state.value, "raised_at": e.raised_at.isoformat(),
        "agent": row.agent, "raised_for": row.raised_for, "task_id": e.task_id, "outcome": e.outcome,
        "acknowledged_at": e.acknowledged_at.isoformat() if e.acknowledged_at else None,
        "closed_at": e.closed_at.isoformat() if e.closed_at else None,
        "age_seconds": max(0, int((end - e.raised_at).total_seconds())), "actions": list(e.actions or []),
    }


class EscalationService:
    def __init__(self, database: Database, outbox: Outbox | None, lists: Callable[[], Lists], *, currency: str,
                 timezone: str, clock: Callable[[], datetime] = utcnow, scan_seconds: float = 300.0,
                 first_scan_seconds: float = 30.0, batch: int = 500) -> None:
        self.database, self.outbox, self.lists = database, outbox, lists
        self.currency, self.zone, self.clock = currency, ZoneInfo(timezone), clock
        self.scan_seconds, self.first_scan_seconds, self.batch = scan_seconds, first_scan_seconds, batch

    def subscribe(self, bus: EventBus) -> None:
        bus.subscribe(PromiseBroken, self.on_promise_broken, group="escalations.promise_broken")
        bus.subscribe(EscalationRequested, self.on_requested, group="escalations.requested")
        bus.subscribe(InteractionSaved, self.on_interaction_saved, group="escalations.interaction")

    async def run(self, turn: Callable[[], Awaitable[bool]] | None = None) -> None:
        """The periodic scan (supervised); a failed pass is logged and the next one runs. ``turn``
        says whether this worker scans this time (a lease: one worker of the cluster does). The first
        pass waits ``first_scan_seconds``: a worker that just started serves its calls first."""
        await asyncio.sleep(self.first_scan_seconds)
        while True:
            try:
                if turn is None or await turn():
                    await self.scan()
            except SwitchboardError as exc:
                log.warning("escalation scan failed: %s %s", exc.error_id, exc.message)
            await asyncio.sleep(self.scan_seconds)

    # --- raising ----------------------------------------------------------------------------------------

    async def raise_(self, customer_id: int, fired: Raise, figures: Figures, *, task_id: int | None = None,
                     extra: dict[str, Any] | None = None) -> int | None:
        now = self.clock()
        text = summary(fired.why, figures, self.currency)
        async with self.database.session() as session:
            repo = EscalationRepository(session)
            row = await repo.raise_(customer_id=customer_id, rule=fired.rule, trigger=fired.trigger, summary=text,
                                    figures={**figures.as_json(), **(extra or {})}, at=now, task_id=task_id,
                                    rule_label=RULE_LABELS.get(fired.rule, fired.rule))
            if row is None:
                return None
            escalation_id = row.id
        log.info("escalation %d raised: customer %d, %s", escalation_id, customer_id, text)
        await self._push(ESCALATION_RAISED, escalation_id)
        return escalation_id

    async def _figures(self, customer_id: int) -> Figures:
        async with self.database.session() as session:
            account = await scan_queries.account(session, customer_id)
            broken = await scan_queries.broken_promises(session, customer_id)
        return Figures(account.overdue_amount, account.days_past_due, broken, account.worst_loan_id)

    async def on_promise_broken(self, ev: PromiseBroken) -> None:
        figures = await self._figures(ev.customer_id)
        fired = on_broken_promise(self.lists().dialer.escalation, promise_id=ev.promise_id, amount=Decimal(ev.amount),
                                  broken_count=max(figures.broken_promises, 1), currency=self.currency)
        if fired is not None:
            await self.raise_(ev.customer_id, fired, figures, task_id=ev.task_id,
                              extra={"promise_amount": ev.amount, "promise_due": ev.due_date.isoformat()})

    async def on_requested(self, ev: EscalationRequested) -> None:
        figures = await self._figures(ev.customer_id)
        await self.raise_(ev.customer_id, Raise(ev.rule, ev.trigger, ev.why), figures, task_id=ev.task_id,
                          extra=dict(ev.figures))

    async def on_interaction_saved(self, ev: InteractionSaved) -> None:
        if ev.status is None:
            return
        lists = self.lists()
        try:
            path = check_disposition(lists.dispositions, ev.status, ev.reason, ev.resolution)
        except InvalidInput:
            return
        fired = on_disposition(lists.dialer.escalation, escalates=any(node.escalate for node in path),
                               interaction_id=ev.interaction_id, path_label=" → ".join(n.label for n in path))
        if fired is not None:
            await self.raise_(ev.customer_id, fired, await self._figures(ev.customer_id),
                              extra={"interaction_id": ev.interaction_id, "operator": ev.operator})

    async def scan(self, max_batches: int = 200) -> int:
        """Check the account rules (days past due, overdue amount, no contact) over every account that
        may fire one, ``batch`` accounts at a time; returns how many were raised."""
        raised, after = 0, 0
        for _ in range(max_batches):
            found, after = await self._scan_batch(after)
            raised += found
            if after == 0:
                break
        return raised

    async def _scan_batch(self, after: int) -> tuple[int, int]:
        """One batch of accounts with ids above ``after``: (raised, the last id, or 0 at the end)."""
        lists = self.lists()
        rules, task_rules = lists.dialer.escalation, lists.dialer.task_rules
        days = [d for d in (rules.days_past_due, rules.no_contact_days) if d is not None]
        now = self.clock()
        today = now.astimezone(self.zone).date()
        async with self.database.session() as session:
            accounts = await scan_queries.accounts_over(session, days=min(days) if days else None,
                                                        amount=rules.overdue_amount, limit=self.batch, after=after)
            ids = [a.customer_id for a in accounts]
            contacts = await scan_queries.last_contacts(session, ids) if rules.no_contact_days else {}
            seen = await EscalationRepository(session).open_triggers(ids, SCANNED)
        raised = 0
        for account in accounts:
            last = contacts.get(account.customer_id)
            figures = Figures(account.overdue_amount, account.days_past_due, 0, account.worst_loan_id,
                              last.astimezone(self.zone).date() if last else None)
            for fired in on_account(rules, task_rules, figures, today, self.currency):
                if {(account.customer_id, fired.rule, "*"), (account.customer_id, fired.rule, fired.trigger)} & seen:
                    continue
                if fired.rule == NO_CONTACT and last is not None and (now - last).days < (rules.no_contact_days or 0):
                    continue
                if await self.raise_(account.customer_id, fired, figures) is not None:
                    raised += 1
        return raised, ids[-1] if len(ids) == self.batch else 0

    # --- the queue ----------------------------------------------------------------------------------------

    async def listing(self, state: StateFilter = "open", rule: str | None = None, limit: int = 100,
                      offset: int = 0) -> dict[str, Any]:
        now = self.clock()
        async with self.database.session() as session:
            repo = EscalationRepository(session)
            rows = await repo.list(state, rule=rule, limit=limit, offset=offset)
            count = await repo.count_open()
        return {"items": [view(r, now) for r in rows], "open_count": count, "limit": limit, "offset": offset}

    async def act(self, user: User, escalation_id: int, action: Action, *, agent: str | None = None,
                  due_at: datetime | None = None, note: str | None = None) -> dict[str, Any]:
        """Acknowledge, reassign the account, set a follow-up, or close with a note; each is written
        in the escalation and the customer's history."""
        now, note = self.clock(), (note or "").strip() or None
        async with self.database.session() as session:
            repo = EscalationRepository(session)
            e = await repo.get_for_update(escalation_id)
            if e.state == EscalationState.CLOSED:
                raise Conflict("this escalation is closed", {"state": "closed"})
            customer = await session.get(Customer, e.customer_id)
            assert customer is not None  # escalations are deleted with their customer
            text = await self._apply(session, repo, user, e, customer, action, agent, due_at, note, now)
            e.actions = [*(e.actions or []), {"action": action, "by": user.username, "at": now.isoformat(),
                                              "note": note, "detail": text}]
            e.updated_at = now
            AuditLog(session, user.id).record("update", "escalation", e.id, customer_id=e.customer_id,
                                              details={"action": action})
        await self._push(ESCALATION_UPDATED, escalation_id)
        async with self.database.session() as session:
            return view(await EscalationRepository(session).row(escalation_id), self.clock())

    async def _apply(self, session: AsyncSession, repo: EscalationRepository, user: User, e: Escalation,
                     customer: Customer,
                     action: Action, agent: str | None, due_at: datetime | None, note: str | None,
                     now: datetime) -> str:
        if action == "close":
            if note is None:
                raise InvalidInput("close an escalation with a note", {"note": "required to close"})
            e.state, e.open_key, e.closed_at, e.closed_by_id = EscalationState.CLOSED, None, now, user.id
            e.outcome = "closed" if e.outcome in (None, "acknowledged") else e.outcome
            repo.note(customer.id, user.id, now, f"Escalation closed: {e.summary}"[:200], note)
            return "closed"
        if e.state == EscalationState.OPEN:
            e.state, e.acknowledged_at, e.acknowledged_by_id = EscalationState.ACKNOWLEDGED, now, user.id
        if action == "acknowledge":
            e.outcome = e.outcome or "acknowledged"
            repo.note(customer.id, user.id, now, f"Escalation acknowledged: {e.summary}"[:200], note)
            return "acknowledged"
        if action == "reassign":
            new = await self._agent(session, agent)
            before = await session.get(User, customer.assigned_agent_id) if customer.assigned_agent_id else None
            customer.assigned_agent_id = new.id
            e.outcome = "reassigned"
            text = f"account reassigned from {before.username if before else 'nobody'} to {new.username}"
            repo.note(customer.id, user.id, now, f"Escalation: {text}"[:200], note)
            return text
        if due_at is None or due_at.tzinfo is None:
            raise InvalidInput("a follow-up needs a date and time with a zone", {"due_at": "required"})
        target: User | None = await self._agent(session, agent) if agent else (
            await session.get(User, customer.assigned_agent_id) if customer.assigned_agent_id else user)
        if target is None:
            target = user
        e.outcome = "reassigned" if e.outcome == "reassigned" else "follow_up"
        local = due_at.astimezone(self.zone)  # as the desk writes times: "7 Jan 2030, 09:00 EAT"
        text = f"follow-up by {target.display_name or target.username} on {local.day} {local:%b %Y, %H:%M %Z}"
        row = repo.note(customer.id, user.id, now, f"Escalation: {text}"[:200], note, complete=False)
        await session.flush()
        repo.follow_up(customer.id, target.id, due_at, note or f"Escalation: {e.summary}", row.id, user.id)
        return text

    @staticmethod
    async def _agent(session: AsyncSession, username: str | None) -> User:
        if not username:
            raise InvalidInput("name the agent", {"agent": "required"})
        found: User | None = await session.scalar(select(User).where(User.username == username))
        if found is None or not found.active or found.role == Role.ADMIN:
            raise InvalidInput(f"no active agent {username!r}", {"agent": f"unknown agent {username!r}"})
        return found

    async def _push(self, kind: str, escalation_id: int) -> None:
        if self.outbox is None:
            return
        try:
            async with self.database.session() as session:
                repo = EscalationRepository(session)
                body = {"escalation": view(await repo.row(escalation_id), self.clock()),
                        "open_count": await repo.count_open()}
            await self.outbox.append(SUPERVISORS, kind, body)
        except SwitchboardError as exc:  # the record is stored; the page catches up on its next load
            log.warning("could not push %s %d: %s", kind, escalation_id, exc.message)
