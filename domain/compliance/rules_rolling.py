"""Rolling seven-day rules (US Regulation F, 12 CFR 1006.14(b)(2)): at most N calls in 7 days per
debt, and no call within 7 days after a telephone conversation about that debt.

An attempt at ``a`` counts at instant ``u`` when ``a > u - 7 days`` (attempts dated in the future
count too), so the count never grows as time passes: once a rule passes it keeps passing. A rolling
168-hour window is at least as strict as Reg F's seven consecutive calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from domain.compliance.context import DialContext
from domain.compliance.decision import AFTER_CONVERSATION_7D, MAX_ATTEMPTS_7D, Blocked
from domain.compliance.pack import Pack
from domain.compliance.scope import counted_attempts, limits_apply

PERIOD = timedelta(days=7)


def _debt(ctx: DialContext, per_debt: bool) -> str:
    return f" about loan {ctx.loan_id}" if per_debt and ctx.loan_id is not None else ""


@dataclass(frozen=True)
class MaxAttempts7d:
    pack: Pack
    code: str = MAX_ATTEMPTS_7D

    def __call__(self, ctx: DialContext) -> Blocked | None:
        limits = self.pack.limits
        if limits.max_per_7d is None or not limits_apply(limits, ctx):
            return None
        recent = sorted(a.at for a in counted_attempts(limits, ctx, per_debt=limits.per_debt)
                        if a.at > ctx.now - PERIOD)
        if len(recent) < limits.max_per_7d:
            return None
        # Passing needs at most max-1 attempts after u - 7d: the oldest that must drop out is this one.
        nxt = recent[len(recent) - limits.max_per_7d] + PERIOD
        message = (f"{len(recent)} attempts in the last 7 days{_debt(ctx, limits.per_debt)}; "
                   f"the pack allows {limits.max_per_7d}")
        return Blocked(self.code, message, nxt)


@dataclass(frozen=True)
class AfterConversation7d:
    pack: Pack
    code: str = AFTER_CONVERSATION_7D

    def __call__(self, ctx: DialContext) -> Blocked | None:
        limits = self.pack.limits
        if not limits.pause_after_conversation or not limits_apply(limits, ctx):
            return None
        talks = [a.at for a in counted_attempts(limits, ctx, per_debt=limits.per_debt)
                 if a.conversation and a.at > ctx.now - PERIOD]
        if not talks:
            return None
        last = max(talks)
        message = (f"a conversation{_debt(ctx, limits.per_debt)} took place at {last.isoformat()}; "
                   "no calls for 7 days after it")
        return Blocked(self.code, message, last + PERIOD)
