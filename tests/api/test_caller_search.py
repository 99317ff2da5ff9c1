"""Issue 15, item 2: an inbound caller who is not the agent's own customer can be identified.

On a live inbound call the incoming search covers every customer and shows only the minimum
(name, masked phone, client ID, last 3 characters of the government ID); picking one grants
call-scoped access, audited. Outside a call the search is refused and the agent's own search stays
limited to their customers; the grant answers another agent's customer exactly as a missing one.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select

from store.models import AgentPresence, AuditEntry, CallRecord, utcnow
from tests.api.conftest import ApiWorld, assert_error_shape

CALL = "default/1765000000.42"


async def _call(api: ApiWorld, *, agent: str | None = "amina", direction: str = "inbound",
                ended_ago: timedelta | None = None, call_id: str = CALL) -> None:
    now = utcnow()
    async with api.services.database.session() as session:
        session.add(CallRecord(call_id=call_id, direction=direction, caller_number="+254722333678",
                               agent_id=api.users[agent].id if agent else None, offered_at=now - timedelta(minutes=3),
                               ended_at=None if ended_ago is None else now - ended_ago))


async def _presence(api: ApiWorld, user: str, state: str, call_id: str | None) -> None:
    async with api.services.database.session() as session:
        row = await session.get(AgentPresence, api.users[user].id)
        if row is None:
            session.add(AgentPresence(user_id=api.users[user].id, state=state, call_id=call_id))
        else:
            row.state, row.call_id = state, call_id


async def _otieno(api: ApiWorld) -> int:
    made = await api.customer("Otieno Odhiambo", "0722333678", agent="brian", client_id="C-000777",
                              government_id="23456789")
    return int(made["id"])


async def _search(api: ApiWorld, q: str, call_id: str = CALL, user: str = "amina") -> httpx.Response:
    return await api.client.get("/api/caller-search", params={"call_id": call_id, "q": q}, headers=api.as_(user))


async def _audit(api: ApiWorld, action: str) -> list[AuditEntry]:
    async with api.services.database.session() as session:
        return list((await session.scalars(select(AuditEntry).where(
            AuditEntry.action == action, AuditEntry.actor_id == api.users["amina"].id)
            .order_by(AuditEntry.id))).all())


async def test_outside_a_call_the_search_stays_with_the_agents_customers(api: ApiWorld) -> None:
    cid = await _otieno(api)
    refused = assert_error_shape(await _search(api, "Otieno"), 409, "conflict")
    assert "own customers" in refused["message"] and refused["details"] == {"call_id": "not a live inbound call of yours"}
    own = await api.client.get("/api/customers", params={"q": "Otieno"}, headers=api.as_("amina"))
    assert own.status_code == 200 and own.json()["items"] == []
    grant = await api.client.post("/api/caller-search/grant", json={"call_id": CALL, "customer_id": cid},
                                  headers=api.as_("amina"))
    hidden = assert_error_shape(grant, 404, "not-found")
    missing = assert_error_shape(await api.client.post("/api/caller-search/grant", json={
        "call_id": CALL, "customer_id": 999999}, headers=api.as_("amina")), 404, "not-found")
    assert hidden["message"].replace(str(cid), "N") == missing["message"].replace("999999", "N")
    assert_error_shape(await api.client.get(f"/api/customers/{cid}", headers=api.as_("amina")), 404)
    assert await _audit(api, "call_scoped_grant") == []


async def test_on_a_live_inbound_call_any_caller_is_found_with_the_minimum_and_opened(api: ApiWorld) -> None:
    cid = await _otieno(api)
    await _call(api)
    found = await _search(api, "otieno")
    assert found.status_code == 200, found.text
    assert found.json() == {"call_id": CALL, "items": [{
        "customer_id": cid, "name": "Otieno Odhiambo", "phone_masked": "+254******678", "client_id": "C-000777",
        "id_last3": "789"}]}
    by_phone = await _search(api, "0722 333 678")
    assert [c["customer_id"] for c in by_phone.json()["items"]] == [cid]
    [searched, _] = await _audit(api, "caller_search")
    assert searched.details["call_id"] == CALL and searched.details["found"] == [cid]
    # found is not opened: the record stays hidden until the agent picks the caller
    assert_error_shape(await api.client.get(f"/api/customers/{cid}", headers=api.as_("amina")), 404)
    picked = await api.client.post("/api/caller-search/grant", json={"call_id": CALL, "customer_id": cid},
                                   headers=api.as_("amina"))
    assert picked.status_code == 200, picked.text
    assert picked.json()["access"] == "call" and picked.json()["until"] > utcnow().isoformat()
    opened = await api.client.get(f"/api/customers/{cid}", headers=api.as_("amina"))
    assert opened.status_code == 200 and opened.json()["access"] == "call"
    [granted] = await _audit(api, "call_scoped_grant")
    assert granted.customer_id == cid and granted.details == {"call_id": CALL, "via": "incoming_search"}
    [read] = await _audit(api, "call_scoped_read")
    assert read.details["call_id"] == CALL
    # brian's own customer stays out of amina's own search, call or not
    own = await api.client.get("/api/customers", params={"q": "Otieno"}, headers=api.as_("amina"))
    assert own.json()["items"] == []


async def test_which_calls_count_as_live(api: ApiWorld) -> None:
    await _otieno(api)
    # ringing on the agent's phone (the call log has not named the agent yet): live
    await _call(api, agent=None)
    await _presence(api, "amina", "ringing", CALL)
    assert (await _search(api, "Otieno")).status_code == 200
    # another agent's call: not amina's
    await _presence(api, "amina", "ready", None)
    await _call(api, agent="brian", call_id="default/2.1")
    assert_error_shape(await _search(api, "Otieno", "default/2.1"), 409)
    # an outbound call, even while on it: not an inbound caller to identify
    await _call(api, direction="outbound", call_id="dialer/3.1")
    await _presence(api, "amina", "on_call", "dialer/3.1")
    assert_error_shape(await _search(api, "Otieno", "dialer/3.1"), 409)
    # ended: the panel stays open for the wrap-up time (120 s in these settings), not after
    await _presence(api, "amina", "ready", None)
    wrapup = api.settings.wrapup_seconds
    await _call(api, ended_ago=timedelta(seconds=max(wrapup - 60, 1)), call_id="default/4.1")
    await _call(api, ended_ago=timedelta(seconds=wrapup + 60), call_id="default/5.1")
    assert (await _search(api, "Otieno", "default/4.1")).status_code == 200
    assert_error_shape(await _search(api, "Otieno", "default/5.1"), 409)
    # a call id that was never seen
    assert_error_shape(await _search(api, "Otieno", "default/9.9"), 409)


async def test_bad_search_input_is_422(api: ApiWorld) -> None:
    await _call(api)
    for params in ({"call_id": CALL, "q": "ab"}, {"call_id": CALL}, {"q": "Otieno"},
                   {"call_id": "bad id with spaces", "q": "Otieno"}):
        response = await api.client.get("/api/caller-search", params=params, headers=api.as_("amina"))
        assert_error_shape(response, 422, "validation-failed")
    assert_error_shape(await api.client.post("/api/caller-search/grant", json={"call_id": CALL},
                                             headers=api.as_("amina")), 422)


async def test_own_customer_and_supervisor_need_no_grant(api: ApiWorld) -> None:
    mine = (await api.customer("Amina Wanjiru", "0712000001"))["id"]
    other = await _otieno(api)
    await _call(api)
    own = await api.client.post("/api/caller-search/grant", json={"call_id": CALL, "customer_id": mine},
                                headers=api.as_("amina"))
    assert own.json() == {"customer_id": mine, "call_id": CALL, "access": "assigned", "until": None}
    sup = await api.client.post("/api/caller-search/grant", json={"call_id": CALL, "customer_id": other},
                                headers=api.as_("sup"))
    assert sup.json()["access"] == "role"
    assert (await _search(api, "Otieno", user="sup")).status_code == 200
