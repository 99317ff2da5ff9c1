"""The escalation queue's sentences read as a person writes them: a day as ``20 Nov 2026``, never ISO."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from config.lists.models import EscalationRules, TaskRules
from supervision.escalation_rules import Figures, on_account, summary

RULES = EscalationRules(failed_attempts=3, broken_promise_amount=0, queue="escalations", no_contact_days=14)
TASKS = TaskRules(days_past_due_threshold=1, overdue_amount_threshold=0, broken_promise_grace_days=0,
                  callback_lead_minutes=0)


def test_no_contact_since_a_day_reads_as_a_date() -> None:
    figures = Figures(Decimal("2500"), 30, last_contact=date(2026, 11, 5))
    fired = on_account(RULES, TASKS, figures, date(2026, 12, 7), "KES")
    assert [(r.rule, r.trigger, r.why) for r in fired] == [
        ("no_contact", "since:2026-11-05", "not contacted since 5 Nov 2026")]
    assert summary(fired[0].why, figures, "KES") == "not contacted since 5 Nov 2026, KES 2,500 overdue, 30 days past due"


def test_contacted_within_the_window_fires_nothing() -> None:
    figures = Figures(Decimal("2500"), 30, last_contact=date(2026, 11, 30))
    assert on_account(RULES, TASKS, figures, date(2026, 12, 7), "KES") == []
