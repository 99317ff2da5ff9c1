"""Pure escalation rules (dialer.yaml ``escalation``): which rule an account's figures fire, and the
sentence a supervisor reads ("2nd broken promise, KES 12,400 overdue, 61 days past due").

Each :class:`Raise` names the rule and its *trigger*, the fact that fired it (a promise, a note, a
loan, the last contact): an escalation is raised once per rule, account and trigger, and never
while another of the same rule and account is open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from config.lists.models import EscalationRules, TaskRules
from domain.wording import day

BROKEN_PROMISE = "broken_promise"
DAYS_PAST_DUE = "days_past_due"
OVERDUE_AMOUNT = "overdue_amount"
NO_CONTACT = "no_contact"
DISPOSITION = "disposition"
FAILED_ATTEMPTS = "failed_attempts"
RULE_LABELS = {
    BROKEN_PROMISE: "Broken promise", DAYS_PAST_DUE: "Days past due", OVERDUE_AMOUNT: "Overdue amount",
    NO_CONTACT: "No contact", DISPOSITION: "Disposition marked escalate", FAILED_ATTEMPTS: "Failed attempts",
}
SCANNED = (DAYS_PAST_DUE, OVERDUE_AMOUNT, NO_CONTACT)


@dataclass(frozen=True, slots=True)
class Figures:
    """An account's figures at the moment a rule is checked."""

    overdue_amount: Decimal
    days_past_due: int
    broken_promises: int = 0
    worst_loan_id: int | None = None
    last_contact: date | None = None

    def as_json(self) -> dict[str, Any]:
        return {"overdue_amount": f"{self.overdue_amount:.2f}", "days_past_due": self.days_past_due,
                "broken_promises": self.broken_promises,
                "last_contact": self.last_contact.isoformat() if self.last_contact else None}


@dataclass(frozen=True, slots=True)
class Raise:
    rule: str
    trigger: str
    why: str  # the first words of the summary


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def amount_text(amount: Decimal, currency: str) -> str:
    """``KES 12,400`` (cents only when there are some)."""
    whole = amount == amount.to_integral_value()
    return f"{currency} {amount:,.0f}" if whole else f"{currency} {amount:,.2f}"


def summary(why: str, figures: Figures, currency: str) -> str:
    """``why`` with the account's overdue amount and days past due (each once)."""
    parts = [why]
    if figures.overdue_amount > 0 and "overdue" not in why:
        parts.append(f"{amount_text(figures.overdue_amount, currency)} overdue")
    if figures.days_past_due > 0 and "past due" not in why:
        parts.append(f"{figures.days_past_due} days past due")
    return ", ".join(parts)


def on_broken_promise(rules: EscalationRules, *, promise_id: int, amount: Decimal, broken_count: int,
                      currency: str) -> Raise | None:
    """The Nth broken promise of the account (``broken_promises``), or one over ``broken_promise_amount``."""
    nth = rules.broken_promises is not None and broken_count >= rules.broken_promises
    big = float(amount) > rules.broken_promise_amount
    if not (nth or big):
        return None
    why = f"{ordinal(broken_count)} broken promise"
    if big:
        why += f" of {amount_text(amount, currency)}"
    return Raise(BROKEN_PROMISE, f"promise:{promise_id}", why)


def on_account(rules: EscalationRules, task_rules: TaskRules, figures: Figures, today: date,
               currency: str) -> list[Raise]:
    """The rules a scan checks: days past due, overdue amount, and no contact while past due."""
    fired: list[Raise] = []
    loan = f"loan:{figures.worst_loan_id}"
    if rules.days_past_due is not None and figures.days_past_due >= rules.days_past_due:
        fired.append(Raise(DAYS_PAST_DUE, loan, f"{figures.days_past_due} days past due"))
    if rules.overdue_amount is not None and float(figures.overdue_amount) >= rules.overdue_amount:
        limit = amount_text(Decimal(str(rules.overdue_amount)), currency)
        fired.append(Raise(OVERDUE_AMOUNT, loan, f"{amount_text(figures.overdue_amount, currency)} overdue "
                                                  f"(limit {limit})"))
    past_due = (figures.days_past_due >= max(task_rules.days_past_due_threshold, 1)
                and float(figures.overdue_amount) >= task_rules.overdue_amount_threshold
                and figures.overdue_amount > 0)
    days = rules.no_contact_days
    if days is not None and past_due and figures.days_past_due >= days:
        last = figures.last_contact
        if last is None or (today - last).days >= days:
            since = "never contacted" if last is None else f"not contacted since {day(last)}"
            fired.append(Raise(NO_CONTACT, f"since:{last.isoformat() if last else 'never'}", since))
    return fired


def on_disposition(rules: EscalationRules, *, escalates: bool, interaction_id: int, path_label: str) -> Raise | None:
    if not (rules.disposition and escalates):
        return None
    return Raise(DISPOSITION, f"note:{interaction_id}", f"disposition {path_label}")
