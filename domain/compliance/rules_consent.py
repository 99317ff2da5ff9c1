"""Rules that never pass until the data changes: do-not-call, revoked consent, relation not allowed."""

from __future__ import annotations

from dataclasses import dataclass

from domain.compliance.context import DialContext
from domain.compliance.decision import CONSENT_REVOKED, DO_NOT_CALL, RELATION_NOT_ALLOWED, Blocked
from domain.compliance.pack import Pack


@dataclass(frozen=True)
class DoNotCall:
    pack: Pack
    code: str = DO_NOT_CALL

    def __call__(self, ctx: DialContext) -> Blocked | None:
        if not ctx.do_not_call or ctx.channel not in self.pack.do_not_call_channels:
            return None
        since = f" since {ctx.do_not_call_at.isoformat()}" if ctx.do_not_call_at else ""
        return Blocked(self.code, f"the customer is on the do-not-call list{since}", None)


@dataclass(frozen=True)
class ConsentRevoked:
    code: str = CONSENT_REVOKED

    def __call__(self, ctx: DialContext) -> Blocked | None:
        revoked = ctx.revoked_at()
        if revoked is None:
            return None
        message = f"the customer revoked consent to {ctx.channel} at {revoked.isoformat()}"
        return Blocked(self.code, message, None)


@dataclass(frozen=True)
class RelationAllowed:
    pack: Pack
    code: str = RELATION_NOT_ALLOWED

    def __call__(self, ctx: DialContext) -> Blocked | None:
        policy = self.pack.relations.get(ctx.purpose)
        if policy is not None:
            if ctx.relation in policy.allowed:
                return None
            flag = policy.with_consent.get(ctx.relation)
            if flag is not None and flag in ctx.consents:
                return None
            if flag is not None:
                message = (f"{ctx.relation} may be contacted for {ctx.purpose} only with the "
                           f"customer's consent {flag!r} (pack {self.pack.name})")
                return Blocked(self.code, message, None)
        message = f"{ctx.relation} may not be contacted for {ctx.purpose} (pack {self.pack.name})"
        return Blocked(self.code, message, None)
