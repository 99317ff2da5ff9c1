"""Do-not-call, revoked consent and relations: blocked until the data changes; the error raised."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.compliance_loader import load_pack
from domain.compliance import (
    ALT_CONTACTS_CONSENT,
    Allowed,
    Blocked,
    DialContext,
    Pack,
    check,
    customer_zone,
    evaluate_all,
    raise_if_blocked,
)
from domain.errors import ComplianceBlocked, InvalidInput
from tests.compliance.oracle import context

NOON_EAT = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
NIGHT_EAT = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def kenya() -> Pack:
    return load_pack("kenya")


def test_do_not_call_blocks_calls_and_sms_for_good(kenya: Pack) -> None:
    for channel in ("call", "sms"):
        decision = check(kenya, context(NOON_EAT, channel=channel, do_not_call=True, do_not_call_at=NOON_EAT))
        assert isinstance(decision, Blocked)
        assert (decision.rule, decision.next_allowed_at) == ("do_not_call", None)


def test_never_beats_a_timed_block(kenya: Pack) -> None:
    decision = check(kenya, context(NIGHT_EAT, do_not_call=True))
    assert isinstance(decision, Blocked)
    assert decision.rule == "do_not_call"
    assert decision.next_allowed_at is None
    assert {b.rule for b in evaluate_all(kenya, context(NIGHT_EAT, do_not_call=True))} == {
        "do_not_call", "calling_window"}


def test_revoked_consent_is_per_channel(kenya: Pack) -> None:
    ctx = context(NOON_EAT, channel="sms", sms_consent_revoked_at=NOON_EAT)
    decision = check(kenya, ctx)
    assert isinstance(decision, Blocked)
    assert decision.rule == "consent_revoked"
    assert decision.next_allowed_at is None
    assert check(kenya, context(NOON_EAT, channel="call", sms_consent_revoked_at=NOON_EAT)) == Allowed()
    assert isinstance(check(kenya, context(NOON_EAT, call_consent_revoked_at=NOON_EAT)), Blocked)


@pytest.mark.parametrize("relation", ["customer", "guarantor", "relationship_officer"])
def test_kenya_collections_may_call_customer_guarantor_and_officer(kenya: Pack, relation: str) -> None:
    assert check(kenya, context(NOON_EAT, relation=relation)) == Allowed()


def test_alternative_contacts_need_the_customers_consent(kenya: Pack) -> None:
    decision = check(kenya, context(NOON_EAT, relation="alternative_contact"))
    assert isinstance(decision, Blocked)
    assert decision.rule == "relation_not_allowed"
    assert decision.next_allowed_at is None
    assert ALT_CONTACTS_CONSENT in decision.message
    consented = context(NOON_EAT, relation="alternative_contact", consents=frozenset({ALT_CONTACTS_CONSENT}))
    assert check(kenya, consented) == Allowed()


def test_sales_may_call_only_the_customer(kenya: Pack) -> None:
    decision = check(kenya, context(NOON_EAT, purpose="sales", relation="guarantor"))
    assert isinstance(decision, Blocked)
    assert decision.rule == "relation_not_allowed"


def test_raise_if_blocked_gives_a_409_with_rule_and_iso_time(kenya: Pack) -> None:
    raise_if_blocked(check(kenya, context(NOON_EAT)))  # allowed: no error
    with pytest.raises(ComplianceBlocked) as caught:
        raise_if_blocked(check(kenya, context(NIGHT_EAT)))  # 02:00 EAT Wednesday
    error = caught.value
    assert error.status == 409
    assert error.to_body()["error_id"] == "compliance-blocked"
    assert error.details == {"rule": "calling_window", "next_allowed_at": "2026-03-04T05:00:00+00:00"}
    with pytest.raises(ComplianceBlocked) as never:
        raise_if_blocked(check(kenya, context(NOON_EAT, do_not_call=True)))
    assert never.value.details == {"rule": "do_not_call", "next_allowed_at": None}


def test_context_rejects_naive_times_unknown_zones_and_values() -> None:
    with pytest.raises(InvalidInput):
        context(datetime(2026, 3, 3, 9, 0))
    with pytest.raises(InvalidInput):
        context(NOON_EAT, "Mars/Olympus_Mons")
    with pytest.raises(InvalidInput):
        context(NOON_EAT, relation="cousin")


def test_context_keeps_now_in_utc_and_customer_zone_falls_back() -> None:
    from zoneinfo import ZoneInfo

    ctx = context(datetime(2026, 3, 3, 12, 0, tzinfo=ZoneInfo("Africa/Nairobi")))
    assert ctx.now == NOON_EAT
    assert ctx.now.tzinfo is UTC
    assert customer_zone("America/New_York", "Africa/Nairobi") == "America/New_York"
    assert customer_zone(None, "Africa/Nairobi") == "Africa/Nairobi"
    assert customer_zone("Nowhere/Special", "Africa/Nairobi") == "Africa/Nairobi"
    assert isinstance(ctx, DialContext)
