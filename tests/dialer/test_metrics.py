"""The dialer's claims and compliance blocks by rule, in the app's metrics (GET /metrics' registry).

A progressive claim outside the calling window (claimed, then blocked by ``calling_window``), and a
click-to-call to an alternative contact without consent (blocked by ``relation_not_allowed``).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from prometheus_client.parser import text_string_to_metric_families

from domain.errors import ComplianceBlocked
from runtime.metrics import Metrics
from store.models import Relation
from tests.dialer.conftest import World


async def _samples(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = (await metrics.render()).decode()
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


async def test_claims_and_blocks_by_rule_are_counted(world: World) -> None:
    metrics = Metrics()
    world.dialer.ctx.metrics = metrics  # what the dialer component passes: the app's registry
    world.clock.at = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # 21:00 in Nairobi: outside the window
    amina = await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    assert (await world.dialer.tick()).blocked == 1

    world.clock.at = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # 10:00 in Nairobi
    other = await world.customer("Otieno Kamau", "+254712000999", assigned_agent_id=amina.id,
                                 contacts=((Relation.ALTERNATIVE_CONTACT, "Brother", "+254733000002"),))
    with pytest.raises(ComplianceBlocked):
        await world.dialer.click_to_call("amina", other.id, "+254733000002")

    samples = await _samples(metrics)
    assert samples[("switchboard_dialer_claims_total", frozenset())] == 1
    assert samples[("switchboard_dialer_blocks_total", frozenset({("rule", "calling_window")}))] == 1
    assert samples[("switchboard_dialer_blocks_total", frozenset({("rule", "relation_not_allowed")}))] == 1
