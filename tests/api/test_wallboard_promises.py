"""Issue 15 item 12: the wallboard's "Promises to pay today" counts the promises DUE today (seed 002's
follow-up view, cancelled ones aside); the promises made today are a second figure; ``kept`` and
``kept_amount`` stay. Both figures follow live: a promise taken in a note or on its own pushes
``wallboard.promises``. Days are the centre's (Africa/Nairobi): the test works out "today" there."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update

from agent_ui.components.live import LiveParts
from bus.outbox_names import SUPERVISORS
from domain.clock import local_today
from live.wallboard import WallboardService
from store.models import PromiseStatus, PromiseToPay
from store.repositories.wallboard_queries import promises_today
from tests.api.conftest import ApiWorld


async def _board(api: ApiWorld) -> WallboardService:
    assert api.services.outbox is not None and api.services.bus is not None
    board = WallboardService(api.services.database, api.services.outbox,
                             timezone=api.settings.timezone, service_level_seconds=20)
    board.subscribe(api.services.bus)
    api.services.live = LiveParts(presence=None, wallboard=board, pop=None, call_log=None)  # type: ignore[arg-type]
    return board


async def _promise(api: ApiWorld, customer_id: int, amount: str, due: date) -> dict[str, Any]:
    res = await api.client.post(f"/api/customers/{customer_id}/promises", headers=api.as_("amina"),
                                json={"amount": amount, "due_date": due.isoformat()})
    assert res.status_code == 201, res.text
    return dict(res.json())


async def _pushed(api: ApiWorld, board: WallboardService, want: dict[str, Any]) -> None:
    """Flush until the last ``wallboard.promises`` frame holds ``want`` (the bus is asynchronous)."""
    assert api.services.outbox is not None
    async with asyncio.timeout(3):
        while True:
            await board.flush()
            frames = [m for m in await api.services.outbox.read(SUPERVISORS, 0, 0) if m.type == "wallboard.promises"]
            if frames and all(frames[-1].data.get(k) == v for k, v in want.items()):
                return
            await asyncio.sleep(0.02)


async def test_due_today_and_made_today_are_two_figures(api: ApiWorld) -> None:
    board = await _board(api)
    today = local_today(api.settings.timezone)
    customer = (await api.customer())["id"]
    await _promise(api, customer, "1000", today)  # made today, due today
    await _promise(api, customer, "2000", today + timedelta(days=2))  # made today, due later
    earlier = datetime.now(UTC) - timedelta(days=3)
    async with api.services.database.session() as s:
        s.add_all([
            PromiseToPay(customer_id=customer, amount=Decimal(500), due_date=today, created_at=earlier),
            PromiseToPay(customer_id=customer, amount=Decimal(700), due_date=today, created_at=earlier,
                         status=PromiseStatus.CANCELLED),
            PromiseToPay(customer_id=customer, amount=Decimal(300), due_date=today - timedelta(days=1),
                         created_at=earlier, status=PromiseStatus.KEPT, paid_amount=Decimal(300),
                         settled_at=datetime.now(UTC)),
        ])
    res = await api.client.get("/api/wallboard", headers=api.as_("sup"))
    assert res.status_code == 200, res.text
    assert res.json()["promises_today"] == {
        "day": today.isoformat(), "count": 2, "amount": "1500.00", "made": 2, "made_amount": "3000.00",
        "kept": 1, "kept_amount": "300.00"}
    assert (await api.client.get("/api/wallboard", headers=api.as_("amina"))).status_code == 403

    await _promise(api, customer, "400", today + timedelta(days=2))  # live: made rises, due does not
    await _pushed(api, board, {"count": 2, "amount": "1500.00", "made": 3, "made_amount": "3400.00"})
    await _promise(api, customer, "100", today)  # live: both rise
    await _pushed(api, board, {"count": 3, "amount": "1600.00", "made": 4, "made_amount": "3500.00"})


async def test_a_note_promising_later_moves_made_today_only(api: ApiWorld) -> None:
    board = await _board(api)
    today = local_today(api.settings.timezone)
    customer = (await api.customer())["id"]
    res = await api.client.post(f"/api/customers/{customer}/interactions", headers=api.as_("amina"), json={
        "disposition": {"status": "contacted", "reason": "promise_to_pay"},
        "promised_amount": "2000", "promised_date": (today + timedelta(days=2)).isoformat()})
    assert res.status_code == 201, res.text
    await _pushed(api, board, {"count": 0, "amount": "0.00", "made": 1, "made_amount": "2000.00"})


async def test_the_day_is_the_centres_day(api: ApiWorld) -> None:
    """Fixed clock: 23:30 UTC on 4 March is already 5 March in Nairobi."""
    customer = (await api.customer())["id"]
    async with api.services.database.session() as s:
        s.add(PromiseToPay(customer_id=customer, amount=Decimal(900), due_date=date(2026, 3, 5),
                           created_at=datetime(2026, 3, 4, 20, 0, tzinfo=UTC)))  # 23:00 on 4 March in Nairobi
    async with api.services.database.session() as s:
        late = await promises_today(s, now=datetime(2026, 3, 4, 23, 30, tzinfo=UTC), tz="Africa/Nairobi")
        early = await promises_today(s, now=datetime(2026, 3, 4, 20, 30, tzinfo=UTC), tz="Africa/Nairobi")
        await s.execute(update(PromiseToPay).values(status=PromiseStatus.BROKEN))
        broken = await promises_today(s, now=datetime(2026, 3, 4, 23, 30, tzinfo=UTC), tz="Africa/Nairobi")
    assert (late["day"], late["count"], late["amount"], late["made"]) == ("2026-03-05", 1, "900.00", 0)
    assert (early["day"], early["count"], early["made"], early["made_amount"]) == ("2026-03-04", 0, 1, "900.00")
    assert broken["count"] == 1  # a promise due today still counts once broken; only a cancelled one leaves
