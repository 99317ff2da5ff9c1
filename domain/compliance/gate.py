"""The compliance gate: every dial, click-to-call and SMS passes :func:`check` first.

:func:`check` answers with the moment the dial will *truly* next be allowed. One rule's own next
time is not enough (a 7-day limit may clear at 22:00, outside the calling window), so the gate
iterates to a fixed point: starting at ``now``, jump to the latest of the blocking rules' own next
times, and repeat until no rule blocks.

Why the answer is right. Each rule's own ``next_allowed_at`` at ``t`` is the *earliest* instant
``>= t`` at which that rule passes, and is ``> t`` whenever it blocks at ``t``. So every instant
skipped by a jump fails at least one rule, and the fixed point is the earliest instant at which all
rules pass; by construction every rule passes there. It is reached: never-rules answer None at once,
the rolling-window rules never block again once they pass (their counts only fall as time runs),
the per-day rule blocks only on days that already hold attempts, and the calling window opens within
a week, so each jump moves past one of finitely many obstacles. If the bound is hit anyway the gate
fails closed ("never", until the data changes).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from domain.compliance.context import DialContext
from domain.compliance.decision import ALLOWED, Blocked, Decision
from domain.compliance.pack import Pack
from domain.compliance.rules_clock import CallingWindow, MaxAttemptsPerDay
from domain.compliance.rules_consent import ConsentRevoked, DoNotCall, RelationAllowed
from domain.compliance.rules_rolling import AfterConversation7d, MaxAttempts7d


class Rule(Protocol):
    @property
    def code(self) -> str: ...

    def __call__(self, ctx: DialContext) -> Blocked | None:
        """None when the rule passes at ``ctx.now``; else a block with the rule's own earliest
        passing instant (``> ctx.now``), or None when only a change of data can allow it."""
        ...


def rules_of(pack: Pack) -> tuple[Rule, ...]:
    """The pack's rules, never-rules first (their order decides which "never" block is reported)."""
    return (
        DoNotCall(pack),
        ConsentRevoked(),
        RelationAllowed(pack),
        CallingWindow(pack),
        MaxAttemptsPerDay(pack),
        MaxAttempts7d(pack),
        AfterConversation7d(pack),
    )


def _blocks(rules: tuple[Rule, ...], ctx: DialContext) -> list[Blocked]:
    return [block for rule in rules if (block := rule(ctx)) is not None]


def evaluate_all(pack: Pack, ctx: DialContext) -> list[Blocked]:
    """Every rule that blocks at ``ctx.now``, each with its own next time (for per-rule counts)."""
    return _blocks(rules_of(pack), ctx)


def _settle(rules: tuple[Rule, ...], ctx: DialContext, start: datetime) -> datetime | None:
    at = start
    for _ in range(64 + 2 * len(ctx.history)):
        later = [block.next_allowed_at for block in _blocks(rules, replace(ctx, now=at))]
        if not later:
            return at
        if any(when is None for when in later):
            return None
        at = max(when for when in later if when is not None)
    return None


def check(pack: Pack, ctx: DialContext) -> Decision:
    """Allowed, or the block of the rule that holds the dial longest, with the instant when every
    rule of ``pack`` passes again (None: never, until the data changes)."""
    rules = rules_of(pack)
    blocks = _blocks(rules, ctx)
    if not blocks:
        return ALLOWED
    for block in blocks:
        if block.next_allowed_at is None:
            return block
    head = max(blocks, key=lambda block: block.next_allowed_at or ctx.now)
    assert head.next_allowed_at is not None
    return replace(head, next_allowed_at=_settle(rules, ctx, head.next_allowed_at))
