"""The compliance gate: one pure policy check that every dial, click-to-call and SMS passes.

    decision = check(pack, DialContext(now=..., channel="call", purpose="collections", ...))
    raise_if_blocked(decision)   # ComplianceBlocked(409, details {"rule", "next_allowed_at"})

Packs (the rules of a jurisdiction) are loaded by :func:`config.compliance_loader.load_pack`.
"""

from domain.compliance.context import (
    ALT_CONTACTS_CONSENT,
    Attempt,
    Channel,
    DialContext,
    Purpose,
    Relation,
    customer_zone,
)
from domain.compliance.decision import (
    AFTER_CONVERSATION_7D,
    ALLOWED,
    CALLING_WINDOW,
    CONSENT_REVOKED,
    DO_NOT_CALL,
    MAX_ATTEMPTS_7D,
    MAX_ATTEMPTS_PER_DAY,
    RELATION_NOT_ALLOWED,
    RULE_CODES,
    Allowed,
    Blocked,
    Decision,
    raise_if_blocked,
)
from domain.compliance.gate import Rule, check, evaluate_all, rules_of
from domain.compliance.pack import AttemptLimits, Pack, RelationPolicy, Window

__all__ = [
    "AFTER_CONVERSATION_7D",
    "ALLOWED",
    "ALT_CONTACTS_CONSENT",
    "CALLING_WINDOW",
    "CONSENT_REVOKED",
    "DO_NOT_CALL",
    "MAX_ATTEMPTS_7D",
    "MAX_ATTEMPTS_PER_DAY",
    "RELATION_NOT_ALLOWED",
    "RULE_CODES",
    "Allowed",
    "Attempt",
    "AttemptLimits",
    "Blocked",
    "Channel",
    "Decision",
    "DialContext",
    "Pack",
    "Purpose",
    "Relation",
    "RelationPolicy",
    "Rule",
    "Window",
    "check",
    "customer_zone",
    "evaluate_all",
    "raise_if_blocked",
    "rules_of",
]
