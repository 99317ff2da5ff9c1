"""Seed 003 reports through the API on both backends: agent activity and performance, outstanding debt
and collection efficiency; exact figures for a small hand-made month (March 2026, Nairobi days, UTC+3)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import update

from store.models import CallRecord, PromiseStatus, PromiseToPay
from tests.api.conftest import ApiWorld, assert_error_shape

MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _post(api: ApiWorld, path: str, body: dict[str, Any], user: str = "sup") -> dict[str, Any]:
    response = await api.client.post(path, json=body, headers=api.as_(user))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _report(api: ApiWorld, path: str, **params: str) -> list[dict[str, Any]]:
    response = await api.client.get(path, params={**MARCH, **params}, headers=api.as_("sup"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == (MARCH["from"], MARCH["to"])
    items: list[dict[str, Any]] = body["items"]
    return items


async def _calls(api: ApiWorld) -> None:
    """Calls by offered time: local day edges at 21:00 UTC; talk time None for an unanswered call."""
    ids = {name: user.id for name, user in api.users.items()}
    calls = [("amina", "2026-03-02T08:00", 120), ("amina", "2026-03-15T10:00", 300),
             ("amina", "2026-03-31T20:59", None),  # 23:59 on 31 March in Nairobi: in
             ("amina", "2026-03-31T21:00", 999),  # 00:00 on 1 April: out
             ("brian", "2026-02-28T21:00", 60),  # 00:00 on 1 March: in
             ("brian", "2026-02-28T20:59", 500),  # 23:59 on 28 February: out
             ("sup", "2026-03-10T09:00", 45), (None, "2026-03-10T09:30", None)]  # abandoned in queue
    async with api.services.database.session() as session:
        for n, (agent, offered, talk) in enumerate(calls):
            session.add(CallRecord(call_id=f"perf-{n}", direction="inbound", agent_id=ids[agent] if agent else None,
                                   offered_at=_at(offered), talk_seconds=talk, abandoned=agent is None))


async def _promise(api: ApiWorld, customer_id: int, user: str, created: str, status: PromiseStatus) -> None:
    made = await _post(api, f"/api/customers/{customer_id}/promises",
                       {"amount": "100.00", "due_date": (date.today() + timedelta(days=30)).isoformat()}, user)
    async with api.services.database.session() as session:
        await session.execute(update(PromiseToPay).where(PromiseToPay.id == made["id"])
                              .values(status=status, created_at=_at(created)))


async def _world(api: ApiWorld) -> None:
    otieno = await _post(api, "/api/users", {"username": "otieno", "password": "otieno-pass-1", "role": "agent"},
                         "admin")
    assert otieno["role"] == "agent"
    # customer: (name, phone, campaign, agent, [(status, balance, overdue)], [(posted UTC, direction, kind, amount)])
    world = [
        ("Alpha", "0712000201", "collections", "amina", [("active", "1000.50", "200.25"), ("closed", "300", "50")],
         [("2026-03-05T09:00", "credit", "repayment", "150.00"),
          ("2026-02-28T21:00", "credit", "mpesa_deposit", "49.75"),  # 00:00 on 1 March local: in
          ("2026-03-06T09:00", "debit", "loan_fee", "20.00")]),
        ("Beta", "0712000202", "collections", "brian", [("active", "2500.00", "0")],
         [("2026-03-31T21:00", "credit", "repayment", "300.00"),  # 1 April local: out
          ("2026-03-20T12:00", "credit", "mpesa_deposit", "100.00")]),
        ("Gamma", "0712000203", "sales", "amina", [("active", "400", "400"), ("written_off", "900", "900")],
         [("2026-03-07T09:00", "credit", "refund", "70.00")]),  # a credit that is not a collection
        ("Delta", "0712000204", None, None, [("active", "100", "100")], []),
        ("Epsilon", "0712000205", "customer_service", "brian", [("active", "0", "0")], []),
    ]
    ids: dict[str, int] = {}
    for name, phone, campaign, agent, loans, txns in world:
        customer = await api.customer(name, phone, agent=agent, campaign=campaign)
        ids[name] = customer["id"]
        for n, (status, balance, overdue) in enumerate(loans):
            await _post(api, f"/api/customers/{customer['id']}/loans", {
                "external_ref": f"{name}-L{n}", "product": "mkopo", "applied_amount": "5000", "principal": "5000",
                "balance": balance, "overdue_amount": overdue, "status": status,
                "start_date": "2026-01-01", "end_date": "2026-12-31"})
        for n, (posted, direction, kind, amount) in enumerate(txns):
            await _post(api, f"/api/customers/{customer['id']}/transactions", {
                "external_ref": f"{name}-T{n}", "posted_at": posted + ":00Z", "direction": direction,
                "kind": kind, "amount": amount})
    for created, status in [("2026-03-03T08:00", PromiseStatus.KEPT), ("2026-03-04T08:00", PromiseStatus.KEPT),
                            ("2026-03-05T08:00", PromiseStatus.BROKEN), ("2026-03-31T20:00", PromiseStatus.PENDING),
                            ("2026-02-10T08:00", PromiseStatus.KEPT)]:  # February: out
        await _promise(api, ids["Alpha"], "amina", created, status)
    await _promise(api, ids["Gamma"], "amina", "2026-03-09T08:00", PromiseStatus.CANCELLED)
    await _promise(api, ids["Beta"], "brian", "2026-03-12T08:00", PromiseStatus.PENDING)
    await _calls(api)


async def test_agent_activity_and_collection_figures(api: ApiWorld) -> None:
    await _world(api)
    assert await _report(api, "/api/reports/agents") == [
        {"agent": "amina", "calls": 3, "talk_seconds": 420, "promises": 5, "kept_rate": 0.6667},
        {"agent": "brian", "calls": 1, "talk_seconds": 60, "promises": 1, "kept_rate": None},
        {"agent": "otieno", "calls": 0, "talk_seconds": 0, "promises": 0, "kept_rate": None},  # idle agent listed
        {"agent": "sup", "calls": 1, "talk_seconds": 45, "promises": 0, "kept_rate": None},  # took a call
    ]
    assert await _report(api, "/api/reports/collections") == [
        {"group": "(no campaign)", "outstanding": "100.00", "overdue": "100.00", "collected": "0.00",
         "efficiency": 0.0},
        {"group": "collections", "outstanding": "3500.50", "overdue": "200.25", "collected": "299.75",
         "efficiency": 0.5995},
        {"group": "customer_service", "outstanding": "0.00", "overdue": "0.00", "collected": "0.00",
         "efficiency": None},
        {"group": "sales", "outstanding": "400.00", "overdue": "400.00", "collected": "0.00", "efficiency": 0.0},
    ]
    assert await _report(api, "/api/reports/collections", by="agent") == [
        {"group": "(unassigned)", "outstanding": "100.00", "overdue": "100.00", "collected": "0.00",
         "efficiency": 0.0},
        {"group": "amina", "outstanding": "1400.50", "overdue": "600.25", "collected": "199.75",
         "efficiency": 0.2497},
        # nothing overdue: no efficiency to show (not 100%), whatever came in
        {"group": "brian", "outstanding": "2500.00", "overdue": "0.00", "collected": "100.00", "efficiency": None},
    ]
    # April: only the calls and the repayment on its first local day; debt is a snapshot, the same
    april = {"from": "2026-04-01", "to": "2026-04-30"}
    response = await api.client.get("/api/reports/agents", params=april, headers=api.as_("admin"))
    assert [(i["agent"], i["calls"], i["talk_seconds"], i["promises"]) for i in response.json()["items"]] == [
        ("amina", 1, 999, 0), ("brian", 0, 0, 0), ("otieno", 0, 0, 0)]
    response = await api.client.get("/api/reports/collections", params=april, headers=api.as_("admin"))
    assert {i["group"]: (i["outstanding"], i["collected"]) for i in response.json()["items"]} == {
        "(no campaign)": ("100.00", "0.00"), "collections": ("3500.50", "300.00"),
        "customer_service": ("0.00", "0.00"), "sales": ("400.00", "0.00")}


async def test_csv_exports(api: ApiWorld) -> None:
    await _world(api)
    agents = await api.client.get("/api/reports/agents", params={**MARCH, "format": "csv"}, headers=api.as_("sup"))
    assert agents.status_code == 200, agents.text
    assert agents.headers["content-type"].startswith("text/csv")
    assert 'filename="agents-2026-03-01-2026-03-31.csv"' in agents.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(agents.text)))
    assert rows == [["agent", "calls", "talk_seconds", "promises", "kept_rate"],
                    ["amina", "3", "420", "5", "0.6667"], ["brian", "1", "60", "1", ""],
                    ["otieno", "0", "0", "0", ""], ["sup", "1", "45", "0", ""]]
    collections = await api.client.get("/api/reports/collections", params={**MARCH, "format": "csv", "by": "agent"},
                                       headers=api.as_("admin"))
    assert collections.status_code == 200, collections.text
    assert 'filename="collections-by-agent-2026-03-01-2026-03-31.csv"' in collections.headers["content-disposition"]
    assert list(csv.DictReader(io.StringIO(collections.text))) == [
        {"group": "(unassigned)", "outstanding": "100.00", "overdue": "100.00", "collected": "0.00",
         "efficiency": "0.0"},
        {"group": "amina", "outstanding": "1400.50", "overdue": "600.25", "collected": "199.75",
         "efficiency": "0.2497"},
        {"group": "brian", "outstanding": "2500.00", "overdue": "0.00", "collected": "100.00", "efficiency": ""},
    ]


async def test_empty_database_and_default_window(api: ApiWorld) -> None:
    """No data: every active agent with zeros, no collection groups; no dates means the last 30 days."""
    agents = await api.client.get("/api/reports/agents", headers=api.as_("sup"))
    assert agents.status_code == 200, agents.text
    body = agents.json()
    assert (datetime.fromisoformat(body["to"]) - datetime.fromisoformat(body["from"])).days == 30
    assert body["items"] == [{"agent": name, "calls": 0, "talk_seconds": 0, "promises": 0, "kept_rate": None}
                             for name in ("amina", "brian")]
    collections = await api.client.get("/api/reports/collections", headers=api.as_("sup"))
    assert collections.status_code == 200, collections.text
    assert collections.json()["items"] == []


async def test_agents_are_refused_and_bad_input_is_422(api: ApiWorld) -> None:
    for path in ("/api/reports/agents", "/api/reports/collections"):
        assert_error_shape(await api.client.get(path, params=MARCH, headers=api.as_("amina")), 403,
                           "permission-denied")
        assert_error_shape(await api.client.get(path, params=MARCH), 401)
        bad_day = await api.client.get(path, params={"from": "2026-02-30", "to": "2026-03-31"},
                                       headers=api.as_("sup"))
        assert "from" in assert_error_shape(bad_day, 422)["details"]
        not_a_date = await api.client.get(path, params={"from": "2026-03-01", "to": "yesterday"},
                                          headers=api.as_("sup"))
        assert "to" in assert_error_shape(not_a_date, 422)["details"]
        backwards = await api.client.get(path, params={"from": "2026-04-01", "to": "2026-03-01"},
                                         headers=api.as_("sup"))
        assert "from" in assert_error_shape(backwards, 422, "validation-failed")["details"]
        wrong_format = await api.client.get(path, params={**MARCH, "format": "xlsx"}, headers=api.as_("sup"))
        assert "format" in assert_error_shape(wrong_format, 422)["details"]
    wrong_by = await api.client.get("/api/reports/collections", params={**MARCH, "by": "region"},
                                    headers=api.as_("sup"))
    assert "by" in assert_error_shape(wrong_by, 422)["details"]
