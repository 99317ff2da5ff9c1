"""Pure dialer rules: priority weights, reasons for past-due accounts, retry policy, postpone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from config.lists import Lists
from dialer.rules import (
    GenerationPolicy,
    after_failed_attempt,
    callback_window,
    family,
    past_due_reason,
    postpone_until,
    priority,
    purpose_of,
)
from domain.errors import InvalidInput
from tests.dialer.conftest import with_dialer_config

NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
POLICY = GenerationPolicy()


def test_priority_weighs_amount_risk_and_days_and_callbacks_come_first(default_lists: Lists) -> None:
    config = default_lists.dialer
    small = priority(config, POLICY, overdue_amount=Decimal(1000), days_past_due=5, risk=0.2)
    big = priority(config, POLICY, overdue_amount=Decimal(40000), days_past_due=5, risk=0.2)
    old = priority(config, POLICY, overdue_amount=Decimal(1000), days_past_due=80, risk=0.2)
    worst = priority(config, POLICY, overdue_amount=Decimal(10**9), days_past_due=10**4, risk=5.0)
    callback = priority(config, POLICY, overdue_amount=0, days_past_due=0, risk=0.0, callback=True)
    assert big > small and old > small
    assert worst == pytest.approx(0.9)  # every factor saturates at 1: 0.4 + 0.2 + 0.3
    assert callback > worst
    only_risk = with_dialer_config(default_lists, priority_weights=config.priority_weights.model_copy(
        update={"overdue_amount": 0.0, "days_past_due": 0.0})).dialer
    assert priority(only_risk, POLICY, overdue_amount=Decimal(10**6), days_past_due=90, risk=0.3) == 0.06


def test_past_due_reasons_and_families() -> None:
    assert past_due_reason(POLICY, days_past_due=3, products=("PAYG Solar",)) == "late"
    assert past_due_reason(POLICY, days_past_due=45, products=("PAYG Solar",)) == "payg_default"
    assert past_due_reason(POLICY, days_past_due=45, products=("loan",)) == "overdue_loan"
    assert family("late") == family("overdue_loan") == family("payg_default") != family("callback")
    assert purpose_of("collections") == "collections" and purpose_of("sales") == "sales"
    assert purpose_of("customer_service") == "service" and purpose_of(None) == "collections"


def test_retry_policy_spacing_give_up_and_escalation(default_lists: Lists) -> None:
    config = default_lists.dialer
    step = after_failed_attempt(config, "no_answer", same_outcome_count=1, consecutive_failures=1, now=NOW)
    assert step.status == "queued" and step.at == NOW + timedelta(minutes=120)
    step = after_failed_attempt(config, "busy", same_outcome_count=2, consecutive_failures=2, now=NOW)
    assert step.status == "queued" and step.at == NOW + timedelta(minutes=30)
    assert after_failed_attempt(config, "failed", same_outcome_count=2, consecutive_failures=2,
                                now=NOW).status == "done"
    assert after_failed_attempt(config, "busy", same_outcome_count=1, consecutive_failures=6,
                                now=NOW).status == "escalated"


def test_postpone_offers_4_or_8_hours_with_a_comment(default_lists: Lists) -> None:
    config = default_lists.dialer
    assert postpone_until(config, 4, "no answer, try later", NOW) == NOW + timedelta(hours=4)
    assert postpone_until(config, 8, "at work", NOW) == NOW + timedelta(hours=8)
    with pytest.raises(InvalidInput) as hours:
        postpone_until(config, 5, "x", NOW)
    assert "hours" in hours.value.details
    with pytest.raises(InvalidInput) as comment:
        postpone_until(config, 4, "  ", NOW)
    assert comment.value.details == {"comment": "required"}
    start, owner_until = callback_window(config, NOW, 10)
    assert (start, owner_until) == (NOW - timedelta(minutes=5), NOW + timedelta(minutes=10))
