"""Sign-in, tokens and cookies, and the role matrix (404 for others' customers, 401, 403)."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select

from store.models import AuditEntry, utcnow
from store.repositories.access import grant_call_access
from tests.api.conftest import ApiWorld, assert_error_shape


async def test_login_gives_token_user_and_httponly_cookie(api: ApiWorld) -> None:
    response = await api.client.post("/api/auth/login", json={"username": "amina", "password": "amina-pass-1"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user"]["username"] == "amina" and body["user"]["role"] == "agent"
    cookie = response.headers["set-cookie"]
    assert "sb_token=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    me = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.json()["username"] == "amina"
    # the cookie alone also signs the browser in
    by_cookie = await api.client.get("/api/auth/me", cookies={"sb_token": body["token"]})
    assert by_cookie.status_code == 200
    out = await api.client.post("/api/auth/logout")
    assert out.status_code == 200 and 'sb_token=""' in out.headers["set-cookie"]


@pytest.mark.parametrize(("username", "password"), [("amina", "wrong-password"), ("nobody", "whatever-1")])
async def test_bad_login_is_401_in_the_error_shape(api: ApiWorld, username: str, password: str) -> None:
    response = await api.client.post("/api/auth/login", json={"username": username, "password": password})
    assert_error_shape(response, 401, "authentication-required")


async def test_disabled_user_cannot_use_an_old_token(api: ApiWorld) -> None:
    response = await api.client.patch("/api/users/brian", json={"active": False}, headers=api.as_("admin"))
    assert response.status_code == 200, response.text
    assert_error_shape(await api.client.get("/api/auth/me", headers=api.as_("brian")), 401)
    login = await api.client.post("/api/auth/login", json={"username": "brian", "password": "brian-pass-1"})
    assert_error_shape(login, 401)


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer ", "Basic abc", "Bearer forged"])
async def test_no_or_bad_token_is_401(api: ApiWorld, header: str | None) -> None:
    token = jwt.encode({"sub": "admin", "uid": 1, "iat": utcnow(), "exp": utcnow() + timedelta(hours=1),
                        "iss": "switchboard"}, "another-key-that-is-long-enough-for-hs256!", algorithm="HS256")
    headers = {} if header is None else {"Authorization": header.replace("forged", token)}
    for method, path in [("GET", "/api/customers"), ("GET", "/api/customers/1"), ("POST", "/api/customers"),
                         ("GET", "/api/tasks"), ("GET", "/api/users"), ("GET", "/api/config/lists")]:
        response = await api.client.request(method, path, headers=headers, json={})
        body = assert_error_shape(response, 401, "authentication-required")
        assert body["message"]


async def test_expired_token_is_401(api: ApiWorld) -> None:
    past = utcnow() - timedelta(hours=2)
    token = jwt.encode({"sub": "amina", "uid": api.users["amina"].id, "iat": past, "exp": past + timedelta(hours=1),
                        "iss": "switchboard"}, api.settings.secret_key.get_secret_value(), algorithm="HS256")
    response = await api.client.get("/api/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert "expired" in assert_error_shape(response, 401)["message"]


async def test_health_and_docs_need_no_token(api: ApiWorld) -> None:
    assert (await api.client.get("/api/health")).json() == {"status": "ok", "database": "ok"}
    assert (await api.client.get("/docs")).status_code == 200
    spec = (await api.client.get("/openapi.json")).json()
    assert "/api/customers/{customer_id}/interactions" in spec["paths"]


async def test_agent_gets_404_on_another_agents_customer(api: ApiWorld) -> None:
    brians = await api.customer("Brian's Customer", "0722000001", agent="brian")
    cid = brians["id"]
    missing = await api.client.get("/api/customers/999999", headers=api.as_("amina"))
    body_missing = assert_error_shape(missing, 404, "not-found")
    hidden = await api.client.get(f"/api/customers/{cid}", headers=api.as_("amina"))
    body_hidden = assert_error_shape(hidden, 404, "not-found")
    assert body_hidden["message"].replace(str(cid), "N") == body_missing["message"].replace("999999", "N")
    note = {"channel": "note", "subject": "x"}
    for method, path, body in [
        ("PATCH", f"/api/customers/{cid}", {"email": "x@example.com"}),
        ("POST", f"/api/customers/{cid}/interactions", note),
        ("GET", f"/api/customers/{cid}/interactions", None),
        ("POST", f"/api/customers/{cid}/contacts", {"name": "A", "phone": "0733000000"}),
        ("GET", f"/api/customers/{cid}/promises", None),
        ("GET", f"/api/customers/{cid}/attachments", None),
    ]:
        assert_error_shape(await api.client.request(method, path, json=body, headers=api.as_("amina")), 404)
    # brian and the supervisor see it; amina's search does not list it
    assert (await api.client.get(f"/api/customers/{cid}", headers=api.as_("brian"))).status_code == 200
    assert (await api.client.get(f"/api/customers/{cid}", headers=api.as_("sup"))).status_code == 200
    found = await api.client.get("/api/customers", params={"q": "0722000001"}, headers=api.as_("amina"))
    assert found.json()["items"] == []
    found = await api.client.get("/api/customers", params={"q": "0722000001"}, headers=api.as_("admin"))
    assert [c["id"] for c in found.json()["items"]] == [cid]


@pytest.mark.parametrize(("method", "path", "body"), [
    ("GET", "/api/users", None),
    ("POST", "/api/users", {"username": "eve", "password": "eve-pass-123", "role": "admin"}),
    ("PATCH", "/api/users/amina", {"role": "admin"}),
    ("PUT", "/api/config/lists/notes", {"purposes": []}),
    ("PUT", "/api/customers/1/assignee", {"agent": "amina"}),
    ("POST", "/api/assignments", {"customer_ids": [1], "agent": "amina"}),
    ("PUT", "/api/campaigns/collections/agents", {"agents": ["amina"]}),
    ("GET", "/api/campaigns", None),
    ("GET", "/api/reports/notes", None),
])
async def test_agent_on_admin_routes_is_403(api: ApiWorld, method: str, path: str, body: object) -> None:
    await api.customer()
    response = await api.client.request(method, path, json=body, headers=api.as_("amina"))
    assert_error_shape(response, 403, "permission-denied")


async def test_supervisor_is_403_on_user_admin(api: ApiWorld) -> None:
    assert_error_shape(await api.client.get("/api/users", headers=api.as_("sup")), 403)
    assert (await api.client.get("/api/users", headers=api.as_("admin"))).status_code == 200


async def test_call_scoped_grant_opens_the_record_for_the_call_and_is_audited(api: ApiWorld) -> None:
    cid = (await api.customer("Caller", "0733111222", agent="brian"))["id"]
    path = f"/api/customers/{cid}"
    assert (await api.client.get(path, headers=api.as_("amina"))).status_code == 404
    async with api.services.database.session() as session:
        await grant_call_access(session, api.users["amina"].id, [cid], "pbx/1700000000.1",
                                utcnow() + timedelta(minutes=5))
    opened = await api.client.get(path, headers=api.as_("amina"))
    assert opened.status_code == 200 and opened.json()["access"] == "call"
    note = {"channel": "call", "call_id": "pbx/1700000000.1",
            "disposition": {"status": "not_contacted", "reason": "no_answer"}}
    saved = await api.client.post(f"{path}/interactions", json=note, headers=api.as_("amina"))
    assert saved.status_code == 201, saved.text
    async with api.services.database.session() as session:
        actions = (await session.scalars(select(AuditEntry).where(
            AuditEntry.customer_id == cid, AuditEntry.actor_id == api.users["amina"].id,
            AuditEntry.action == "call_scoped_read"))).all()
    assert [a.details["call_id"] for a in actions] == ["pbx/1700000000.1"]
    # once the grant has run out, the record is hidden again
    async with api.services.database.session() as session:
        from store.repositories.access import extend_call_access
        await extend_call_access(session, "pbx/1700000000.1", utcnow() - timedelta(seconds=1))
    assert (await api.client.get(path, headers=api.as_("amina"))).status_code == 404
