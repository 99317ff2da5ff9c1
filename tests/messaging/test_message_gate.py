"""The compliance gate for messages (pure): hours, consent, do-not-contact, relations, and the
Kenya pack's rule that nothing about the debt goes to a guarantor or an alternative contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from config.compliance_loader import load_pack
from domain.compliance import Allowed, Blocked
from domain.compliance.messages import MessageContext, check_message, hours_end

KENYA = load_pack("kenya")
US = load_pack("us_reg_f")
MONDAY_10 = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 10:00 Nairobi
SUNDAY_10 = datetime(2026, 12, 6, 7, 0, tzinfo=UTC)
NAIROBI = "Africa/Nairobi"


def ctx(**kw: object) -> MessageContext:
    values: dict[str, object] = {"now": MONDAY_10, "channel": "sms", "timezone": NAIROBI}
    values.update(kw)
    return MessageContext(**values)  # type: ignore[arg-type]


def rule(decision: object) -> str | None:
    return decision.rule if isinstance(decision, Blocked) else None


def test_a_message_to_the_customer_on_a_monday_morning_is_allowed() -> None:
    assert isinstance(check_message(KENYA, ctx()), Allowed)
    assert isinstance(check_message(KENYA, ctx(channel="email")), Allowed)


@pytest.mark.parametrize(("now", "opens"), [
    (SUNDAY_10, datetime(2026, 12, 7, 5, 0, tzinfo=UTC)),  # Sunday: closed; Monday 08:00 Nairobi
    (datetime(2026, 12, 7, 17, 30, tzinfo=UTC), datetime(2026, 12, 8, 5, 0, tzinfo=UTC)),  # 20:30
    (datetime(2026, 12, 7, 4, 59, tzinfo=UTC), datetime(2026, 12, 7, 5, 0, tzinfo=UTC)),  # 07:59
])
def test_kenya_quiet_hours_block_with_the_next_opening(now: datetime, opens: datetime) -> None:
    decision = check_message(KENYA, ctx(now=now))
    assert isinstance(decision, Blocked) and decision.rule == "message_hours"
    assert decision.next_allowed_at == opens
    assert "outside the hours for messages" in decision.message


def test_the_us_pack_allows_messages_until_nine_in_the_customers_zone() -> None:
    eight_thirty_pm = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)  # 20:30 in New York
    assert isinstance(check_message(US, ctx(now=eight_thirty_pm, timezone="America/New_York")), Allowed)
    assert rule(check_message(US, ctx(now=eight_thirty_pm + timedelta(hours=1), timezone="America/New_York"))) == \
        "message_hours"


def test_consent_do_not_contact_and_relations() -> None:
    assert rule(check_message(KENYA, ctx(sms_consent_revoked_at=MONDAY_10))) == "consent_revoked"
    assert isinstance(check_message(KENYA, ctx(channel="email", sms_consent_revoked_at=MONDAY_10)), Allowed)
    assert rule(check_message(KENYA, ctx(do_not_call=True))) == "do_not_call"
    assert rule(check_message(KENYA, ctx(channel="email", do_not_call=True))) == "do_not_call"
    assert rule(check_message(KENYA, ctx(relation="alternative_contact", about_debt=False))) == "relation_not_allowed"
    # a "never" rule is reported before the hours (nothing will change at 08:00)
    assert rule(check_message(KENYA, ctx(now=SUNDAY_10, do_not_call=True))) == "do_not_call"


@pytest.mark.parametrize("relation", ["guarantor", "alternative_contact"])
def test_kenya_refuses_anything_about_the_debt_to_a_third_party(relation: str) -> None:
    consents = frozenset({"alt_contacts"})
    decision = check_message(KENYA, ctx(relation=relation, about_debt=True, consents=consents))
    assert rule(decision) == "third_party_debt" and "kenya" in decision.message  # type: ignore[union-attr]
    assert isinstance(check_message(KENYA, ctx(relation=relation, about_debt=False, consents=consents)), Allowed)


def test_the_relationship_officer_may_hear_about_the_debt() -> None:
    assert isinstance(check_message(KENYA, ctx(relation="relationship_officer", about_debt=True)), Allowed)


def test_hours_end_is_the_close_of_todays_window() -> None:
    assert hours_end(KENYA, MONDAY_10, NAIROBI) == datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 20:00 Nairobi
    assert hours_end(KENYA, SUNDAY_10, NAIROBI) is None


def test_stop_words() -> None:
    policy = KENYA.messages
    assert policy is not None
    assert policy.is_stop("STOP") and policy.is_stop("acha.") and policy.is_stop(" Acha tafadhali")
    assert not policy.is_stop("please stop calling me") and not policy.is_stop("")
