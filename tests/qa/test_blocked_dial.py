"""A dial the compliance gate had held says so (DialAttempt.details["blocked_before"]): the QA
rule "every call blocked and then retried" reads it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from store.models import DialAttempt
from tests.dialer.conftest import World, default_lists, world

__all__ = ["default_lists", "world"]


async def _attempts(world: World) -> list[DialAttempt]:
    async with world.database.session() as s:
        return list((await s.scalars(select(DialAttempt).order_by(DialAttempt.requested_at))).all())


async def test_a_task_held_by_the_calling_window_is_dialled_later_marked_as_held(world: World) -> None:
    world.clock.at = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)  # 21:00 in Nairobi: outside the window
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    assert (await world.dialer.tick()).blocked == 1
    world.clock.at = datetime(2026, 3, 5, 5, 30, tzinfo=UTC)  # 08:30 next day: the window is open
    assert (await world.dialer.tick()).previews == 1
    world.clock.advance(seconds=5)
    assert (await world.dialer.tick()).dials == 1
    await world.settle()
    [attempt] = await _attempts(world)
    assert attempt.details["blocked_before"] == "calling_window"


async def test_a_task_never_held_has_no_mark(world: World) -> None:
    world.clock.at = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
    await world.agent("amina", "PJSIP/1001")
    await world.customer()
    await world.dialer.generator.past_due()
    assert (await world.dialer.tick()).previews == 1
    world.clock.advance(seconds=5)
    assert (await world.dialer.tick()).dials == 1
    await world.settle()
    [attempt] = await _attempts(world)
    assert "blocked_before" not in attempt.details
