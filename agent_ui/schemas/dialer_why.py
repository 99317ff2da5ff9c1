"""Why nothing is dialled (dialer/why.py): the supervisor's per-campaign answer and the agent's own."""

from __future__ import annotations

from typing import Literal

from agent_ui.schemas.records import IsoTime, Out

QueueReason = Literal["no_campaign", "stopped", "no_ready_agents", "window_closed", "nothing_due", "all_blocked",
                      "go_ready", "dialling"]


class RuleHoldOut(Out):
    rule: str  # the gate's rule code (domain/compliance)
    count: int
    sentence: str
    next_allowed_at: IsoTime | None  # None: only a change of the customer's data allows it


class QueueWhyOut(Out):
    reason: QueueReason
    sentence: str  # the whole answer, with the next time in the centre's zone when there is one
    next_at: IsoTime | None
    due_now: int
    dialable_now: int
    blocked: list[RuleHoldOut]
