"""The SLA report (per queue and local day or hour) and agent activity (per agent and day) through
the API on SQLite and PostgreSQL, against figures worked out by hand."""

from __future__ import annotations

import csv
import io
from typing import Any

from store.models import AgentStateEntry, CallRecord, PromiseStatus, PromiseToPay
from tests.api.conftest import ApiWorld, assert_error_shape
from tests.supervision.conftest import at, get_json
from tests.supervision.sla_data import EXPECTED_DAYS, EXPECTED_TOTALS, THRESHOLDS, seed_sla

RANGE = {"from": "2026-11-23", "to": "2026-11-25"}


def _strip(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "threshold_seconds"} for row in rows]


async def test_sla_per_queue_and_day_matches_the_hand_count(api: ApiWorld) -> None:
    await seed_sla(api.services.database)
    body = await get_json(api, "/api/reports/sla", **RANGE)
    assert (body["by"], body["short_abandon_seconds"]) == ("day", 5)
    assert _strip(body["items"]) == EXPECTED_DAYS
    assert _strip(body["totals"]) == EXPECTED_TOTALS
    assert {r["queue"]: r["threshold_seconds"] for r in body["totals"]} == THRESHOLDS
    one = await get_json(api, "/api/reports/sla", queue="customer_service", **RANGE)
    assert _strip(one["items"]) == [EXPECTED_DAYS[-1]]
    exported = await api.client.get("/api/reports/sla", params={**RANGE, "format": "csv"}, headers=api.as_("sup"))
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["queue"], r["period"], r["service_level"]) for r in rows] == [
        ("collections", "2026-11-23", "0.5"), ("collections", "2026-11-24", "0.3333"),
        ("collections", "2026-11-25", "0.6667"), ("customer_service", "2026-11-24", "0.5")]


async def test_sla_per_hour(api: ApiWorld) -> None:
    await seed_sla(api.services.database)
    body = await get_json(api, "/api/reports/sla", by="hour", queue="collections",
                          **{"from": "2026-11-23", "to": "2026-11-23"})
    assert [(r["period"], r["offered"], r["answered_within"], r["abandoned"], r["short_abandoned"],
             r["service_level"]) for r in body["items"]] == [
        ("2026-11-23T09:00", 2, 2, 0, 0, 1.0),  # 06:00 and 06:30 UTC
        ("2026-11-23T10:00", 3, 0, 1, 1, 0.0)]  # 07:10, 07:20 (short), 07:40
    too_long = await api.client.get("/api/reports/sla", params={"by": "hour", "from": "2026-01-01",
                                                                "to": "2026-03-01"}, headers=api.as_("sup"))
    assert "to" in assert_error_shape(too_long, 422)["details"]
    assert_error_shape(await api.client.get("/api/reports/sla", headers=api.as_("amina")), 403)


async def test_agent_activity_per_agent_and_day(api: ApiWorld) -> None:
    """amina on 30 November (Nairobi, UTC+3): ready 07:00-08:00 local, a call rings 08:00:00 for 10 s,
    talk to 08:05:10, wrap-up to 08:06:10, ready to 09:00, lunch until 10:00, ready until 23:30 then
    logged out at 01:00 on 1 December (the night is split at midnight)."""
    amina, brian = api.users["amina"].id, api.users["brian"].id
    cid = (await api.customer())["id"]
    timeline = [("2026-11-30T04:00:00", "ready", None), ("2026-11-30T05:00:00", "ringing", None),
                ("2026-11-30T05:00:10", "on_call", None), ("2026-11-30T05:05:10", "wrap_up", "wrap_up"),
                ("2026-11-30T05:06:10", "ready", None), ("2026-11-30T06:00:00", "paused", "lunch"),
                ("2026-11-30T07:00:00", "ready", None), ("2026-11-30T20:30:00", "paused", "break"),
                ("2026-11-30T22:00:00", "logged_out", None)]
    async with api.services.database.session() as session:
        session.add(AgentStateEntry(user_id=brian, at=at("2026-11-29T10:00:00"), state="paused", reason="training"))
        session.add_all([AgentStateEntry(user_id=amina, at=at(t), state=s, reason=r) for t, s, r in timeline])
        session.add(CallRecord(call_id="act-1", direction="inbound", agent_id=amina, offered_at=at("2026-11-30T04:59:50"),
                               answered_at=at("2026-11-30T05:00:10"), talk_seconds=300))
        session.add(CallRecord(call_id="act-2", direction="inbound", agent_id=amina,
                               offered_at=at("2026-11-30T06:00:00")))  # not answered: not counted
        for status in (PromiseStatus.KEPT, PromiseStatus.BROKEN, PromiseStatus.KEPT, PromiseStatus.PENDING):
            session.add(PromiseToPay(customer_id=cid, amount=100, due_date=at("2026-12-05T00:00:00").date(),
                                     created_by_id=amina, status=status, created_at=at("2026-11-30T05:06:00")))
    body = await get_json(api, "/api/reports/activity", **{"from": "2026-11-30", "to": "2026-12-01"})
    rows = {(r["agent"], r["day"]): r for r in body["items"]}
    day1 = rows[("amina", "2026-11-30")]
    ready = 3600 + (3600 - 370) + (13.5 * 3600)  # 07:00-08:00, 08:06:10-09:00, 10:00-23:30
    busy = 10 + 300 + 60
    assert day1 == {
        "agent": "amina", "day": "2026-11-30", "logged_in_seconds": round(ready + busy + 3600 + 1800),
        "ready_seconds": round(ready), "paused_seconds": 3600 + 1800, "paused_by_code": {"break": 1800, "lunch": 3600},
        "ringing_seconds": 10, "talk_seconds": 300, "wrap_up_seconds": 60, "calls": 1, "promises": 4,
        "kept_rate": 0.6667, "occupancy": round(busy / (busy + ready), 4)}
    day2 = rows[("amina", "2026-12-01")]  # the break ran past midnight until 01:00
    assert (day2["logged_in_seconds"], day2["paused_by_code"], day2["calls"]) == (3600, {"break": 3600}, 0)
    assert day2["occupancy"] is None
    brian_days = {d for a, d in rows if a == "brian"}
    assert brian_days == {"2026-11-30", "2026-12-01"}  # paused since the 29th: the range starts paused
    assert rows[("brian", "2026-11-30")]["paused_by_code"] == {"training": 86400}
    only = await get_json(api, "/api/reports/activity", agent="brian", **{"from": "2026-11-30", "to": "2026-11-30"})
    assert [(r["agent"], r["day"]) for r in only["items"]] == [("brian", "2026-11-30")]
    exported = await api.client.get("/api/reports/activity", params={"from": "2026-11-30", "to": "2026-11-30",
                                                                     "format": "csv"}, headers=api.as_("sup"))
    first = next(csv.DictReader(io.StringIO(exported.text)))
    assert (first["agent"], first["paused_by_code"], first["kept_rate"]) == ("amina", "break=1800; lunch=3600",
                                                                             "0.6667")
