"""The dialer's side of the compliance gate: build a DialContext from the store's rows.

Every dial (progressive, click-to-call, approved manual number) is checked here, just before the
attempt row is written; a blocked dial is never sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.compliance import (
    ALT_CONTACTS_CONSENT,
    Attempt,
    Blocked,
    Decision,
    DialContext,
    Pack,
    Purpose,
    Relation,
    check,
    customer_zone,
    evaluate_all,
)
from store.models import Customer, DialAttempt
from store.repositories.dialer import NumberOption

HISTORY = timedelta(days=8)  # the per-day and rolling seven-day rules look back this far at most
_RELATIONS = frozenset({"customer", "guarantor", "relationship_officer", "alternative_contact"})


def _relation(value: str) -> Relation:
    return value if value in _RELATIONS else "alternative_contact"  # type: ignore[return-value]


def attempts_of(rows: Sequence[DialAttempt]) -> tuple[Attempt, ...]:
    return tuple(Attempt(at=row.requested_at, loan_id=None if row.loan_id is None else str(row.loan_id),
                         conversation=row.conversation, relation=_relation(row.relation))
                 for row in rows)


def context_for(customer: Customer | None, relation: str, history: Sequence[DialAttempt], *, now: datetime,
                purpose: Purpose, default_zone: str, loan_id: int | None) -> DialContext:
    """The gate's question for one dial. ``customer`` None: a manual number of nobody we know."""
    if customer is None:
        return DialContext(now=now, channel="call", purpose=purpose, timezone=default_zone,
                           relation=_relation(relation), history=attempts_of(history))
    return DialContext(
        now=now, channel="call", purpose=purpose, timezone=customer_zone(customer.timezone, default_zone),
        relation=_relation(relation),
        consents=frozenset({ALT_CONTACTS_CONSENT}) if customer.alt_contacts_consent else frozenset(),
        do_not_call=customer.do_not_call, do_not_call_at=customer.do_not_call_at,
        call_consent_revoked_at=customer.call_consent_revoked_at,
        sms_consent_revoked_at=customer.sms_consent_revoked_at,
        loan_id=None if loan_id is None else str(loan_id), history=attempts_of(history),
    )


@dataclass(frozen=True, slots=True)
class NumberDecision:
    option: NumberOption
    decision: Decision

    def to_json(self) -> dict[str, object]:
        blocked = self.decision if isinstance(self.decision, Blocked) else None
        return {
            "number": self.option.number, "relation": self.option.relation, "name": self.option.name,
            "contact_id": self.option.contact_id, "label": self.option.label,
            "allowed": blocked is None, "rule": blocked.rule if blocked else None,
            "next_allowed_at": blocked.details()["next_allowed_at"] if blocked else None,
        }


def decide_numbers(pack: Pack, customer: Customer, options: Sequence[NumberOption],
                   history: Sequence[DialAttempt], *, now: datetime, purpose: Purpose, default_zone: str,
                   loan_id: int | None) -> list[NumberDecision]:
    return [NumberDecision(option, check(pack, context_for(customer, option.relation, history, now=now,
                                                            purpose=purpose, default_zone=default_zone,
                                                            loan_id=loan_id)))
            for option in options]


def blocking_rules(pack: Pack, customer: Customer, history: Sequence[DialAttempt], *, now: datetime,
                   purpose: Purpose, default_zone: str, loan_id: int | None) -> list[Blocked]:
    """Every rule that blocks a call to the customer's own number now, each with its next time
    (for the status counts and "why is the queue empty?")."""
    ctx = context_for(customer, "customer", history, now=now, purpose=purpose, default_zone=default_zone,
                      loan_id=loan_id)
    return evaluate_all(pack, ctx)
