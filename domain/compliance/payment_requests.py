"""The compliance gate for M-Pesa payment requests (STK push to a customer's phone).

A payment request pops up on a phone and asks for the M-Pesa PIN, so the pack's rules for
reaching people apply to it, tightened:

* it goes only to the customer's own number, never to a guarantor, a relationship officer or an
  alternative contact, whatever the pack allows for calls (CBK DCP Regulations 2022: no demands
  on the customer's contacts);
* only within the pack's calling hours, on the customer's local clock (the pack's own
  :class:`~domain.compliance.rules_clock.CallingWindow`);
* at most ``max_per_day`` requests to one customer per local day (a setting, default 3).

:func:`check_payment_request` answers like :func:`domain.compliance.check`: allowed, or the block
that holds longest with the instant when every rule passes again (None: only a change of data,
such as a different number, can allow it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Literal

from domain.compliance.context import DialContext, Relation
from domain.compliance.decision import ALLOWED, Blocked, Decision
from domain.compliance.localtime import earliest_passing, is_known_zone, local_date, zone
from domain.compliance.pack import Pack
from domain.compliance.rules_clock import CallingWindow
from domain.errors import InvalidInput

OWN_NUMBER_ONLY = "own_number_only"
MAX_PAYMENT_REQUESTS_PER_DAY = "max_payment_requests_per_day"

Whose = Relation | Literal["unknown"]
_WHOSE_WORDS = {"guarantor": "a guarantor", "relationship_officer": "a relationship officer",
                "alternative_contact": "an alternative contact", "unknown": "a number that is not on the record"}


@dataclass(frozen=True)
class PaymentRequestContext:
    """One payment request to check. ``earlier``: when earlier requests to this customer went out."""

    now: datetime
    timezone: str
    whose: Whose
    max_per_day: int
    earlier: tuple[datetime, ...] = ()

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or any(at.tzinfo is None for at in self.earlier):
            raise InvalidInput("times must be timezone-aware", {"now": "naive datetime"})
        if not is_known_zone(self.timezone):
            raise InvalidInput(f"unknown time zone {self.timezone!r}", {"timezone": "unknown zone"})
        if self.max_per_day < 1:
            raise InvalidInput("max_per_day must be at least 1", {"max_per_day": "must be >= 1"})


def _own_number(ctx: PaymentRequestContext, pack: Pack) -> Blocked | None:
    if ctx.whose == "customer":
        return None
    message = (f"A payment request goes only to the customer's own number, never to "
               f"{_WHOSE_WORDS.get(ctx.whose, ctx.whose)} (pack {pack.name}).")
    return Blocked(OWN_NUMBER_ONLY, message, None)


def _window(ctx: PaymentRequestContext, pack: Pack) -> Blocked | None:
    dial = DialContext(now=ctx.now, channel="sms", purpose="collections", timezone=ctx.timezone)
    return CallingWindow(pack)(dial)


def _per_day(ctx: PaymentRequestContext, _pack: Pack) -> Blocked | None:
    tz = zone(ctx.timezone)
    today = local_date(ctx.now, tz)
    days = [local_date(at, tz) for at in ctx.earlier]
    sent_today = sum(1 for day in days if day == today)
    if sent_today < ctx.max_per_day:
        return None
    full = {day for day in days if days.count(day) >= ctx.max_per_day}
    midnights = [datetime.combine(today + timedelta(days=offset), time()) for offset in range(1, len(full) + 3)]
    nxt = earliest_passing(ctx.now, lambda at: local_date(at, tz) not in full, midnights, tz,
                           timedelta(days=len(full) + 3))
    message = (f"{sent_today} payment requests already went to this customer on {today.isoformat()} "
               f"(local time); at most {ctx.max_per_day} a day.")
    return Blocked(MAX_PAYMENT_REQUESTS_PER_DAY, message, nxt)


RULES = (_own_number, _window, _per_day)


def _blocks(pack: Pack, ctx: PaymentRequestContext) -> list[Blocked]:
    return [block for rule in RULES if (block := rule(ctx, pack)) is not None]


def check_payment_request(pack: Pack, ctx: PaymentRequestContext) -> Decision:
    """Allowed, or the block that holds the request longest, with the instant when every rule
    passes again (a fixed point over the rules' own next times, as the dial gate does)."""
    blocks = _blocks(pack, ctx)
    if not blocks:
        return ALLOWED
    for block in blocks:
        if block.next_allowed_at is None:
            return block
    head = max(blocks, key=lambda block: block.next_allowed_at or ctx.now)
    at = head.next_allowed_at
    for _ in range(64):
        assert at is not None
        later = [block.next_allowed_at for block in _blocks(pack, replace(ctx, now=at))]
        if not later:
            return replace(head, next_allowed_at=at)
        if any(when is None for when in later):
            break
        at = max(when for when in later if when is not None)
    return replace(head, next_allowed_at=None)
