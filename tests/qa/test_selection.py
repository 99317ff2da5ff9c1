"""The rule picking the calls to score (domain/qa_selection.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from domain.qa_selection import CandidateCall, PickRules, pick_calls

MONDAY = date(2026, 11, 30)
T0 = datetime(2026, 11, 30, 8, tzinfo=UTC)


def _calls(agent: int, count: int, **flags: object) -> list[CandidateCall]:
    return [CandidateCall(f"a{agent}-{i}", agent, T0 + timedelta(hours=i), 60, **flags)  # type: ignore[arg-type]
            for i in range(count)]


def test_n_random_calls_per_agent_the_same_for_a_seed() -> None:
    calls = _calls(1, 10) + _calls(2, 3) + _calls(3, 1)
    rules = PickRules(per_agent=2, seed=7, long_call_seconds=None)
    first = pick_calls(calls, rules, MONDAY)
    per_agent = {agent: [p for p in first if p.call.agent_id == agent] for agent in (1, 2, 3)}
    assert [len(per_agent[a]) for a in (1, 2, 3)] == [2, 2, 1]
    assert all(p.reasons == ("random",) for p in first)
    assert pick_calls(list(reversed(calls)), rules, MONDAY) == first  # the order given does not matter
    others = {tuple(p.call.call_id for p in pick_calls(calls, PickRules(2, seed, long_call_seconds=None), MONDAY))
              for seed in range(20)}
    assert len(others) > 1  # another seed draws other calls
    later = pick_calls(calls, rules, MONDAY + timedelta(days=7))
    assert len(later) == 5


def test_every_dispute_long_and_blocked_call_with_its_reasons() -> None:
    calls = [CandidateCall("short", 1, T0, 10),
             CandidateCall("long", 1, T0 + timedelta(hours=1), 16 * 60),
             CandidateCall("dispute", 2, T0 + timedelta(hours=2), 100, dispute=True),
             CandidateCall("held", 2, T0 + timedelta(hours=3), 100, blocked_before=True),
             CandidateCall("both", 3, T0 + timedelta(hours=4), 20 * 60, dispute=True, blocked_before=True)]
    rules = PickRules(per_agent=0, seed=1, min_talk_seconds=30, long_call_seconds=15 * 60)
    assert [(p.call.call_id, p.reasons) for p in pick_calls(calls, rules, MONDAY)] == [
        ("long", ("long",)), ("dispute", ("dispute",)), ("held", ("blocked_retried",)),
        ("both", ("dispute", "blocked_retried", "long"))]
    off = PickRules(per_agent=0, seed=1, long_call_seconds=None, disputes=False, blocked_then_retried=False)
    assert pick_calls(calls, off, MONDAY) == []


def test_short_calls_are_not_drawn_at_random() -> None:
    calls = [CandidateCall("short", 1, T0, 5), CandidateCall("ok", 1, T0 + timedelta(hours=1), 45)]
    picks = pick_calls(calls, PickRules(per_agent=5, seed=1, min_talk_seconds=30), MONDAY)
    assert [p.call.call_id for p in picks] == ["ok"]
