"""Which recorded calls go in the supervisors' list of calls to score (issue 22): a pure rule.

Over one week of recorded calls:

* ``random``: N calls of each agent, drawn with ``random.Random`` seeded by the seed, the week and the
  agent from the agent's calls in a stable order (start time, then call id): the same calls give
  the same pick. Calls shorter than ``min_talk_seconds`` are not drawn.
* ``dispute``: every call whose note carries a dispute disposition reason.
* ``long``: every call that talked longer than ``long_call_seconds``.
* ``blocked_retried``: every call dialled after the compliance gate had held its task.

A call picked by several rules is listed once, with every reason.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

PickReason = Literal["random", "dispute", "long", "blocked_retried"]
REASON_ORDER: tuple[PickReason, ...] = ("dispute", "blocked_retried", "long", "random")


@dataclass(frozen=True, slots=True)
class CandidateCall:
    call_id: str
    agent_id: int
    started_at: datetime
    talk_seconds: int | None
    dispute: bool = False
    blocked_before: bool = False


@dataclass(frozen=True, slots=True)
class PickRules:
    per_agent: int
    seed: int
    min_talk_seconds: int = 0
    long_call_seconds: float | None = None
    disputes: bool = True
    blocked_then_retried: bool = True


@dataclass(frozen=True, slots=True)
class Pick:
    call: CandidateCall
    reasons: tuple[PickReason, ...]


def _random_picks(calls: list[CandidateCall], rules: PickRules, week: date) -> set[str]:
    by_agent: dict[int, list[CandidateCall]] = defaultdict(list)
    for call in calls:
        if (call.talk_seconds or 0) >= rules.min_talk_seconds:
            by_agent[call.agent_id].append(call)
    chosen: set[str] = set()
    for agent_id, own in by_agent.items():
        own.sort(key=lambda c: (c.started_at, c.call_id))
        draw = random.Random(f"{rules.seed}:{week.isoformat()}:{agent_id}")  # a stable draw, not a secret
        chosen.update(c.call_id for c in draw.sample(own, min(rules.per_agent, len(own))))
    return chosen


def pick_calls(calls: Iterable[CandidateCall], rules: PickRules, week: date) -> list[Pick]:
    """The calls to score of the week starting ``week`` (a Monday), oldest first."""
    unique = list({c.call_id: c for c in calls}.values())
    drawn = _random_picks(unique, rules, week) if rules.per_agent > 0 else set()
    picks: list[Pick] = []
    for call in sorted(unique, key=lambda c: (c.started_at, c.call_id)):
        reasons: list[PickReason] = []
        if rules.disputes and call.dispute:
            reasons.append("dispute")
        if rules.blocked_then_retried and call.blocked_before:
            reasons.append("blocked_retried")
        if rules.long_call_seconds is not None and (call.talk_seconds or 0) > rules.long_call_seconds:
            reasons.append("long")
        if call.call_id in drawn:
            reasons.append("random")
        if reasons:
            picks.append(Pick(call, tuple(reasons)))
    return picks


REASON_SENTENCES: dict[PickReason, str] = {
    "dispute": "The customer disputed the debt",
    "blocked_retried": "Dialled again after the contact rules had held it",
    "long": "A long call",
    "random": "Picked at random for this agent this week",
}
