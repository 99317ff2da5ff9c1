"""A message's statuses and the moves between them (pure; the store enforces them in its updates).

    queued ──claim──> sending ──accepted──> sent ──report──> delivered | failed
       ^                 │ ├──refused everywhere, tries left──> queued (later; nothing went out)
       │                 │ ├──refused everywhere / recipient invalid──> failed
       └──lookup: never──┤ └──timeout after the request went out──> unknown ──report / lookup──> ...
          taken          └── worker died while sending ──> unknown
    blocked (the gate) and received (inbound) are where they start and end.

A status only moves forward (by rank), so a repeated or late delivery report changes nothing:
"Sent" after "delivered" is ignored, and so is anything after failed.
"""

from __future__ import annotations

from typing import Final, Literal

Status = Literal["queued", "sending", "sent", "delivered", "failed", "unknown", "blocked", "received"]

QUEUED: Final = "queued"
SENDING: Final = "sending"
SENT: Final = "sent"
DELIVERED: Final = "delivered"
FAILED: Final = "failed"
UNKNOWN: Final = "unknown"
BLOCKED: Final = "blocked"
RECEIVED: Final = "received"

STATUSES: tuple[str, ...] = (QUEUED, SENDING, SENT, DELIVERED, FAILED, UNKNOWN, BLOCKED, RECEIVED)
FINAL: frozenset[str] = frozenset({DELIVERED, FAILED, BLOCKED, RECEIVED})

# What a provider's report may move a message to, and from which statuses.
_RANK: dict[str, int] = {QUEUED: 0, SENDING: 1, UNKNOWN: 2, SENT: 3, DELIVERED: 4, FAILED: 4}


def report_moves_from(new: str) -> tuple[str, ...]:
    """The statuses a delivery report (or a lookup) saying ``new`` may move a message from."""
    rank = _RANK[new]
    return tuple(status for status, r in _RANK.items() if r < rank and status != QUEUED)


def can_report(old: str, new: str) -> bool:
    return old in report_moves_from(new)
