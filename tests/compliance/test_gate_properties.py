"""Property tests of the gate over random packs, histories, zones and clocks, against a brute-force
oracle (tests/compliance/oracle.py) that shares no code with the gate."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from config.compliance_loader import load_pack
from domain.compliance import RULE_CODES, Allowed, Blocked, DialContext, Pack, check, evaluate_all
from tests.compliance.oracle import NEVER_RULES, violations
from tests.compliance.strategies import contexts, dst_edge_cases, random_packs

SHIPPED = {name: load_pack(name) for name in ("kenya", "us_reg_f")}
TICK = timedelta(microseconds=1)
PROPERTY_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _assert_gate_is_right(pack: Pack, ctx: DialContext, fraction: float) -> None:
    broken = violations(pack, ctx, ctx.now)
    decision = check(pack, ctx)
    event(f"decision: {'allowed' if isinstance(decision, Allowed) else decision.rule}")
    for rule in broken:
        event(f"breaks: {rule}")
    # Every rule that blocks is reported, and only those (the per-rule counts of the status page).
    assert {block.rule for block in evaluate_all(pack, ctx)} == broken
    if isinstance(decision, Allowed):
        assert broken == set()  # (a) no dial passes that breaks a rule of the pack
        return
    # (b) every block names a rule it really breaks, with a message and a next time (or never).
    assert decision.rule in RULE_CODES
    assert decision.rule in broken
    assert decision.message
    if broken & NEVER_RULES:
        assert decision.rule in NEVER_RULES
        assert decision.next_allowed_at is None
        return
    nxt = decision.next_allowed_at
    assert nxt is not None
    assert nxt.tzinfo is UTC
    assert nxt > ctx.now
    # (c) at next_allowed_at, with the same history, every rule passes...
    assert violations(pack, ctx, nxt) == set()
    assert check(pack, replace(ctx, now=nxt)) == Allowed()
    # ...and it is the earliest such instant: just before it, and anywhere before it, a rule blocks.
    assert violations(pack, ctx, nxt - TICK)
    probe = ctx.now + (nxt - ctx.now) * fraction
    assert violations(pack, ctx, min(probe, nxt - TICK))


def _assert_each_rule_time_is_its_own_earliest(pack: Pack, ctx: DialContext) -> None:
    for block in evaluate_all(pack, ctx):
        if block.next_allowed_at is None:
            assert block.rule in NEVER_RULES
            continue
        assert block.next_allowed_at > ctx.now
        assert block.rule not in violations(pack, ctx, block.next_allowed_at)
        assert block.rule in violations(pack, ctx, block.next_allowed_at - TICK)


@pytest.mark.parametrize("pack_name", sorted(SHIPPED))
@PROPERTY_SETTINGS
@given(ctx=contexts(), fraction=st.floats(0, 1))
def test_shipped_packs_agree_with_the_oracle(pack_name: str, ctx: DialContext, fraction: float) -> None:
    _assert_gate_is_right(SHIPPED[pack_name], ctx, fraction)
    _assert_each_rule_time_is_its_own_earliest(SHIPPED[pack_name], ctx)


@PROPERTY_SETTINGS
@given(pack=random_packs, ctx=contexts(), fraction=st.floats(0, 1))
def test_random_packs_agree_with_the_oracle(pack: Pack, ctx: DialContext, fraction: float) -> None:
    _assert_gate_is_right(pack, ctx, fraction)
    _assert_each_rule_time_is_its_own_earliest(pack, ctx)


@PROPERTY_SETTINGS
@given(case=dst_edge_cases(SHIPPED["us_reg_f"]), fraction=st.floats(0, 1))
def test_windows_opening_in_skipped_or_repeated_hours(case: tuple[Pack, DialContext], fraction: float) -> None:
    pack, ctx = case
    _assert_gate_is_right(pack, ctx, fraction)
    _assert_each_rule_time_is_its_own_earliest(pack, ctx)


@settings(max_examples=200, deadline=None)
@given(pack=st.sampled_from(sorted(SHIPPED.values(), key=lambda p: p.name)) | random_packs,
       ctx=contexts(), seed=st.integers(0, 2**32))
def test_decisions_are_stable_when_nothing_changes(pack: Pack, ctx: DialContext, seed: int) -> None:
    """(d) Same data, same answer: again, on a copy, and with the history in another order."""
    decision = check(pack, ctx)
    shuffled = list(ctx.history)
    random.Random(seed).shuffle(shuffled)
    assert check(pack, ctx) == decision
    assert check(pack, replace(ctx, history=tuple(shuffled))) == decision
    if isinstance(decision, Allowed):
        assert evaluate_all(pack, ctx) == []
    else:
        assert isinstance(decision, Blocked)
