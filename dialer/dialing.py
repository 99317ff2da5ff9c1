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
from dialer.permission import check_dial
from dialer.rules import purpose_of
from domain.agent_state import AgentState
from domain.carrier import CarrierName, carrier_for_device
from domain.compliance import Blocked, check, raise_if_blocked
from domain.errors import AgentNotAvailable, InvalidInput, NotFound
from domain.events import DialRequested
from domain.events.calls import OWN_CALL_PREFIX
from domain.phone import to_e164
from store.models import (
    AttemptState,
    CallTask,
    Campaign,
    Customer,
    DialAttempt,
    TaskStatus,
    User,
)
from store.repositories.dialer import DialerRepository, NumberOption

log = logging.getLogger(__name__)
NEVER_RETRY = timedelta(days=1)  # a "never" block (DNC) is looked at again after this

# Why an agent cannot be dialled for now, as the sentence the desk shows (never the state's code).
_BUSY_WORDS = {AgentState.RINGING: "has a call ringing: answer or end it first",
               AgentState.ON_CALL: "is on a call: finish it first",
               AgentState.LOGGED_OUT: "is logged out: go Ready or Paused to dial"}


def new_attempt_id() -> str:
    return f"{OWN_CALL_PREFIX}{uuid.uuid4().hex}"


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


def dial_carrier(agent: User, campaign: Campaign) -> CarrierName:
    """The carrier a dial goes to: the one that holds the agent's phone (a dial rings the agent
    first), by :func:`domain.carrier.carrier_for_device`, as the line check and the dialer's pauses.
    When the campaign names the other carrier, the dial still goes to the phone's (the campaign's
    could not ring it) and the log says so: the agent belongs in a campaign of their carrier."""
    carrier = carrier_for_device(agent.extension)
    if campaign.carrier != carrier:
        log.warning("agent %s (%s) is on %s but campaign %s names %s: dialling on %s", agent.username,
                    agent.extension, carrier, campaign.code, campaign.carrier, carrier,
                    extra={"agent": agent.username})
    return carrier


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

    def _request(self, attempt: DialAttempt, agent: User, campaign: str | None) -> DialRequested:
        assert agent.extension is not None
        return DialRequested(
            call_id=attempt.id, agent_device=agent.extension, customer_number=attempt.number_e164,
            carrier=attempt.carrier, campaign=campaign,
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
            wanted = None if number is None else to_e164(number, ctx.settings.default_region) or number
            candidates = options if wanted is None else [o for o in options if o.number == wanted]
            rule = ctx.lists.dialer.approval_required
            if wanted is not None and not candidates:  # a number off the record: approved, or 403
                await check_dial(session, rule, agent, customer, wanted, on_record=False, now=now,
                                 reserved_task=True)
                candidates = [NumberOption(wanted, "customer", customer.name, None, "approved")]
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
                ctx.count_block(block.rule)
                if strict_number:
                    raise_if_blocked(block)
                reschedule_blocked(task, block, now)
                return Refusal(block, task.id)
            if chosen.label != "approved":  # the same rule for the progressive dialer's own pick
                await check_dial(session, rule, agent, customer, chosen.number, on_record=True, now=now,
                                 reserved_task=True)
            # the gate had held this task: the dial says so (QA picks such calls to score, issue 22)
            held = {"blocked_before": task.blocked_rule} if task.blocked_rule else {}
            task.status, task.attempts, task.blocked_rule = TaskStatus.DIALING, task.attempts + 1, None
            task.updated_at = now
            attempt = DialAttempt(
                id=new_attempt_id(), task_id=task.id, customer_id=customer.id, loan_id=figures.loan_id,
                agent_id=agent.id, number_e164=chosen.number, relation=chosen.relation,
                contact_id=chosen.contact_id, carrier=dial_carrier(agent, campaign), kind="progressive",
                state=AttemptState.REQUESTED, requested_at=now, details={"reason": task.reason, **held},
            )
            session.add(attempt)
            request = self._request(attempt, agent, campaign.code)
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
                option, kind = NumberOption(e164, "customer", customer.name, None, "approved"), "manual"
            await check_dial(session, ctx.lists.dialer.approval_required, agent, customer, option.number,
                             on_record=kind == "click", now=now)
            campaign = await self._campaign_of(session, customer)
            figures = await repo.figures(customer.id)
            history = await self._history(repo, customer, option.number, now)
            decision = check(ctx.pack, context_for(
                customer, option.relation, history, now=now, purpose=purpose_of(campaign.code),
                default_zone=ctx.settings.timezone, loan_id=figures.loan_id))
            if isinstance(decision, Blocked):
                ctx.count_block(decision.rule)
            raise_if_blocked(decision)
            attempt = DialAttempt(
                id=new_attempt_id(), task_id=None, customer_id=customer.id, loan_id=figures.loan_id,
                agent_id=agent.id, number_e164=option.number, relation=option.relation,
                contact_id=option.contact_id, carrier=dial_carrier(agent, campaign), kind=kind,
                state=AttemptState.REQUESTED, requested_at=now, details={},
            )
            session.add(attempt)
            request = self._request(attempt, agent, campaign.code)
        return DialPlan(request, agent.username, customer_id, None)

    async def _check_agent_free(self, repo: DialerRepository, agent: User) -> None:
        state = await repo.presence_state(agent.id)
        if state in _BUSY_WORDS:
            raise AgentNotAvailable(f"{agent.display_name or agent.username} {_BUSY_WORDS[state]}",
                                    {"state": state.value})
        if agent.id in await repo.busy_agents() or await repo.live_attempt_of(agent.id) is not None:
            raise AgentNotAvailable("the agent already has a dial in progress", {"state": "dialing"})

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
