"""The gate's answer: :class:`Allowed` or :class:`Blocked` (naming its rule and the next allowed time)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from domain.errors import ComplianceBlocked

# Stable rule codes: the API, the logs and the "why am I not dialling?" counts use them.
DO_NOT_CALL = "do_not_call"
CONSENT_REVOKED = "consent_revoked"
RELATION_NOT_ALLOWED = "relation_not_allowed"
CALLING_WINDOW = "calling_window"
MAX_ATTEMPTS_PER_DAY = "max_attempts_per_day"
MAX_ATTEMPTS_7D = "max_attempts_7d"
AFTER_CONVERSATION_7D = "after_conversation_7d"

RULE_CODES: tuple[str, ...] = (
    DO_NOT_CALL,
    CONSENT_REVOKED,
    RELATION_NOT_ALLOWED,
    CALLING_WINDOW,
    MAX_ATTEMPTS_PER_DAY,
    MAX_ATTEMPTS_7D,
    AFTER_CONVERSATION_7D,
)


@dataclass(frozen=True)
class Allowed:
    allowed: Literal[True] = True


@dataclass(frozen=True)
class Blocked:
    """A refusal. ``next_allowed_at`` (UTC) is None when only a change of data can allow it (DNC)."""

    rule: str
    message: str
    next_allowed_at: datetime | None
    allowed: Literal[False] = False

    def details(self) -> dict[str, str | None]:
        when = self.next_allowed_at.isoformat() if self.next_allowed_at is not None else None
        return {"rule": self.rule, "next_allowed_at": when}


Decision = Allowed | Blocked
ALLOWED = Allowed()


def raise_if_blocked(decision: Decision) -> None:
    """Raise :class:`ComplianceBlocked` (409, details ``rule`` and ISO ``next_allowed_at``) if blocked."""
    if isinstance(decision, Blocked):
        raise ComplianceBlocked(decision.message, decision.details())
