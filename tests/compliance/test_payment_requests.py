"""The payment-request gate: own number only, the pack's hours, N a day; and its next allowed time
is really allowed (and nothing earlier is)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config.compliance_loader import load_pack
from domain.compliance import CALLING_WINDOW, Allowed, Blocked
from domain.compliance.payment_requests import (
    MAX_PAYMENT_REQUESTS_PER_DAY,
    OWN_NUMBER_ONLY,
    PaymentRequestContext,
    Whose,
    check_payment_request,
)
from domain.errors import InvalidInput

KENYA = load_pack("kenya")
NAIROBI = "Africa/Nairobi"
WEDNESDAY_10 = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)


def ctx(now: datetime = WEDNESDAY_10, whose: Whose = "customer", earlier: tuple[datetime, ...] = (),
        max_per_day: int = 3) -> PaymentRequestContext:
    return PaymentRequestContext(now=now, timezone=NAIROBI, whose=whose, max_per_day=max_per_day, earlier=earlier)


def test_the_customers_own_number_in_hours_is_allowed() -> None:
    assert isinstance(check_payment_request(KENYA, ctx()), Allowed)


@pytest.mark.parametrize("whose", ["guarantor", "alternative_contact", "relationship_officer", "unknown"])
def test_only_the_customers_own_number(whose: Whose) -> None:
    decision = check_payment_request(KENYA, ctx(whose=whose))
    assert isinstance(decision, Blocked) and decision.rule == OWN_NUMBER_ONLY
    assert decision.next_allowed_at is None  # only a different number can change it
    assert "own number" in decision.message


def test_outside_the_packs_hours() -> None:
    sunday_noon = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)  # today: a Sunday, closed in the Kenya pack
    decision = check_payment_request(KENYA, ctx(now=sunday_noon))
    assert isinstance(decision, Blocked) and decision.rule == CALLING_WINDOW
    assert decision.next_allowed_at == datetime(2026, 12, 7, 5, 0, tzinfo=UTC)  # Monday 08:00 in Nairobi
    late = check_payment_request(KENYA, ctx(now=datetime(2026, 3, 4, 18, 30, tzinfo=UTC)))  # 21:30 local
    assert isinstance(late, Blocked) and late.next_allowed_at == datetime(2026, 3, 5, 5, 0, tzinfo=UTC)


def test_at_most_n_a_day_then_the_next_morning() -> None:
    earlier = (WEDNESDAY_10 - timedelta(hours=2), WEDNESDAY_10 - timedelta(hours=1), WEDNESDAY_10 - timedelta(minutes=5))
    decision = check_payment_request(KENYA, ctx(earlier=earlier))
    assert isinstance(decision, Blocked) and decision.rule == MAX_PAYMENT_REQUESTS_PER_DAY
    assert decision.next_allowed_at == datetime(2026, 3, 5, 5, 0, tzinfo=UTC)  # Thursday 08:00, not midnight
    assert isinstance(check_payment_request(KENYA, ctx(earlier=earlier[:2])), Allowed)
    yesterday = tuple(at - timedelta(days=1) for at in earlier)
    assert isinstance(check_payment_request(KENYA, ctx(earlier=yesterday)), Allowed)
    assert isinstance(check_payment_request(KENYA, ctx(earlier=earlier, max_per_day=4)), Allowed)


def test_bad_contexts_are_refused() -> None:
    with pytest.raises(InvalidInput):
        PaymentRequestContext(now=datetime(2026, 3, 4, 10), timezone=NAIROBI, whose="customer", max_per_day=3)
    with pytest.raises(InvalidInput):
        PaymentRequestContext(now=WEDNESDAY_10, timezone="Mars/Olympus", whose="customer", max_per_day=3)


instants = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(now=instants, offsets=st.lists(st.integers(min_value=0, max_value=72 * 60), max_size=8),
       limit=st.integers(min_value=1, max_value=4))
def test_the_next_allowed_time_is_allowed_and_nothing_earlier_on_the_hour_is(now: datetime, offsets: list[int],
                                                                            limit: int) -> None:
    earlier = tuple(now - timedelta(minutes=m) for m in offsets)
    decision = check_payment_request(KENYA, ctx(now=now, earlier=earlier, max_per_day=limit))
    if isinstance(decision, Allowed):
        return
    assert decision.next_allowed_at is not None and decision.next_allowed_at > now
    assert isinstance(check_payment_request(KENYA, ctx(now=decision.next_allowed_at, earlier=earlier,
                                                       max_per_day=limit)), Allowed)
    probe = now + timedelta(minutes=30)
    while probe < decision.next_allowed_at:
        assert isinstance(check_payment_request(KENYA, ctx(now=probe, earlier=earlier, max_per_day=limit)), Blocked)
        probe += timedelta(minutes=30)
