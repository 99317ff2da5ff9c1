"""Issue 15 item 9: each user has a time zone (default: the centre's); the pages show and take times in
it and name it; the customer's zone comes with the record and the pop, for their local time."""

from __future__ import annotations

import re

from sqlalchemy import select

from store.hot import CoreHotConnection
from store.models import AuditEntry
from store.repositories.caller_lookup import find_matches
from tests.api.conftest import ApiWorld, assert_error_shape


async def _page_zones(api: ApiWorld, who: str) -> tuple[str, str]:
    page = await api.client.get("/", cookies={"sb_token": api.tokens[who]})
    assert page.status_code == 200
    zone = re.search(r'data-timezone="([^"]+)"', page.text)
    centre = re.search(r'data-centre-timezone="([^"]+)"', page.text)
    assert zone is not None and centre is not None
    return zone.group(1), centre.group(1)


async def test_an_agent_sets_their_zone_and_their_pages_carry_it(api: ApiWorld) -> None:
    me = await api.client.get("/api/auth/me", headers=api.as_("amina"))
    assert me.json()["timezone"] is None  # the centre's until set
    assert await _page_zones(api, "amina") == ("Africa/Nairobi", "Africa/Nairobi")
    response = await api.client.put("/api/auth/me/timezone", json={"timezone": "America/New_York"},
                                    headers=api.as_("amina"))
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "America/New_York"
    assert (await api.client.get("/api/auth/me", headers=api.as_("amina"))).json()["timezone"] == "America/New_York"
    assert await _page_zones(api, "amina") == ("America/New_York", "Africa/Nairobi")
    assert await _page_zones(api, "brian") == ("Africa/Nairobi", "Africa/Nairobi")  # only hers
    listed = await api.client.get("/api/users", headers=api.as_("admin"))
    assert {u["username"]: u["timezone"] for u in listed.json()["items"]}["amina"] == "America/New_York"
    async with api.services.database.session() as s:
        audit = (await s.scalars(select(AuditEntry).where(AuditEntry.entity == "user",
                                                          AuditEntry.entity_id == "amina"))).all()
    assert [a.details["changes"]["timezone"] for a in audit] == [{"from": None, "to": "America/New_York"}]
    back = await api.client.put("/api/auth/me/timezone", json={"timezone": None}, headers=api.as_("amina"))
    assert back.json()["timezone"] is None
    assert await _page_zones(api, "amina") == ("Africa/Nairobi", "Africa/Nairobi")


async def test_an_unknown_zone_is_refused_with_a_sentence(api: ApiWorld) -> None:
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "x" * 65):
        response = await api.client.put("/api/auth/me/timezone", json={"timezone": bad}, headers=api.as_("amina"))
        assert_error_shape(response, 422)
    missing = await api.client.put("/api/auth/me/timezone", json={}, headers=api.as_("amina"))
    assert_error_shape(missing, 422)


async def test_the_record_and_the_pop_carry_the_customers_zone(api: ApiWorld) -> None:
    created = await api.customer("Kofi Mensah", "0712000111", timezone="Africa/Accra")
    record = await api.client.get(f"/api/customers/{created['id']}", headers=api.as_("amina"))
    assert record.json()["timezone"] == "Africa/Accra"
    async with api.services.database.engine.connect() as conn:
        matches = await find_matches(CoreHotConnection(conn), "+254712000111")
    assert [(m.name, m.summary["timezone"]) for m in matches] == [("Kofi Mensah", "Africa/Accra")]
