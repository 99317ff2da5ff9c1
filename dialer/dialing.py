"""Dialling: the gate, then the attempt row, then one DialRequested on the bus. Never twice.

The attempt row (id ``sb-<uuid>``, the call_id the carrier echoes back) is committed *before* the
command is published, in the same transaction that re-checks the compliance gate under a lock on
the customer, so two dials to one customer cannot both pass a limit. A publish that fails leaves
the attempt ``unknown``: it is reconciled from the call's events and never sent again.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from dialer.context import DialerContext
from dialer.gate import HISTORY, context_for
from dialer.rules import purpose_of
from domain.compliance import Blocked, check, raise_if_blocked
from domain.errors import AgentNotAvailable, ApprovalRequired, InvalidInput, NotFound
from domain.events import DialRequested
from domain.phone import to_e164
from store.dialer_repo import DialerRepository, NumberOption
from store.models import (
    ApprovalStatus,
    AttemptState,
    CallTask,
    Campaign,
    Customer,
    DialApproval,
    DialAttempt,
    TaskStatus,
    User,
)

log = logging.getLogger(__name__)
NEVER_RETRY = timedelta(days=1)  # a "never" block (DNC) is looked at again after this


def new_attempt_id() -> str:
    return f"sb-{uuid.uuid4().hex}"


@dataclass(frozen=True, slots=True)
class DialPlan:
    """A committed attempt, ready to publish."""

    request: DialRequested
    agent: str
    customer_id: int | None
    task_id: int | None


@dataclass(frozen=True, slots=True)
class Refusal:
    """The gate said no: the task (if any) was rescheduled to ``block.next_allowed_at``."""

    block: Blocked
    task_id: int | None


def pick_number(options: list[NumberOption], wanted: str | None, region: str) -> NumberOption | None:
    if wanted is None:
        return options[0] if options else None
    e164 = to_e164(wanted, region) or wanted
    return next((o for o in options if o.number == e164), None)


def reschedule_blocked(task: CallTask, block: Blocked, now: datetime) -> None:
    task.status = TaskStatus.QUEUED
    task.reserved_by_id = None
    task.reserved_at = None
    task.blocked_rule = block.rule
    task.next_eligible_at = block.next_allowed_at or now + NEVER_RETRY
    task.updated_at = now


class DialSender:
    """Turns a reserved task, a click-to-call or an approved manual number into one dial."""

    def __init__(self, ctx: DialerContext) -> None:
        self.ctx = ctx

    def _request(self, attempt: DialAttempt, agent: User, campaign: str | None,
                 carrier: str) -> DialRequested:
        assert agent.extension is not None
        return DialRequested(
            call_id=attempt.id, agent_device=agent.extension, customer_number=attempt.number_e164,
            carrier=carrier, campaign=campaign,
            timeout_seconds=self.ctx.settings.dialer.originate_timeout_seconds,
            variables=(("SB_TASK_ID", str(attempt.task_id or "")),),
        )

    async def _history(self, repo: DialerRepository, customer: Customer, number: str,
                       now: datetime) -> list[DialAttempt]:
        return (await repo.history([customer.id], now - HISTORY))[customer.id]

    async def dial_task(self, task_id: int, agent_id: int, number: str | None, *,
                        strict_number: bool) -> DialPlan | Refusal | None:
        """Dial a task reserved for ``agent_id``. None when it is no longer theirs to dial.

        ``number`` None: the first number the gate allows. ``strict_number``: the agent chose this
        number; if it is blocked the task stays reserved and ComplianceBlocked is raised.
        """
        ctx, now = self.ctx, self.ctx.now()
        async with ctx.database.session() as session:
            repo = DialerRepository(session)
            await repo.begin_write()
            task = await repo.task(task_id, for_update=True)
            if task is None or task.status != TaskStatus.RESERVED or task.reserved_by_id != agent_id:
                return None
            await repo.lock_customer(task.customer_id)
            customer = await repo.customer(task.customer_id)
            agent = await session.get(User, agent_id)
            campaign = await session.get(Campaign, task.campaign_id)
            assert customer is not None and agent is not None and campaign is not None
            options = repo.numbers(customer)
            purpose = purpose_of(campaign.code)
            figures = await repo.figures(customer.id)
            history = await self._history(repo, customer, "", now)
            chosen: NumberOption | None = None
            first_block: Blocked | None = None
            candidates = options if number is None else [o for o in options if o.number == number]
            if number is not None and not candidates:
                raise InvalidInput("that number is not one of this customer's numbers or contacts",
                                   {"number": "not a number of this customer"})
            for option in candidates:
                decision = check(ctx.pack, context_for(customer, option.relation, history, now=now,
                                                       purpose=purpose, default_zone=ctx.settings.timezone,
                                                       loan_id=figures.loan_id))
                if isinstance(decision, Blocked):
                    first_block = first_block or decision
                    continue
                chosen = option
                break
            if chosen is None:
                block = first_block or Blocked("no_number", "the customer has no number to call", None)
                if strict_number:
                    raise_if_blocked(block)
                reschedule_blocked(task, block, now)
                return Refusal(block, task.id)
            task.status, task.attempts, task.blocked_rule = TaskStatus.DIALING, task.attempts + 1, None
            task.updated_at = now
            attempt = DialAttempt(
                id=new_attempt_id(), task_id=task.id, customer_id=customer.id, loan_id=figures.loan_id,
                agent_id=agent.id, number_e164=chosen.number, relation=chosen.relation,
                contact_id=chosen.contact_id, carrier=campaign.carrier, kind="progressive",
                state=AttemptState.REQUESTED, requested_at=now, details={"reason": task.reason},
            )
            session.add(attempt)
            request = self._request(attempt, agent, campaign.code, campaign.carrier)
        return DialPlan(request, agent.username, customer.id, task_id)

    async def click_to_call(self, username: str, customer_id: int, number: str | None) -> DialPlan:
        """Click-to-call from a customer record, or an approved manual number (seed 001 Outgoing Call).

        ``number`` None: the customer's main number. A number that is neither the customer's nor one
        of their contacts needs an open supervisor approval for this agent; it is then dialled as the
        customer's own (the supervisor vouched for it), so the customer's do-not-call, consent,
        calling window and attempt limits still apply. Raises ComplianceBlocked (409) with the rule
        and the next allowed time, ApprovalRequired, AgentNotAvailable, NotFound or InvalidInput.
        """
        ctx, now = self.ctx, self.ctx.now()
        region = ctx.settings.default_region
        async with ctx.database.session() as session:
            repo = DialerRepository(session)
            agent = await repo.user_by_name(username)
            if agent is None or not agent.extension:
                raise AgentNotAvailable("this user has no phone extension", {"extension": "missing"})
            await repo.lock_customer(customer_id)
            await self._check_agent_free(repo, agent)
            customer = await repo.customer(customer_id)
            if customer is None:
                raise NotFound(f"no customer {customer_id}", {"customer_id": str(customer_id)})
            option = pick_number(repo.numbers(customer), number, region)
            kind = "click"
            if option is None:
                if number is None:
                    raise InvalidInput("the customer has no number to call", {"number": "required"})
                e164 = to_e164(number, region)
                if e164 is None:
                    raise InvalidInput(f"{number!r} is not a valid phone number", {"number": "not valid"})
                await self._require_approval(session, agent.id, e164, now)
                option, kind = NumberOption(e164, "customer", customer.name, None, "approved"), "manual"
            campaign = await self._campaign_of(session, customer)
            figures = await repo.figures(customer.id)
            history = await self._history(repo, customer, option.number, now)
            raise_if_blocked(check(ctx.pack, context_for(
                customer, option.relation, history, now=now, purpose=purpose_of(campaign.code),
                default_zone=ctx.settings.timezone, loan_id=figures.loan_id)))
            attempt = DialAttempt(
                id=new_attempt_id(), task_id=None, customer_id=customer.id, loan_id=figures.loan_id,
                agent_id=agent.id, number_e164=option.number, relation=option.relation,
                contact_id=option.contact_id, carrier=campaign.carrier, kind=kind,
                state=AttemptState.REQUESTED, requested_at=now, details={},
            )
            session.add(attempt)
            request = self._request(attempt, agent, campaign.code, campaign.carrier)
        return DialPlan(request, agent.username, customer_id, None)

    async def _check_agent_free(self, repo: DialerRepository, agent: User) -> None:
        state = await repo.presence_state(agent.id)
        if state in ("ringing", "on_call", "logged_out"):
            raise AgentNotAvailable(f"the agent is {state}", {"state": state})
        if agent.id in await repo.busy_agents() or await repo.live_attempt_of(agent.id) is not None:
            raise AgentNotAvailable("the agent already has a dial in progress", {"state": "dialing"})

    async def _require_approval(self, session: AsyncSession, agent_id: int, e164: str, now: datetime) -> None:
        approval = await session.scalar(
            select(DialApproval.id).where(DialApproval.agent_id == agent_id, DialApproval.number_e164 == e164,
                                          DialApproval.status == ApprovalStatus.APPROVED,
                                          DialApproval.expires_at > now).limit(1))
        if approval is None:
            raise ApprovalRequired("a number outside the customer's record needs a supervisor's approval",
                                   {"number": e164})

    async def _campaign_of(self, session: AsyncSession, customer: Customer) -> Campaign:
        if customer.campaign_id is not None:
            found = await session.get(Campaign, customer.campaign_id)
            if found is not None:
                return found
        first = self.ctx.lists.dialer.campaigns[0]
        row = await session.scalar(select(Campaign).where(Campaign.code == first.code))
        if row is None:
            row = Campaign(code=first.code, name=first.label, carrier=first.carrier, queue=first.queue)
            session.add(row)
            await session.flush()
        return row

    async def publish(self, plan: DialPlan) -> None:
        """Send the committed attempt once. A failed publish marks it unknown (never re-sent)."""
        try:
            await self.ctx.bus.publish(plan.request)
        except Exception as exc:
            log.exception("dial %s: publish failed; marking it unknown", plan.request.call_id)
            async with self.ctx.database.session() as session:
                attempt = await session.get(DialAttempt, plan.request.call_id)
                if attempt is not None and attempt.state == AttemptState.REQUESTED:
                    attempt.state = AttemptState.UNKNOWN
                    attempt.details = {**attempt.details, "publish_error": str(exc)[:200]}
