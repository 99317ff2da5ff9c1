"""Past work for a demo customer: follow-up notes with 3-layer dispositions, promises and tasks."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from config.lists import Lists, load_lists
from config.settings import CONFIG_DIR
from domain.wording import day, money
from store.models import FollowUpTask, Interaction, PromiseStatus, PromiseToPay, StatementTransaction
from store.seed.demo_data import CURRENT_SCENARIOS, OVERDUE_SCENARIOS, SCENARIOS_BY_KEY, Scenario
from store.seed.demo_gen import DemoGenerator

_LOCAL = ZoneInfo("Africa/Nairobi")

_FOLLOW_UP_INSTRUCTIONS = {
    "dispute": "Check the missing payment with finance and call the customer back with the answer.",
    "technical": "Confirm that the technician visited and the control unit works.",
}


@dataclass
class Context:
    """What the history of one customer depends on."""

    customer_id: int
    operators: list[int]  # the assigned agent first
    overdue: bool
    well_known: bool
    overdue_amount: Decimal
    loan_id: int | None
    guarantor_id: int | None
    officer_id: int | None
    payments: list[StatementTransaction] = field(default_factory=list)  # flushed, oldest first
    name: str = ""
    client_id: str | None = None
    balance: Decimal = Decimal(0)
    days_past_due: int = 0


@dataclass
class Planned:
    scenario: Scenario
    interaction: Interaction
    kept_payment: StatementTransaction | None = None


def _local_date(moment: datetime) -> date:
    return moment.astimezone(_LOCAL).date()


def _future(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), _LOCAL).astimezone(UTC)


def plan_history(gen: DemoGenerator, ctx: Context) -> list[Planned]:
    """The customer's past interactions, oldest first (not yet flushed)."""
    rng = gen.rng
    if ctx.well_known:
        keys, offsets = ["no_answer", "guarantor", "promise"], [10, 6, 1]
    else:
        pool = OVERDUE_SCENARIOS if ctx.overdue else CURRENT_SCENARIOS
        count = rng.randint(1, 4) if ctx.overdue else rng.randint(0, 2)
        keys = [rng.choice(pool) for _ in range(count)]
        offsets = sorted((rng.randint(0, 30) for _ in keys), reverse=True)
    planned: list[Planned] = []
    if ctx.payments and (ctx.well_known or rng.random() < 0.25):
        paid = ctx.payments[-1]
        when = paid.posted_at - timedelta(days=rng.randint(1, 3))
        interaction = _interaction(gen, ctx, SCENARIOS_BY_KEY["promise"], when)
        interaction.promised_amount, interaction.promised_date = paid.amount, _local_date(paid.posted_at)
        interaction.client_status = "current" if not ctx.overdue else interaction.client_status
        if interaction.message_template is not None:  # the message confirms this promise
            interaction.message_body = message_text(ctx, interaction)
        planned.append(Planned(SCENARIOS_BY_KEY["promise"], interaction, kept_payment=paid))
    for key, offset in zip(keys, offsets, strict=True):
        if key == "guarantor" and ctx.guarantor_id is None:
            key = "no_answer"
        scenario = SCENARIOS_BY_KEY[key]
        when = gen.at(gen.today - timedelta(days=offset))
        planned.append(Planned(scenario, _interaction(gen, ctx, scenario, when)))
    planned.sort(key=lambda p: p.interaction.created_at)
    return planned


def _interaction(gen: DemoGenerator, ctx: Context, sc: Scenario, when: datetime) -> Interaction:
    rng = gen.rng
    operator = ctx.operators[0] if rng.random() < 0.8 else rng.choice(ctx.operators)
    comment = rng.choice(sc.comments) if sc.comments else None
    contact_id = {"guarantor": ctx.guarantor_id, "relationship_officer": ctx.officer_id}.get(sc.action)
    row = Interaction(
        customer_id=ctx.customer_id, channel=sc.channel, direction=sc.direction, operator_id=operator,
        created_at=when, activity_type=sc.activity_type, action=sc.action, contact_id=contact_id,
        call_result=sc.call_result, call_status=sc.call_status, status_action=sc.status_action,
        party_response=sc.party_response, comments=comment, client_status=sc.client_status,
        disposition_status=sc.status, disposition_reason=sc.reason, disposition_resolution=sc.resolution,
        purpose=sc.purpose, subject=sc.subject, detail=None, call_outcome=sc.call_outcome,
        customer_mood=sc.customer_mood, complete=sc.effect != "follow_up", reason_code=sc.reason_code,
        send_message=False, message_sent=False,
    )
    if sc.effect == "promise":
        share = Decimal(str(round(rng.uniform(0.3, 1.0), 2)))
        amount = (ctx.overdue_amount * share).quantize(Decimal("1"))
        row.promised_amount = ctx.overdue_amount if ctx.well_known or amount < 100 else amount
        row.promised_date = (gen.today + timedelta(days=2) if ctx.well_known
                             else _local_date(when) + timedelta(days=rng.randint(1, 7)))
    if sc.reason == "call_back":
        row.callback_at = when + timedelta(hours=rng.choice((4, 8)))  # seed 001: postpone 4 h or 8 h
    if sc.resolution == "visit_scheduled":
        row.visit_date = _local_date(when) + timedelta(days=rng.randint(2, 6))
    if sc.message_template is not None and (sc.channel == "sms" or rng.random() < 0.5):
        # as the desk records it: the template's text filled in for this customer, not marked sent
        # (messaging is off in the demo: no provider, so nothing went out)
        row.send_message, row.message_template, row.message_sent = True, sc.message_template, False
        row.message_body = message_text(ctx, row)
    return row


@cache
def _lists() -> Lists:
    return load_lists(CONFIG_DIR / "defaults")


def message_text(ctx: Context, note: Interaction) -> str:
    """The note's template filled in with the customer's figures, as the desk fills the message box."""
    paid = ctx.payments[-1].amount if ctx.payments else ctx.overdue_amount
    values: dict[str, object] = {
        "name": ctx.name, "first_name": ctx.name.split()[0] if ctx.name.split() else ctx.name,
        "client_id": ctx.client_id, "account": ctx.client_id or str(ctx.customer_id),
        "overdue_amount": money(ctx.overdue_amount), "balance": money(ctx.balance),
        "days_past_due": ctx.days_past_due, "amount": money(paid if note.message_template == "payment_received"
                                                             else ctx.overdue_amount),
        "due_date": day(_local_date(note.created_at) + timedelta(days=3)),
    }
    if note.promised_amount is not None and note.promised_date is not None:
        values.update(promised_amount=money(note.promised_amount), promised_date=day(note.promised_date))
    lists = _lists()
    assert note.message_template is not None
    return lists.render(lists.template(note.message_template).body, values)


def plan_work(gen: DemoGenerator, ctx: Context,
              planned: list[Planned]) -> list[PromiseToPay | FollowUpTask]:
    """Promises and tasks linked to the (flushed) interactions, plus tasks due today."""
    rng, now = gen.rng, gen.now
    rows: list[PromiseToPay | FollowUpTask] = []
    for item in planned:
        note, sc = item.interaction, item.scenario
        if sc.effect == "promise" and note.promised_amount is not None and note.promised_date is not None:
            promise = PromiseToPay(
                customer_id=ctx.customer_id, loan_id=ctx.loan_id, amount=note.promised_amount,
                due_date=note.promised_date, assignee_id=note.operator_id, created_by_id=note.operator_id,
                interaction_id=note.id, notes=note.comments, paid_amount=Decimal(0),
                status=PromiseStatus.PENDING if note.promised_date >= gen.today else PromiseStatus.BROKEN,
                created_at=note.created_at, updated_at=note.created_at)
            if item.kept_payment is not None:
                promise.status, promise.paid_amount = PromiseStatus.KEPT, item.kept_payment.amount
                promise.matched_transaction_id = item.kept_payment.id
                promise.settled_at = item.kept_payment.posted_at
            rows.append(promise)
        elif note.callback_at is not None:
            done = note.callback_at < now
            rows.append(_task(ctx, note, "callback", note.callback_at, note.comments or "", done))
        elif sc.effect == "follow_up":
            due = _future(_local_date(note.created_at) + timedelta(days=rng.randint(1, 3)),
                          rng.randint(9, 16))
            rows.append(_task(ctx, note, "follow_up", due, _FOLLOW_UP_INSTRUCTIONS.get(sc.key, sc.subject),
                              due < now and rng.random() < 0.6))
    last = planned[-1].interaction if planned else None
    if ctx.well_known or (ctx.overdue and rng.random() < 0.15):
        hour = 15 if ctx.well_known else rng.randint(9, 17)
        rows.append(FollowUpTask(
            customer_id=ctx.customer_id, assignee_id=ctx.operators[0], kind="callback" if ctx.well_known
            else "follow_up", due_at=_future(gen.today, hour), done=False,
            instructions="Confirm the promised payment reached the account." if ctx.well_known
            else "Call about the overdue balance and agree a payment date.",
            interaction_id=last.id if last is not None else None, created_by_id=ctx.operators[0],
            created_at=last.created_at if last is not None else now))
    return rows


def _task(ctx: Context, note: Interaction, kind: str, due: datetime, instructions: str,
          done: bool) -> FollowUpTask:
    return FollowUpTask(
        customer_id=ctx.customer_id, assignee_id=note.operator_id or ctx.operators[0], kind=kind,
        due_at=due, instructions=instructions, done=done,
        done_at=due + timedelta(minutes=10) if done else None,
        interaction_id=note.id, created_by_id=note.operator_id, created_at=note.created_at)


def client_status(ctx: Context, planned: list[Planned]) -> str:
    """The client status after the last note (seed 000 list): overdue accounts keep the note's."""
    if not ctx.overdue:
        return "current"
    for item in reversed(planned):
        if item.interaction.client_status:
            return item.interaction.client_status
    return "overdue"
