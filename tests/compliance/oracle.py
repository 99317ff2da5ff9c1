"""A brute-force oracle for the compliance gate, written from the rules' text, sharing no code
with ``domain.compliance`` beyond reading the pack's data. Also small builders for the tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.compliance import Attempt, DialContext, Pack

NEVER_RULES = {"do_not_call", "consent_revoked", "relation_not_allowed"}
WEEK = timedelta(days=7)


def _micro_of_day(local: datetime) -> int:
    return ((local.hour * 60 + local.minute) * 60 + local.second) * 1_000_000 + local.microsecond


def _in_scope(pack: Pack, attempt: Attempt) -> bool:
    return attempt.channel in pack.limits.channels and attempt.relation in pack.limits.relations


def violations(pack: Pack, ctx: DialContext, at: datetime) -> set[str]:
    """Every rule of ``pack`` that a dial described by ``ctx`` would break at instant ``at``."""
    broken: set[str] = set()
    if ctx.do_not_call and ctx.channel in pack.do_not_call_channels:
        broken.add("do_not_call")
    revoked = ctx.call_consent_revoked_at if ctx.channel == "call" else ctx.sms_consent_revoked_at
    if revoked is not None:
        broken.add("consent_revoked")
    policy = pack.relations.get(ctx.purpose)
    if policy is None or not (ctx.relation in policy.allowed
                              or policy.with_consent.get(ctx.relation, "\0none") in ctx.consents):
        broken.add("relation_not_allowed")

    local = at.astimezone(ZoneInfo(ctx.timezone))
    now_us = _micro_of_day(local)
    if not any(w.start * 60_000_000 <= now_us < w.end * 60_000_000 for w in pack.week[local.weekday()]):
        broken.add("calling_window")

    limits = pack.limits
    if ctx.channel in limits.channels and ctx.purpose in limits.purposes and ctx.relation in limits.relations:
        scoped = [a for a in ctx.history if _in_scope(pack, a)]
        if limits.max_per_day is not None:
            same_day = [a for a in scoped if a.at.astimezone(ZoneInfo(ctx.timezone)).date() == local.date()]
            if len(same_day) >= limits.max_per_day:
                broken.add("max_attempts_per_day")
        if limits.per_debt and ctx.loan_id is not None:
            scoped = [a for a in scoped if a.loan_id in (None, ctx.loan_id)]
        recent = [a for a in scoped if a.at > at - WEEK]
        if limits.max_per_7d is not None and len(recent) >= limits.max_per_7d:
            broken.add("max_attempts_7d")
        if limits.pause_after_conversation and any(a.conversation for a in recent):
            broken.add("after_conversation_7d")
    return broken


def context(now: datetime, timezone: str = "Africa/Nairobi", **fields: object) -> DialContext:
    """A collections call to the customer unless ``fields`` say otherwise."""
    base: dict[str, object] = {"channel": "call", "purpose": "collections", "relation": "customer"}
    base.update(fields)
    return DialContext(now=now, timezone=timezone, **base)  # type: ignore[arg-type]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
