"""Issue 15 item 10: the Customer Follow-Up table is a work list, sorted, filtered and paged on the server.

The summary columns (overdue amount, days past due, last contact, next action, promise state) follow the
customer's loans, notes, tasks and promises as they are written, through the ORM, in the same transaction.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from store.models import Customer, FollowUpTask, Interaction, Loan, PromiseStatus, PromiseToPay
from tests.api.conftest import ApiWorld, assert_error_shape

NOW = datetime.now(UTC).replace(microsecond=0)


def _loan(customer_id: int, ref: str, overdue: int, dpd: int, status: str = "active") -> Loan:
    return Loan(customer_id=customer_id, external_ref=ref, product="biashara", applied_amount=Decimal(9000),
                principal=Decimal(9000), interest_amount=Decimal(0), balance=Decimal(9000),
                start_date=date(2026, 1, 1), end_date=date(2027, 1, 1), days_past_due=dpd,
                overdue_amount=Decimal(overdue), status=status, currency="KES")


async def _world(api: ApiWorld) -> dict[str, int]:
    """Three of amina's customers and one of brian's, with different loans, notes, tasks and promises."""
    ids = {}
    for name, phone, agent, risk in (("Achieng", "0711000001", "amina", 0.2), ("Baraka", "0711000002", "amina", 0.9),
                                     ("Chebet", "0711000003", "amina", 0.5), ("Dida", "0711000004", "brian", 0.7)):
        ids[name] = (await api.customer(name, phone, agent=agent, risk_score=risk))["id"]
    amina = api.users["amina"].id
    async with api.services.database.session() as s:
        s.add_all([_loan(ids["Achieng"], "L1", 1500, 12), _loan(ids["Achieng"], "L2", 500, 40),
                   _loan(ids["Achieng"], "L3", 99999, 400, status="closed"),
                   _loan(ids["Baraka"], "L4", 20000, 90), _loan(ids["Dida"], "L5", 7000, 7)])
        s.add(Interaction(customer_id=ids["Baraka"], channel="call", operator_id=amina,
                          created_at=NOW - timedelta(days=1)))
        s.add(Interaction(customer_id=ids["Chebet"], channel="call", operator_id=amina,
                          created_at=NOW - timedelta(days=30)))
        s.add(FollowUpTask(customer_id=ids["Chebet"], assignee_id=amina, kind="callback",
                           due_at=NOW - timedelta(hours=1)))
        s.add(FollowUpTask(customer_id=ids["Achieng"], assignee_id=amina, due_at=NOW + timedelta(days=2)))
        s.add(PromiseToPay(customer_id=ids["Baraka"], amount=Decimal(100), due_date=date(2026, 1, 5),
                           status=PromiseStatus.BROKEN))
        s.add(PromiseToPay(customer_id=ids["Baraka"], amount=Decimal(100), due_date=date(2026, 2, 5)))
    return ids


async def _list(api: ApiWorld, who: str = "amina", **params: Any) -> list[dict[str, Any]]:
    response = await api.client.get("/api/customers", params=params, headers=api.as_(who))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_the_table_shows_each_customers_work_summary(api: ApiWorld) -> None:
    ids = await _world(api)
    rows = {r["name"]: r for r in await _list(api)}
    assert set(rows) == {"Achieng", "Baraka", "Chebet"}  # brian's customer stays his
    achieng, baraka, chebet = rows["Achieng"], rows["Baraka"], rows["Chebet"]
    assert (achieng["overdue_amount"], achieng["days_past_due"]) == ("2000.00", 40)  # the closed loan is left out
    assert achieng["next_action_kind"] == "follow_up" and achieng["last_contact_at"] is None
    assert achieng["promise_state"] == "none"
    assert baraka["promise_state"] == "pending"  # the newest promise
    assert datetime.fromisoformat(baraka["last_contact_at"]) == NOW - timedelta(days=1)
    assert chebet["next_action_kind"] == "callback"
    assert datetime.fromisoformat(chebet["next_action_at"]) == NOW - timedelta(hours=1)
    assert (chebet["overdue_amount"], chebet["days_past_due"]) == ("0.00", 0)
    # the summary follows a change: the callback done, a promise kept
    async with api.services.database.session() as s:
        task = await s.scalar(select(FollowUpTask).where(FollowUpTask.customer_id == ids["Chebet"]))
        assert task is not None
        task.done = True
        promise = await s.scalar(select(PromiseToPay).where(PromiseToPay.customer_id == ids["Baraka"],
                                                            PromiseToPay.status == PromiseStatus.PENDING))
        assert promise is not None
        promise.status = PromiseStatus.KEPT
    rows = {r["name"]: r for r in await _list(api)}
    assert rows["Chebet"]["next_action_at"] is None and rows["Chebet"]["next_action_kind"] is None
    assert rows["Baraka"]["promise_state"] == "kept"


async def test_every_sort_orders_the_page(api: ApiWorld) -> None:
    await _world(api)

    async def names(sort: str) -> list[str]:
        return [r["name"] for r in await _list(api, "sup", sort=sort)]

    assert await names("name") == ["Achieng", "Baraka", "Chebet", "Dida"]
    assert await names("-name") == ["Dida", "Chebet", "Baraka", "Achieng"]
    assert await names("-overdue_amount") == ["Baraka", "Dida", "Achieng", "Chebet"]
    assert await names("overdue_amount") == ["Chebet", "Achieng", "Dida", "Baraka"]
    assert await names("-days_past_due") == ["Baraka", "Achieng", "Dida", "Chebet"]
    assert await names("-risk") == ["Baraka", "Dida", "Chebet", "Achieng"]
    # the customers without a value come last ascending and first descending, on both databases
    assert await names("last_contact") == ["Chebet", "Baraka", "Achieng", "Dida"]
    assert await names("-last_contact") == ["Dida", "Achieng", "Baraka", "Chebet"]
    assert await names("next_action") == ["Chebet", "Achieng", "Baraka", "Dida"]
    assert (await names("promise_state"))[-1] == "Baraka"  # none < pending
    assert await names("-promise_state") == ["Baraka", "Dida", "Chebet", "Achieng"]


async def test_the_filters_narrow_and_the_pages_follow(api: ApiWorld) -> None:
    await _world(api)

    async def names(**params: Any) -> list[str]:
        return [r["name"] for r in await _list(api, "sup", **params)]

    assert await names(min_overdue="1000") == ["Achieng", "Baraka", "Dida"]
    assert await names(min_days_past_due=30, max_days_past_due=60) == ["Achieng"]
    assert await names(min_risk=0.6) == ["Baraka", "Dida"]
    assert await names(promise_state="pending") == ["Baraka"]
    assert await names(promise_state="none") == ["Achieng", "Chebet", "Dida"]
    assert await names(next_action="due") == ["Chebet"]
    assert await names(next_action="scheduled") == ["Achieng", "Chebet"]
    assert await names(next_action="none") == ["Baraka", "Dida"]
    assert await names(not_contacted_days=7) == ["Achieng", "Chebet", "Dida"]
    assert await names(min_overdue="1", sort="-days_past_due", limit=2, offset=1) == ["Achieng", "Dida"]
    assert await names(q="Baraka", promise_state="pending") == ["Baraka"]
    assert await names(q="Baraka", promise_state="kept") == []
    assert [r["name"] for r in await _list(api, "amina", min_risk=0.6)] == ["Baraka"]  # still only her own


async def test_unknown_sorts_and_filters_are_refused(api: ApiWorld) -> None:
    for params in ({"sort": "balance"}, {"promise_state": "maybe"}, {"next_action": "soon"},
                   {"min_risk": "2"}, {"min_overdue": "-1"}, {"min_days_past_due": "-3"}):
        response = await api.client.get("/api/customers", params=params, headers=api.as_("amina"))
        assert_error_shape(response, 422)


async def test_the_summary_is_stored_on_the_customer_row(api: ApiWorld) -> None:
    ids = await _world(api)
    async with api.services.database.session() as s:
        row = await s.get(Customer, ids["Baraka"])
        assert row is not None
        assert (row.overdue_amount, row.days_past_due, row.promise_state) == (Decimal("20000.00"), 90, "pending")
