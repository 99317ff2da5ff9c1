"""Note search across customers (``GET /api/notes``) on SQLite and PostgreSQL, CSV, what agents see;
and the fixed "notes by type" report (one kind of category: the purpose, with its label)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from store.models import Interaction
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.supervision.conftest import at, get_json


def _in_a_month() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0).isoformat()


async def _note(api: ApiWorld, cid: int, user: str, **body: Any) -> int:
    response = await api.client.post(f"/api/customers/{cid}/interactions", json={"channel": "note", **body},
                                     headers=api.as_(user))
    assert response.status_code == 201, response.text
    note_id: int = response.json()["id"]
    return note_id


async def _world(api: ApiWorld) -> dict[str, int]:
    alpha = (await api.customer("Alpha Achieng", "0712000501"))["id"]
    beta = (await api.customer("Beta Bett", "0712000502", agent="brian"))["id"]
    ids = {
        "solar": await _note(api, alpha, "amina", purpose="sales", subject="Solar upgrade", detail="Wants a bigger PANEL",
                             call_outcome="successful", customer_mood="happy"),
        "mpesa": await _note(api, alpha, "amina", purpose="credit_control", subject="M-Pesa delay",
                             detail="Payment 50% late", call_outcome="follow_up_needed", customer_mood="frustrated",
                             follow_up={"assignee": "amina", "due_at": _in_a_month()}),
        "panel": await _note(api, beta, "brian", purpose="customer_service", subject="Broken panel",
                             comments="Technician visit needed for the panel", customer_mood="angry"),
        "plain": await _note(api, beta, "brian", subject="Left a voicemail", activity_type=None),
    }
    async with api.services.database.session() as session:
        await session.execute(update(Interaction).where(Interaction.id == ids["plain"])
                              .values(created_at=at("2026-01-10T09:00:00")))
    return ids


async def _found(api: ApiWorld, user: str = "sup", **params: Any) -> list[int]:
    body = await get_json(api, "/api/notes", user, **params)
    return [i["id"] for i in body["items"]]


async def test_search_by_every_field(api: ApiWorld) -> None:
    n = await _world(api)
    assert await _found(api) == [n["panel"], n["mpesa"], n["solar"], n["plain"]]
    assert await _found(api, purpose="credit_control") == [n["mpesa"]]
    assert await _found(api, operator="brian") == [n["panel"], n["plain"]]
    assert await _found(api, outcome="successful") == [n["solar"]]
    assert await _found(api, mood="angry") == [n["panel"]]
    assert await _found(api, state="open") == [n["mpesa"]]
    assert await _found(api, state="complete") == [n["panel"], n["solar"], n["plain"]]
    assert await _found(api, q="panel") == [n["panel"], n["solar"]]  # subject, detail or comments, any case
    assert await _found(api, q="panel broken") == [n["panel"]]  # every word
    assert await _found(api, q="50%") == [n["mpesa"]]  # % is a character, not a wildcard
    assert await _found(api, q="5_%") == []
    assert await _found(api, channel="note", purpose="sales") == [n["solar"]]
    today = datetime.now(UTC).date()
    assert await _found(api, **{"from": "2026-01-10", "to": "2026-01-10"}) == [n["plain"]]
    assert await _found(api, **{"from": (today - timedelta(days=1)).isoformat()}) == [n["panel"], n["mpesa"],
                                                                                      n["solar"]]
    page = await get_json(api, "/api/notes", limit=2)
    assert page["more"] is True and len(page["items"]) == 2
    assert page["items"][0]["customer_name"] == "Beta Bett" and page["items"][0]["operator"] == "brian"
    last = await get_json(api, "/api/notes", limit=2, offset=2)
    assert last["more"] is False and [i["id"] for i in last["items"]] == [n["solar"], n["plain"]]


async def test_agents_search_their_own_customers(api: ApiWorld) -> None:
    n = await _world(api)
    assert await _found(api, "amina") == [n["mpesa"], n["solar"]]
    assert await _found(api, "brian", q="panel") == [n["panel"]]
    assert await _found(api, "brian", operator="amina") == []


async def test_csv_and_bad_input(api: ApiWorld) -> None:
    n = await _world(api)
    response = await api.client.get("/api/notes", params={"format": "csv", "q": "panel"}, headers=api.as_("sup"))
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(int(r["id"]), r["customer_name"], r["purpose"]) for r in rows] == [
        (n["panel"], "Beta Bett", "customer_service"), (n["solar"], "Alpha Achieng", "sales")]
    assert_error_shape(await api.client.get("/api/notes", params={"state": "half"}, headers=api.as_("sup")), 422)
    assert_error_shape(await api.client.get("/api/notes", params={"from": "2026-02-01", "to": "2026-01-01"},
                                            headers=api.as_("sup")), 422)


async def test_notes_by_type_are_purposes_with_their_labels(api: ApiWorld) -> None:
    n = await _world(api)
    today = datetime.now(UTC).date()
    body = await get_json(api, "/api/reports/notes", by="type", **{"from": "2026-01-01",
                                                                   "to": (today + timedelta(days=1)).isoformat()})
    assert {(g["key"], g["label"], g["count"]) for g in body["groups"]} == {
        ("sales", "Sales", 1), ("credit_control", "Credit control", 1), ("customer_service", "Customer service", 1),
        ("none", "No purpose", 1)}
    only = await get_json(api, "/api/reports/notes", by="type", key="none", **{"from": "2026-01-01"})
    assert [note["id"] for g in only["groups"] for note in g["notes"]] == [n["plain"]]
