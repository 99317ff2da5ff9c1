"""What the API does with a batch of events after its commit: one bus round trip, and when that
fails, each event in turn, so a Redis hiccup on the batch loses none of them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent_ui.services import ListsSource, Services
from agent_ui.tokens import TokenService
from bus.base import BusUnavailable
from config.settings import CONFIG_DIR, Settings
from domain.events import Event, PaymentReceived
from runtime.supervisor import TaskSupervisor
from store.db import Database, make_engine


class FlakyBus:
    """A bus whose batch publish fails (as a Redis pipeline does when the connection drops)."""

    def __init__(self, batch_fails: bool) -> None:
        self.batch_fails = batch_fails
        self.batches: list[list[Event]] = []
        self.singles: list[Event] = []

    async def publish_many(self, events: Sequence[Event]) -> None:
        if self.batch_fails:
            raise BusUnavailable("connection reset")
        self.batches.append(list(events))

    async def publish(self, event: Event) -> None:
        self.singles.append(event)


def _services(tmp_path: Path, bus: FlakyBus) -> Services:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    return Services(settings=Settings(database_url=url), database=Database(make_engine(url)),
                    lists_source=ListsSource(CONFIG_DIR / "defaults"), supervisor=TaskSupervisor(),
                    tokens=TokenService("test-secret-key-0123456789abcdef0123", 1),
                    bus=bus)  # type: ignore[arg-type]  # the two methods Services uses


EVENTS = [PaymentReceived(customer_id=i, amount="10.00", reference=f"R{i}") for i in range(3)]


async def test_a_batch_goes_in_one_call(tmp_path: Path) -> None:
    bus = FlakyBus(batch_fails=False)
    services = _services(tmp_path, bus)
    await services.publish_many(EVENTS)
    await services.publish_many([])
    assert bus.batches == [EVENTS] and bus.singles == []
    await services.database.dispose()


async def test_a_failed_batch_is_published_event_by_event(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    bus = FlakyBus(batch_fails=True)
    services = _services(tmp_path, bus)
    with caplog.at_level(logging.WARNING, logger="agent_ui.services"):
        await services.publish_many(EVENTS)
    assert bus.singles == EVENTS
    assert "could not publish 3 events at once" in caplog.text
    await services.database.dispose()
