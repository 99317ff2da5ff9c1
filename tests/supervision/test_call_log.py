"""The call log API on SQLite and PostgreSQL: every filter, keyset pages, what a row shows (times,
wait, talk and wrap-up, the agents it rang, the disposition and note, the campaign), agents seeing
their own calls, CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from store.models import AgentStateEntry, CallRecord, CallTask, Campaign, DialAttempt, Interaction
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.supervision.conftest import at, get_json


async def _world(api: ApiWorld) -> dict[str, int]:
    amina, brian = api.users["amina"].id, api.users["brian"].id
    wanjiku = (await api.customer("Wanjiku Kamau", "0712000401"))["id"]
    otieno = (await api.customer("Otieno Baraka", "0712000402", agent="brian"))["id"]
    async with api.services.database.session() as session:
        collections = Campaign(code="collections", name="Collections", queue="collections")
        sales = Campaign(code="sales", name="Sales", queue="sales", carrier="twilio")
        session.add_all([collections, sales])
        await session.flush()
        task = CallTask(customer_id=otieno, campaign_id=sales.id, reason="new_lead")
        session.add(task)
        await session.flush()
        session.add(DialAttempt(id="sb-1", task_id=task.id, customer_id=otieno, agent_id=brian,
                                number_e164="+254712000402"))
        session.add_all([
            CallRecord(call_id="pbx/c1", direction="inbound", queue="collections", agent_id=amina, customer_id=wanjiku,
                       offered_at=at("2026-11-30T08:00:00"), queued_at=at("2026-11-30T08:00:00"),
                       answered_at=at("2026-11-30T08:00:15"), ended_at=at("2026-11-30T08:05:00"), hold_seconds=15,
                       talk_seconds=285, cause="normal", caller_number="+254712000401"),
            CallRecord(call_id="pbx/c2", direction="inbound", queue="collections", offered_at=at("2026-11-30T09:00:00"),
                       ended_at=at("2026-11-30T09:00:03"), hold_seconds=3, abandoned=True, cause="abandoned"),
            CallRecord(call_id="sb-1", direction="outbound", carrier="twilio", attempt_id="sb-1", agent_id=brian,
                       customer_id=otieno, offered_at=at("2026-11-30T10:00:00"),
                       answered_at=at("2026-11-30T10:00:20"), ended_at=at("2026-11-30T10:02:00"), talk_seconds=100),
            CallRecord(call_id="pbx/c4", direction="inbound", queue="customer_service", agent_id=brian,
                       offered_at=at("2026-12-01T07:00:00"), answered_at=at("2026-12-01T07:00:30"),
                       ended_at=at("2026-12-01T07:01:00"), talk_seconds=30),
            CallRecord(call_id="pbx/c5", direction="outbound", agent_id=amina, offered_at=at("2026-12-01T22:00:00"),
                       ended_at=at("2026-12-01T22:00:20"), cause="busy"),
        ])
        session.add_all([
            AgentStateEntry(user_id=brian, at=at("2026-11-30T08:00:05"), state="ringing", call_id="pbx/c1"),
            AgentStateEntry(user_id=brian, at=at("2026-11-30T08:00:14"), state="ready"),
            AgentStateEntry(user_id=amina, at=at("2026-11-30T08:00:14"), state="ringing", call_id="pbx/c1"),
            AgentStateEntry(user_id=amina, at=at("2026-11-30T08:00:15"), state="on_call", call_id="pbx/c1"),
            AgentStateEntry(user_id=amina, at=at("2026-11-30T08:05:00"), state="wrap_up", reason="wrap_up",
                            call_id="pbx/c1"),
            AgentStateEntry(user_id=amina, at=at("2026-11-30T08:05:40"), state="ready"),
        ])
        note = Interaction(customer_id=wanjiku, channel="call", operator_id=amina, call_id="pbx/c1",
                           created_at=at("2026-11-30T08:05:40"), disposition_status="contacted",
                           disposition_reason="call_back", disposition_resolution="callback_scheduled")
        session.add(note)
        await session.flush()
        return {"wanjiku": wanjiku, "otieno": otieno, "note": note.id}


async def _ids(api: ApiWorld, user: str = "sup", **params: Any) -> list[str]:
    body = await get_json(api, "/api/calls", user, **params)
    return [i["call_id"] for i in body["items"]]


async def test_filters_and_what_a_row_shows(api: ApiWorld) -> None:
    ids = await _world(api)
    body = await get_json(api, "/api/calls")
    assert [i["call_id"] for i in body["items"]] == ["pbx/c5", "pbx/c4", "sb-1", "pbx/c2", "pbx/c1"]
    c1 = body["items"][-1]
    assert c1 == {
        "call_id": "pbx/c1", "direction": "inbound", "carrier": "asterisk", "server": None, "queue": "collections",
        "campaign": "collections", "caller_number": "+254712000401", "dialed_number": None,
        "offered_at": "2026-11-30T08:00:00+00:00", "answered_at": "2026-11-30T08:00:15+00:00",
        "ended_at": "2026-11-30T08:05:00+00:00", "wait_seconds": 15, "talk_seconds": 285, "wrapup_seconds": 40,
        "outcome": "answered", "cause": "normal", "agent": "amina", "rang": ["brian", "amina"],
        "customer_id": ids["wanjiku"], "customer_name": "Wanjiku Kamau", "customer_url": f"/customers/{ids['wanjiku']}",
        "disposition": {"status": "contacted", "reason": "call_back", "resolution": "callback_scheduled"},
        "note_id": ids["note"], "note_url": f"/customers/{ids['wanjiku']}#note-{ids['note']}",
        "actions": [], "recordings": []}
    sb1 = body["items"][2]
    assert (sb1["campaign"], sb1["wait_seconds"], sb1["rang"], sb1["customer_name"]) == ("sales", 20, [],
                                                                                         "Otieno Baraka")
    assert body["next_cursor"] is None
    assert await _ids(api, agent="amina") == ["pbx/c5", "pbx/c1"]
    assert await _ids(api, queue="collections") == ["pbx/c2", "pbx/c1"]
    assert await _ids(api, campaign="sales") == ["sb-1"]
    assert await _ids(api, campaign="collections") == ["pbx/c2", "pbx/c1"]
    assert await _ids(api, direction="outbound") == ["pbx/c5", "sb-1"]
    assert await _ids(api, outcome="answered") == ["pbx/c4", "sb-1", "pbx/c1"]
    assert await _ids(api, outcome="abandoned") == ["pbx/c2"]
    assert await _ids(api, outcome="missed") == ["pbx/c5"]
    assert await _ids(api, customer=ids["otieno"]) == ["sb-1"]
    # local (Nairobi) days: 22:00 UTC on 1 December is 2 December
    assert await _ids(api, **{"from": "2026-12-01", "to": "2026-12-01"}) == ["pbx/c4"]
    assert await _ids(api, **{"from": "2026-12-02"}) == ["pbx/c5"]
    assert await _ids(api, agent="brian", **{"to": "2026-11-30"}) == ["sb-1"]
    assert_error_shape(await api.client.get("/api/calls", params={"campaign": "nope"}, headers=api.as_("sup")), 422)
    assert_error_shape(await api.client.get("/api/calls", params={"agent": "ghost"}, headers=api.as_("sup")), 422)
    assert_error_shape(await api.client.get("/api/calls", params={"outcome": "lost"}, headers=api.as_("sup")), 422)


async def test_pages_follow_the_cursor(api: ApiWorld) -> None:
    await _world(api)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = await get_json(api, "/api/calls", **params)
        seen += [i["call_id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == ["pbx/c5", "pbx/c4", "sb-1", "pbx/c2", "pbx/c1"]
    outbound = await get_json(api, "/api/calls", direction="outbound", limit=1)
    rest = await get_json(api, "/api/calls", direction="outbound", limit=1, cursor=outbound["next_cursor"])
    assert [i["call_id"] for i in rest["items"]] == ["sb-1"] and rest["next_cursor"] is None
    bad = await api.client.get("/api/calls", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=api.as_("sup"))
    assert "cursor" in assert_error_shape(bad, 422)["details"]


async def test_agents_see_their_own_calls(api: ApiWorld) -> None:
    await _world(api)
    assert await _ids(api, "amina") == ["pbx/c5", "pbx/c1"]
    assert await _ids(api, "amina", agent="amina") == ["pbx/c5", "pbx/c1"]
    assert await _ids(api, "brian", direction="inbound") == ["pbx/c4"]
    refused = await api.client.get("/api/calls", params={"agent": "brian"}, headers=api.as_("amina"))
    assert_error_shape(refused, 403, "permission-denied")


async def test_csv_export(api: ApiWorld) -> None:
    await _world(api)
    response = await api.client.get("/api/calls", params={"format": "csv", "queue": "collections"},
                                    headers=api.as_("sup"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["call_id"], r["outcome"], r["wait_seconds"], r["rang"], r["disposition_reason"]) for r in rows] == [
        ("pbx/c2", "abandoned", "3", "", ""), ("pbx/c1", "answered", "15", "brian; amina", "call_back")]
