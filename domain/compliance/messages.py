"""The compliance gate for messages (SMS and email): the same pack as dials, with its message rules.

    decision = check_message(pack, MessageContext(now=..., channel="sms", relation="guarantor", ...))

Rules, in the order a "never" block is reported:

- ``do_not_call``: the customer is on the do-not-contact list (for the pack's message channels);
- ``consent_revoked``: the customer revoked SMS consent (an inbound STOP, or the pack's own word);
- ``relation_not_allowed``: the pack's relation policy for the purpose (alternative contacts only
  with the customer's consent, as for calls);
- ``third_party_debt``: the pack forbids messages about the debt to this relation (Kenya: CBK
  Digital Credit Providers Regulations 2022 - nothing about the debt to a guarantor or an
  alternative contact);
- ``message_hours``: outside the pack's hours for messages in the customer's zone (its next
  opening is the answer's ``next_allowed_at``).

Pure: the caller reads the customer and the contact from the store and builds the context.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from domain.compliance.context import PURPOSES, RELATIONS, Purpose, Relation
from domain.compliance.decision import (
    ALLOWED,
    CONSENT_REVOKED,
    DO_NOT_CALL,
    RELATION_NOT_ALLOWED,
    Blocked,
    Decision,
)
from domain.compliance.localtime import earliest_passing, is_known_zone, local_date, local_wall, wall_instants, zone
from domain.compliance.pack import WEEKDAYS, Pack, Window
from domain.errors import InvalidInput

MessageChannel = Literal["sms", "email"]
MESSAGE_HOURS = "message_hours"
THIRD_PARTY_DEBT = "third_party_debt"
MESSAGE_RULE_CODES: tuple[str, ...] = (DO_NOT_CALL, CONSENT_REVOKED, RELATION_NOT_ALLOWED, THIRD_PARTY_DEBT,
                                       MESSAGE_HOURS)
_HORIZON_DAYS = 16


@dataclass(frozen=True)
class MessagePolicy:
    """A pack's rules for messages. ``week``: the hours messages may go out, Monday first
    (empty: none that day). ``debt_relations``: who may receive a message about the debt (None:
    whoever the relation policy allows). ``stop_words``: inbound words that revoke SMS consent."""

    week: tuple[tuple[Window, ...], ...]
    debt_relations: frozenset[Relation] | None = None
    stop_words: frozenset[str] = frozenset({"STOP"})
    do_not_contact_channels: frozenset[MessageChannel] = frozenset({"sms", "email"})

    def __post_init__(self) -> None:
        if len(self.week) != len(WEEKDAYS):
            raise ValueError("message hours must hold 7 days, Monday first")
        object.__setattr__(self, "stop_words", frozenset(w.strip().upper() for w in self.stop_words))

    def is_stop(self, text: str) -> bool:
        """An inbound SMS whose first word is one of the stop words (any case, punctuation ignored)."""
        words = text.strip().split()
        return bool(words) and words[0].strip(".,!;:").upper() in self.stop_words


def policy_of(pack: Pack) -> MessagePolicy:
    """The pack's message policy; a pack without one sends messages in its calling hours."""
    return pack.messages if pack.messages is not None else MessagePolicy(week=pack.week)


@dataclass(frozen=True)
class MessageContext:
    """One message to check. ``about_debt``: its text may be about the debt (a template using a
    debt variable, or free text, which cannot be checked)."""

    now: datetime
    channel: MessageChannel
    timezone: str
    purpose: Purpose = "collections"
    relation: Relation = "customer"
    about_debt: bool = True
    consents: frozenset[str] = frozenset()
    do_not_call: bool = False
    do_not_call_at: datetime | None = None
    sms_consent_revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise InvalidInput("now must be timezone-aware", {"now": "naive datetime"})
        object.__setattr__(self, "now", self.now.astimezone(UTC))
        if self.channel not in ("sms", "email"):
            raise InvalidInput(f"channel {self.channel!r} is not sms or email", {"channel": "unknown value"})
        if self.purpose not in PURPOSES:
            raise InvalidInput(f"purpose {self.purpose!r} is unknown", {"purpose": "unknown value"})
        if self.relation not in RELATIONS:
            raise InvalidInput(f"relation {self.relation!r} is unknown", {"relation": "unknown value"})
        if not is_known_zone(self.timezone):
            raise InvalidInput(f"unknown time zone {self.timezone!r}", {"timezone": "unknown zone"})


def _do_not_contact(policy: MessagePolicy, ctx: MessageContext) -> Blocked | None:
    if not ctx.do_not_call or ctx.channel not in policy.do_not_contact_channels:
        return None
    since = f" since {ctx.do_not_call_at.isoformat()}" if ctx.do_not_call_at else ""
    return Blocked(DO_NOT_CALL, f"the customer is on the do-not-contact list{since}", None)


def _consent(ctx: MessageContext) -> Blocked | None:
    if ctx.channel != "sms" or ctx.sms_consent_revoked_at is None:
        return None
    return Blocked(CONSENT_REVOKED, f"the customer revoked consent to SMS at "
                                    f"{ctx.sms_consent_revoked_at.isoformat()}", None)


def _relation(pack: Pack, ctx: MessageContext) -> Blocked | None:
    policy = pack.relations.get(ctx.purpose)
    if policy is not None:
        if ctx.relation in policy.allowed:
            return None
        flag = policy.with_consent.get(ctx.relation)
        if flag is not None and flag in ctx.consents:
            return None
        if flag is not None:
            return Blocked(RELATION_NOT_ALLOWED, f"a {ctx.relation.replace('_', ' ')} may be messaged for "
                                                 f"{ctx.purpose} only with the customer's consent {flag!r} "
                                                 f"(pack {pack.name})", None)
    return Blocked(RELATION_NOT_ALLOWED, f"a {ctx.relation.replace('_', ' ')} may not be messaged for "
                                         f"{ctx.purpose} (pack {pack.name})", None)


def _third_party_debt(pack: Pack, policy: MessagePolicy, ctx: MessageContext) -> Blocked | None:
    if not ctx.about_debt or policy.debt_relations is None or ctx.relation in policy.debt_relations:
        return None
    return Blocked(THIRD_PARTY_DEBT, f"the {pack.name} pack forbids any message about the debt to a "
                                     f"{ctx.relation.replace('_', ' ')}", None)


def _open_at(policy: MessagePolicy, instant: datetime, tz_name: str) -> bool:
    wall = local_wall(instant, zone(tz_name))
    return any(window.contains(wall) for window in policy.week[wall.weekday()])


def _hours(pack: Pack, policy: MessagePolicy, ctx: MessageContext) -> Blocked | None:
    if _open_at(policy, ctx.now, ctx.timezone):
        return None
    tz = zone(ctx.timezone)
    today = local_date(ctx.now, tz)
    openings = [datetime.combine(today + timedelta(days=offset), time()) + timedelta(minutes=window.start)
                for offset in range(-1, _HORIZON_DAYS)
                for window in policy.week[(today + timedelta(days=offset)).weekday()]]
    nxt = earliest_passing(ctx.now, lambda at: _open_at(policy, at, ctx.timezone), openings, tz,
                           timedelta(days=_HORIZON_DAYS + 1))
    wall = local_wall(ctx.now, tz)
    windows = ", ".join(w.label() for w in policy.week[wall.weekday()]) or "none"
    message = (f"outside the hours for messages: it is {wall:%H:%M} on {WEEKDAYS[wall.weekday()]} in "
               f"{ctx.timezone} (messages go out {windows} that day, pack {pack.name})")
    return Blocked(MESSAGE_HOURS, message, nxt)


def hours_end(pack: Pack, now: datetime, timezone: str) -> datetime | None:
    """When the window for messages that ``now`` is in closes (UTC), or None if ``now`` is outside
    every window. A message queued now is not sent after this (a long bulk run, a retry)."""
    policy = policy_of(pack)
    tz = zone(timezone)
    wall = local_wall(now, tz)
    for window in policy.week[wall.weekday()]:
        if window.contains(wall):
            end = datetime.combine(wall.date(), time()) + timedelta(minutes=window.end)
            later = [instant for instant in wall_instants(end, tz) if instant > now.astimezone(UTC)]
            return min(later) if later else None
    return None


def evaluate_message(pack: Pack, ctx: MessageContext) -> list[Blocked]:
    """Every rule that blocks the message now, never-rules first."""
    policy = policy_of(pack)
    found = (_do_not_contact(policy, ctx), _consent(ctx), _relation(pack, ctx),
             _third_party_debt(pack, policy, ctx), _hours(pack, policy, ctx))
    return [block for block in found if block is not None]


def check_message(pack: Pack, ctx: MessageContext) -> Decision:
    """Allowed, or the first "never" block, or the hours block with the next opening."""
    blocks = evaluate_message(pack, ctx)
    return blocks[0] if blocks else ALLOWED
