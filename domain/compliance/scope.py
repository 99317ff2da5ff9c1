"""Which dials the attempt limits apply to, and which earlier attempts they count."""

from __future__ import annotations

from domain.compliance.context import Attempt, DialContext
from domain.compliance.pack import AttemptLimits


def limits_apply(limits: AttemptLimits, ctx: DialContext) -> bool:
    return (ctx.channel in limits.channels and ctx.purpose in limits.purposes
            and ctx.relation in limits.relations)


def counted_attempts(limits: AttemptLimits, ctx: DialContext, *, per_debt: bool) -> list[Attempt]:
    """Attempts in scope. Per debt (when asked and the dial names a loan): attempts about that loan,
    plus those that name no loan (they may have been about it)."""
    by_debt = per_debt and ctx.loan_id is not None
    return [
        a for a in ctx.history
        if a.channel in limits.channels and a.relation in limits.relations
        and (not by_debt or a.loan_id is None or a.loan_id == ctx.loan_id)
    ]
