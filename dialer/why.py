"""Why nothing is dialled, in one sentence: the same answer for the supervisor's "why am I not
dialling?" (per campaign, GET /api/dialer/status) and the agent's empty "Calls to make" (over the
agent's own campaigns, GET /api/dialer/my-queue).

Reasons, in the order they are given: ``no_campaign`` (the agent is in none), ``stopped`` (the dialer
does not run in this process), ``no_ready_agents`` (supervisor view: calls are due, nobody is ready),
``window_closed`` (the calling hours are closed now in the centre's zone, with the next opening),
``nothing_due`` (no task is due; the next scheduled one, if any), ``all_blocked`` (every due task is
held by a contact rule: which rules, how many, their sentences and next allowed times),
``go_ready`` (agent view: calls are due and the agent is not ready) and ``dialling``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from domain.compliance import DialContext
from domain.compliance.localtime import local_wall, zone
from domain.compliance.pack import WEEKDAYS, Pack
from domain.compliance.rules_clock import CallingWindow

Reason = Literal["no_campaign", "stopped", "no_ready_agents", "window_closed", "nothing_due", "all_blocked",
                 "go_ready", "dialling"]

# The gate's rule codes (domain/compliance) as the end of "N calls ..." sentences.
RULE_SENTENCE = {
    "do_not_call": "the customer is on the do-not-call list",
    "consent_revoked": "the customer revoked consent to calls",
    "relation_not_allowed": "this contact may not be called",
    "calling_window": "outside the customer's calling hours",
    "max_attempts_per_day": "today's attempts are used up",
    "max_attempts_7d": "the week's attempts are used up",
    "after_conversation_7d": "the customer was spoken to in the last 7 days",
}


def rule_sentence(rule: str) -> str:
    return RULE_SENTENCE.get(rule, rule.replace("_", " "))


@dataclass
class Hold:
    """Tasks held by one rule now, and the earliest time one of them may be called (None: only a
    change of the customer's data allows it)."""

    rule: str
    count: int = 0
    next_allowed_at: datetime | None = None
    never: bool = False

    def add(self, count: int, at: datetime | None) -> None:
        self.count += count
        if at is None:
            self.never = True
        elif self.next_allowed_at is None or at < self.next_allowed_at:
            self.next_allowed_at = at


@dataclass
class Facts:
    """What one campaign (or the sum of an agent's campaigns) has now."""

    due: int = 0
    dialable: int = 0
    in_progress: int = 0
    next_due_at: datetime | None = None
    holds: dict[str, Hold] = field(default_factory=dict)

    def hold(self, rule: str, count: int, at: datetime | None) -> None:
        self.holds.setdefault(rule, Hold(rule)).add(count, at)

    def merge(self, other: Facts) -> None:
        self.due += other.due
        self.dialable += other.dialable
        self.in_progress += other.in_progress
        if other.next_due_at is not None and (self.next_due_at is None or other.next_due_at < self.next_due_at):
            self.next_due_at = other.next_due_at
        for hold in other.holds.values():
            if hold.count:
                mine = self.holds.setdefault(hold.rule, Hold(hold.rule))
                mine.add(hold.count, hold.next_allowed_at)
                mine.never = mine.never or hold.never


@dataclass(frozen=True)
class Clock:
    """The centre's view of the time: the pack, its zone, now."""

    pack: Pack
    timezone: str
    now: datetime

    def wall(self, at: datetime) -> str:
        return f"{local_wall(at, zone(self.timezone)):%a %d %b %H:%M} ({self.timezone})"

    def window_closed(self) -> tuple[str, datetime | None] | None:
        """The calling hours' sentence and next opening when they are closed now in the centre's zone."""
        block = CallingWindow(self.pack)(DialContext(now=self.now, channel="call", purpose="collections",
                                                     timezone=self.timezone, relation="customer"))
        if block is None:
            return None
        wall = local_wall(self.now, zone(self.timezone))
        day = WEEKDAYS[wall.weekday()]
        today = self.pack.week[wall.weekday()]
        rules = f"the {self.pack.name.replace('_', ' ').title()} rules"
        text = (f"No calls on {day.title()}s under {rules}." if not today else
                f"Outside the calling hours under {rules}: {', '.join(w.label() for w in today)} on "
                f"{day.title()}s, it is {wall:%H:%M}.")
        return text, block.next_allowed_at


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


def _count(n: int, what: str = "call") -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def explain(facts: Facts, clock: Clock, *, campaigns: int = 1, running: bool = True,
            ready_agents: int | None = None, agent_ready: bool | None = None) -> dict[str, Any]:
    """The reason, its sentence, the next time anything changes by itself, and the holds by rule.
    ``ready_agents``: the supervisor's view of a campaign; ``agent_ready``: the agent's own view."""
    def answer(reason: Reason, sentence: str, nxt: datetime | None = None) -> dict[str, Any]:
        if nxt is not None:
            sentence = f"{sentence} Next: {clock.wall(nxt)}."
        return {"reason": reason, "sentence": sentence, "next_at": _iso(nxt), "due_now": facts.due,
                "dialable_now": facts.dialable,
                "blocked": [{"rule": h.rule, "count": h.count, "sentence": rule_sentence(h.rule),
                             "next_allowed_at": _iso(h.next_allowed_at)}
                            for h in sorted(facts.holds.values(), key=lambda h: -h.count) if h.count]}

    if campaigns == 0:
        return answer("no_campaign", "You are in no campaign, so the dialer has no call for you: "
                                     "ask a supervisor to add you to one.")
    if not running:
        return answer("stopped", "The dialer is not running on this server: nothing is dialled.")
    if facts.dialable and ready_agents == 0:
        return answer("no_ready_agents", "No agent in this campaign is ready.")
    if facts.dialable:
        if agent_ready is False:
            return answer("go_ready", f"{_count(facts.dialable)} can be made now: go ready and the next "
                                      "one appears here.")
        return answer("dialling", f"Dialling: {facts.dialable} callable now, {facts.in_progress} in progress.")
    closed = clock.window_closed()
    if closed is not None:
        return answer("window_closed", closed[0], closed[1])
    if not any(h.count for h in facts.holds.values()):
        later = " Nothing else is scheduled." if facts.next_due_at is None else ""
        return answer("nothing_due", f"No call is due now.{later}", facts.next_due_at)
    parts = []
    for hold in sorted(facts.holds.values(), key=lambda h: -h.count):
        if not hold.count:
            continue
        when = (f" (next {clock.wall(hold.next_allowed_at)})" if hold.next_allowed_at is not None
                else " (until the customer's record changes)")
        parts.append(f"{hold.count} because {rule_sentence(hold.rule)}{when}")
    nxt = min((h.next_allowed_at for h in facts.holds.values() if h.count and h.next_allowed_at), default=None)
    return answer("all_blocked", f"Every due call is held by a contact rule: {'; '.join(parts)}.", nxt)
