"""Pure dialer rules: priorities, which reason a past-due account gets, retries, escalation, postpone.

Nothing here does I/O: the generator and the outcome handlers read the store, call these, and write
what they answer. The weights and limits come from ``config/defaults/dialer.yaml``
(:class:`config.lists.models.DialerConfig`); the few thresholds that file does not name yet are in
:class:`GenerationPolicy`, with defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Literal

from config.lists.models import DialerConfig, RetryRule
from domain.compliance import Purpose
from domain.errors import InvalidInput

# Reasons (reasons.yaml codes) that are one "family": a customer has at most one open task per family.
PAST_DUE_REASONS = frozenset({"late", "overdue_loan", "payg_default"})
CALLBACK = "callback"
BROKEN_PROMISE = "broken_promise"
NEW_LEAD = "new_lead"
UPGRADE_OFFER = "upgrade_offer"

Outcome = Literal["no_answer", "busy", "failed"]
FAILED_OUTCOMES: frozenset[str] = frozenset({"no_answer", "busy", "failed"})


@dataclass(frozen=True)
class GenerationPolicy:
    """Thresholds of the task rules that dialer.yaml does not carry (yet)."""

    late_max_days: int = 30  # past due fewer days than this: reason "late"
    payg_products: tuple[str, ...] = ("payg",)  # product names containing these: "payg_default"
    amount_cap_factor: float = 100.0  # overdue amount saturates at threshold x this
    days_cap: int = 90  # days past due saturate here
    cooldown: timedelta = timedelta(hours=20)  # no new task of a family this soon after one closed
    lead_cooldown: timedelta = timedelta(days=30)
    upgrade_max_risk: float = 0.2
    upgrade_min_loan_age: timedelta = timedelta(days=180)
    lead_status: str = "lead"
    batch: int = 2000  # rows per generation pass and rule


def family(reason: str) -> str:
    """The dedupe key of a reason: all past-due reasons are one family."""
    return "past_due" if reason in PAST_DUE_REASONS else reason


def family_reasons(reason: str) -> frozenset[str]:
    return PAST_DUE_REASONS if reason in PAST_DUE_REASONS else frozenset({reason})


def _clamp(value: float) -> float:
    return 0.0 if value < 0 else 1.0 if value > 1 else value


def priority(config: DialerConfig, policy: GenerationPolicy, *, overdue_amount: Decimal | float,
             days_past_due: int, risk: float, callback: bool = False) -> float:
    """Higher first. Each factor is normalised to 0..1, then weighted by dialer.yaml's weights."""
    w = config.priority_weights
    cap = max(config.task_rules.overdue_amount_threshold * policy.amount_cap_factor, 1.0)
    amount = _clamp(float(overdue_amount) / cap)
    days = _clamp(days_past_due / max(policy.days_cap, 1))
    score = w.overdue_amount * amount + w.risk * _clamp(risk) + w.days_past_due * days
    if callback:
        score += w.due_callback
    return round(score, 6)


def is_past_due(config: DialerConfig, *, overdue_amount: Decimal | float, days_past_due: int) -> bool:
    rules = config.task_rules
    return (days_past_due >= max(rules.days_past_due_threshold, 1)
            and float(overdue_amount) >= rules.overdue_amount_threshold and float(overdue_amount) > 0)


def past_due_reason(policy: GenerationPolicy, *, days_past_due: int, products: tuple[str, ...]) -> str:
    """Seed 001's reasons for a past-due account: late, PAYG default, or an overdue loan."""
    if days_past_due < policy.late_max_days:
        return "late"
    if any(tag in product.lower() for product in products for tag in policy.payg_products):
        return "payg_default"
    return "overdue_loan"


def purpose_of(campaign_code: str | None) -> Purpose:
    """Which compliance purpose a campaign's calls serve (collections when unknown: the strictest)."""
    code = (campaign_code or "").lower()
    if "sales" in code or "lead" in code:
        return "sales"
    if "service" in code or "support" in code:
        return "service"
    return "collections"


@dataclass(frozen=True)
class NextStep:
    """What happens to a task after a failed attempt: ``queued`` at ``at``, ``done`` or ``escalated``."""

    status: Literal["queued", "done", "escalated"]
    at: datetime | None
    why: str


def after_failed_attempt(config: DialerConfig, outcome: Outcome, *, same_outcome_count: int,
                         consecutive_failures: int, now: datetime) -> NextStep:
    """Retry by policy, give up after ``max_attempts`` of that outcome, escalate after N failures.

    ``same_outcome_count`` and ``consecutive_failures`` include the attempt that just failed.
    """
    if consecutive_failures >= config.escalation.failed_attempts:
        return NextStep("escalated", None, f"{consecutive_failures} failed attempts in a row")
    rule: RetryRule = getattr(config.retry, outcome)
    if same_outcome_count >= rule.max_attempts:
        return NextStep("done", None, f"{outcome}: {same_outcome_count} of {rule.max_attempts} attempts used")
    return NextStep("queued", now + timedelta(minutes=rule.spacing_minutes),
                    f"{outcome}: retry in {rule.spacing_minutes} min")


def escalate_broken_promise(config: DialerConfig, amount: Decimal) -> bool:
    return float(amount) > config.escalation.broken_promise_amount


def postpone_until(config: DialerConfig, hours: int, comment: str | None, now: datetime) -> datetime:
    """Seed 001: postpone by one of the offered hours (4 or 8), with a comment when required."""
    options = config.postpone.hours
    if hours not in options:
        raise InvalidInput(f"postpone by one of {options} hours", {"hours": f"expected one of {options}"})
    if config.postpone.comment_required and not (comment or "").strip():
        raise InvalidInput("a comment is required to postpone a call", {"comment": "required"})
    return now + timedelta(hours=hours)


def callback_window(config: DialerConfig, at: datetime, grace_minutes: int) -> tuple[datetime, datetime]:
    """(eligible from, owner-only until) for a callback at ``at``: queued ``callback_lead_minutes``
    early; after ``grace_minutes`` past ``at`` any agent of the campaign may take it."""
    lead = timedelta(minutes=config.task_rules.callback_lead_minutes)
    return at - lead, at + timedelta(minutes=grace_minutes)


def outcome_of_cause(cause: str) -> str:
    """A call's end cause (domain EndCause value) as a dial attempt state."""
    return {"normal": "answered", "busy": "busy", "no_answer": "no_answer", "abandoned": "no_answer",
            "rejected": "failed", "failed": "failed"}.get(cause, "failed")
