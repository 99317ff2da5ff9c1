"""Interactions: validation against the disposition tree and lists, side effects, filters, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.events import InteractionSaved
from tests.api.conftest import ApiWorld, assert_error_shape, drain

SOON_DAY = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
SOON_TIME = (datetime.now(UTC) + timedelta(days=3)).isoformat()


async def _note(api: ApiWorld, cid: int, body: dict[str, Any], user: str = "amina") -> Any:
    return await api.client.post(f"/api/customers/{cid}/interactions", json=body, headers=api.as_(user))


@pytest.mark.parametrize(("body", "field"), [
    ({"disposition": {"status": "happy"}}, "disposition.status"),
    ({"disposition": {"status": "not_contacted", "reason": "promise_to_pay"}}, "disposition.reason"),
    ({"disposition": {"status": "contacted", "reason": "no_such_reason"}}, "disposition.reason"),
    ({"disposition": {"status": "contacted", "reason": "dispute", "resolution": "retry_later"},
      "comments": "x"}, "disposition.resolution"),
    ({"disposition": {"status": "contacted", "reason": "promise_to_pay"}, "promised_date": SOON_DAY},
     "promised_amount"),
    ({"disposition": {"status": "contacted", "reason": "promise_to_pay"}, "promised_amount": "10"},
     "promised_date"),
    ({"disposition": {"status": "contacted", "reason": "call_back"}}, "callback_at"),
    ({"disposition": {"status": "contacted"}}, "disposition.reason"),
    ({"call_status": "not_connected", "status_action": "spoke_to_customer"}, "status_action"),
    ({"call_status": "connected", "status_action": "spoke_to_customer", "party_response": "ro_will_visit"},
     "party_response"),
    ({"customer_mood": "ecstatic"}, "customer_mood"),
    ({"purpose": "gardening"}, "purpose"),
    ({"client_status": "vip"}, "client_status"),
    ({"message_template": "nope", "send_message": True}, "template"),
    ({"send_message": True}, "message_template"),
    ({"activity_type": "Danced"}, "disposition"),
    ({"reason_code": "not_a_reason"}, "reason"),
    ({"contact_id": 999999}, "contact_id"),
    ({"follow_up": {"assignee": "ghost", "due_at": SOON_TIME}}, "follow_up.assignee"),
    ({"follow_up": {"assignee": "sup", "due_at": "2030-01-01T09:00:00"}}, "follow_up.due_at"),
    ({"channel": "pigeon"}, "channel"),
    ({"unknown_field": 1}, "unknown_field"),
])
async def test_invalid_notes_are_422_naming_the_field(api: ApiWorld, body: dict[str, Any], field: str) -> None:
    cid = (await api.customer())["id"]
    response = await _note(api, cid, body)
    details = assert_error_shape(response, 422, "validation-failed")["details"]
    assert field in details, details
    listed = await api.client.get(f"/api/customers/{cid}/interactions", headers=api.as_("amina"))
    assert listed.json()["items"] == []


async def test_call_back_and_follow_up_create_tasks_in_the_right_lists(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    now = datetime.now(UTC)
    callback = await _note(api, cid, {"disposition": {"status": "contacted", "reason": "call_back"},
                                      "callback_at": (now + timedelta(minutes=30)).isoformat(),
                                      "comments": "busy in a meeting", "call_id": "pbx/1.1"})
    assert callback.status_code == 201, callback.text
    follow = await _note(api, cid, {"channel": "note", "purpose": "customer_service", "subject": "Swap unit",
                                    "follow_up": {"assignee": "brian", "due_at": (now - timedelta(hours=1))
                                                  .isoformat(), "instructions": "book technician"}})
    assert follow.status_code == 201 and follow.json()["complete"] is False
    mine = (await api.client.get("/api/tasks", params={"due": "all"}, headers=api.as_("amina"))).json()
    assert [(t["kind"], t["instructions"]) for t in mine["items"]] == [("callback", "busy in a meeting")]
    brians = (await api.client.get("/api/tasks", params={"due": "all"}, headers=api.as_("brian"))).json()
    [task] = brians["items"]
    assert task["kind"] == "follow_up" and task["created_by"] == "amina"
    done = await api.client.patch(f"/api/tasks/{task['id']}", json={"done": True}, headers=api.as_("brian"))
    assert done.json()["done"] is True and done.json()["done_at"]
    assert (await api.client.get("/api/tasks", headers=api.as_("brian"))).json()["items"] == []
    # another agent cannot touch it; a supervisor can read brian's list
    other = await api.client.patch(f"/api/tasks/{mine['items'][0]['id']}", json={"done": True},
                                   headers=api.as_("brian"))
    assert_error_shape(other, 404)
    listed = await api.client.get("/api/tasks", params={"assignee": "brian", "include_done": "true"},
                                  headers=api.as_("sup"))
    assert [t["id"] for t in listed.json()["items"]] == [task["id"]]
    assert_error_shape(await api.client.get("/api/tasks", params={"assignee": "brian"},
                                            headers=api.as_("amina")), 403)
    events = [e for e in await drain(api, 2) if isinstance(e, InteractionSaved)]
    assert [(e.customer_id, e.operator, e.reason, e.call_id) for e in events] == [
        (cid, "amina", "call_back", "pbx/1.1"), (cid, "amina", None, None)]


async def test_due_today_lists_only_todays_tasks(api: ApiWorld) -> None:
    now = datetime.now(UTC)
    for when, text in [(now, "today"), (now + timedelta(days=2), "later"), (now - timedelta(days=2), "late")]:
        created = await api.client.post("/api/tasks", json={"due_at": when.isoformat(), "instructions": text},
                                        headers=api.as_("amina"))
        assert created.status_code == 201
    today = await api.client.get("/api/tasks", params={"due": "today"}, headers=api.as_("amina"))
    overdue = await api.client.get("/api/tasks", params={"due": "overdue"}, headers=api.as_("amina"))
    assert [t["instructions"] for t in today.json()["items"]] in (["today"], [])  # [] only across midnight
    assert [t["instructions"] for t in overdue.json()["items"]][:1] == ["late"]


async def test_list_filters_by_channel_type_and_dates(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    for body in [{"channel": "call", "activity_type": "No Answer"},
                 {"channel": "sms", "purpose": "credit_control", "subject": "reminder"},
                 {"channel": "note", "purpose": "sales", "subject": "upsell"}]:
        assert (await _note(api, cid, body)).status_code == 201
    base = f"/api/customers/{cid}/interactions"

    async def subjects(**params: str) -> list[Any]:
        response = await api.client.get(base, params=params, headers=api.as_("amina"))
        assert response.status_code == 200, response.text
        return [(i["channel"], i["subject"]) for i in response.json()["items"]]

    assert await subjects(channel="sms") == [("sms", "reminder")]
    assert await subjects(type="sales") == [("note", "upsell")]
    assert await subjects(type="No Answer") == [("call", None)]
    today = datetime.now(UTC).date()
    assert len(await subjects(**{"from": (today - timedelta(days=1)).isoformat(),
                                 "to": (today + timedelta(days=1)).isoformat()})) == 3
    assert await subjects(**{"from": (today + timedelta(days=2)).isoformat()}) == []
    assert await subjects(**{"to": (today - timedelta(days=2)).isoformat()}) == []
    assert "from" in assert_error_shape(await api.client.get(base, params={"from": "yesterday"},
                                                             headers=api.as_("amina")), 422)["details"]
