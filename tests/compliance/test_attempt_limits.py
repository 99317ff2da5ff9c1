"""Attempts per local day, rolling 7 days per debt, and the 7-day pause after a conversation."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from config.compliance_loader import load_pack
from domain.compliance import Allowed, Attempt, Blocked, Pack, check, evaluate_all
from tests.compliance.oracle import context, utc


@pytest.fixture(scope="module")
def kenya() -> Pack:
    return load_pack("kenya")


@pytest.fixture(scope="module")
def reg_f() -> Pack:
    return load_pack("us_reg_f")


TUESDAY_NOON_EAT = utc(2026, 3, 3, 9, 0)


def test_three_calls_today_block_until_tomorrow_eight_local(kenya: Pack) -> None:
    history = tuple(Attempt(TUESDAY_NOON_EAT - timedelta(hours=h)) for h in (1, 2, 3))
    ctx = context(TUESDAY_NOON_EAT, history=history)
    [own] = evaluate_all(kenya, ctx)
    assert own.rule == "max_attempts_per_day"
    assert own.next_allowed_at == utc(2026, 3, 3, 21, 0)  # local midnight, outside the window
    decision = check(kenya, ctx)
    assert isinstance(decision, Blocked)
    assert decision.rule == "max_attempts_per_day"
    assert decision.next_allowed_at == utc(2026, 3, 4, 5, 0)  # Wednesday 08:00 EAT: every rule passes


def test_future_dated_attempts_full_days_are_skipped_too(kenya: Pack) -> None:
    # Clock skew: attempts stamped tomorrow (Wednesday EAT) count, so the next free day is Thursday.
    tomorrow = TUESDAY_NOON_EAT + timedelta(days=1)
    history = tuple(Attempt(at - timedelta(minutes=m)) for at in (TUESDAY_NOON_EAT, tomorrow) for m in (1, 2, 3))
    ctx = context(TUESDAY_NOON_EAT, history=history)
    [own] = evaluate_all(kenya, ctx)
    assert own.next_allowed_at == utc(2026, 3, 4, 21, 0)  # Thursday 00:00 EAT
    decision = check(kenya, ctx)
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 3, 5, 5, 0)  # Thursday 08:00 EAT


def test_the_day_is_the_customers_local_day(kenya: Pack) -> None:
    # 22:30 UTC Monday is 01:30 Tuesday in Nairobi: these count for Tuesday.
    history = tuple(Attempt(utc(2026, 3, 2, 22, 30) + timedelta(minutes=m)) for m in (0, 1, 2))
    assert isinstance(check(kenya, context(TUESDAY_NOON_EAT, history=history)), Blocked)
    # Two of them on Monday local (20:59 UTC = 23:59 EAT) leave Tuesday with one.
    times = (utc(2026, 3, 2, 20, 59), utc(2026, 3, 2, 20, 58), utc(2026, 3, 2, 22, 30))
    history = tuple(Attempt(at) for at in times)
    assert check(kenya, context(TUESDAY_NOON_EAT, history=history)) == Allowed()


def test_limits_count_calls_only_and_do_not_apply_to_sms(kenya: Pack) -> None:
    sms = tuple(Attempt(TUESDAY_NOON_EAT - timedelta(minutes=m), channel="sms") for m in (1, 2, 3, 4))
    assert check(kenya, context(TUESDAY_NOON_EAT, history=sms)) == Allowed()
    calls = tuple(Attempt(TUESDAY_NOON_EAT - timedelta(minutes=m)) for m in (1, 2, 3, 4))
    assert check(kenya, context(TUESDAY_NOON_EAT, channel="sms", history=calls)) == Allowed()


NY = "America/New_York"
WEDNESDAY_NOON_NY = utc(2026, 6, 10, 16, 0)  # 12:00 EDT


def _week_of_calls(loan: str | None, end: datetime = WEDNESDAY_NOON_NY) -> tuple[Attempt, ...]:
    return tuple(Attempt(end - timedelta(days=d, hours=1), loan_id=loan) for d in range(7))


def test_reg_f_seven_calls_in_seven_days_per_debt(reg_f: Pack) -> None:
    history = _week_of_calls("L1")
    decision = check(reg_f, context(WEDNESDAY_NOON_NY, NY, loan_id="L1", history=history))
    assert isinstance(decision, Blocked)
    assert decision.rule == "max_attempts_7d"
    oldest = min(a.at for a in history)
    assert decision.next_allowed_at == oldest + timedelta(days=7)  # 11:00 EDT, inside the window
    assert check(reg_f, context(WEDNESDAY_NOON_NY, NY, loan_id="L2", history=history)) == Allowed()
    # Without a debt named, every call about the customer counts.
    assert isinstance(check(reg_f, context(WEDNESDAY_NOON_NY, NY, history=history)), Blocked)


def test_reg_f_calls_naming_no_debt_count_for_every_debt(reg_f: Pack) -> None:
    history = _week_of_calls(None)
    assert isinstance(check(reg_f, context(WEDNESDAY_NOON_NY, NY, loan_id="L1", history=history)), Blocked)


def test_reg_f_six_calls_leave_room_for_a_seventh(reg_f: Pack) -> None:
    history = _week_of_calls("L1")[:6]
    assert check(reg_f, context(WEDNESDAY_NOON_NY, NY, loan_id="L1", history=history)) == Allowed()


def test_reg_f_limit_clearing_at_night_waits_for_the_window(reg_f: Pack) -> None:
    end = utc(2026, 6, 10, 3, 30)  # calls daily at 22:30 EDT, 3 to 9 June
    history = _week_of_calls("L1", end)
    now = end + timedelta(hours=13)  # Wednesday 10 June 12:30 EDT, window open
    [own] = evaluate_all(reg_f, context(now, NY, loan_id="L1", history=history))
    assert own.next_allowed_at == min(a.at for a in history) + timedelta(days=7)  # 22:30 EDT, closed
    decision = check(reg_f, context(now, NY, loan_id="L1", history=history))
    assert isinstance(decision, Blocked)
    assert decision.next_allowed_at == utc(2026, 6, 11, 12, 0)  # Thursday 08:00 EDT


def test_reg_f_no_call_within_seven_days_after_a_conversation(reg_f: Pack) -> None:
    talk = Attempt(WEDNESDAY_NOON_NY - timedelta(days=3), loan_id="L1", conversation=True)
    decision = check(reg_f, context(WEDNESDAY_NOON_NY, NY, loan_id="L1", history=(talk,)))
    assert isinstance(decision, Blocked)
    assert decision.rule == "after_conversation_7d"
    assert decision.next_allowed_at == talk.at + timedelta(days=7)
    assert check(reg_f, context(WEDNESDAY_NOON_NY, NY, loan_id="L2", history=(talk,))) == Allowed()
    later = context(talk.at + timedelta(days=7), NY, loan_id="L1", history=(talk,))
    assert check(reg_f, later) == Allowed()


def test_reg_f_does_not_limit_service_calls(reg_f: Pack) -> None:
    history = (*_week_of_calls("L1"), Attempt(WEDNESDAY_NOON_NY - timedelta(hours=2), conversation=True))
    assert check(reg_f, context(WEDNESDAY_NOON_NY, NY, purpose="service", history=history)) == Allowed()


def test_the_longest_block_is_reported_with_every_rule_counted(reg_f: Pack) -> None:
    talk = Attempt(WEDNESDAY_NOON_NY - timedelta(days=1), loan_id="L1", conversation=True)
    history = (*_week_of_calls("L1"), talk)
    ctx = context(WEDNESDAY_NOON_NY, NY, loan_id="L1", history=history)
    assert {b.rule for b in evaluate_all(reg_f, ctx)} == {"max_attempts_7d", "after_conversation_7d"}
    decision = check(reg_f, ctx)
    assert isinstance(decision, Blocked)
    assert decision.rule == "after_conversation_7d"
    assert decision.next_allowed_at == talk.at + timedelta(days=7)
