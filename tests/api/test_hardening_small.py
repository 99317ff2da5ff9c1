"""The smaller items of issue 13 (item 10): the last admin stays, database text never reaches a client,
security headers on every answer, attachments always downloaded, and the audit log records searches,
list reads, exports and failed sign-ins. SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from agent_ui.app import create_app
from agent_ui.deps import unit_of_work
from domain.errors import Conflict
from store.models import AuditEntry, Role, User
from tests.api.conftest import ApiWorld, assert_error_shape


async def _audit(api: ApiWorld, action: str, entity: str | None = None) -> list[AuditEntry]:
    async with api.services.database.session() as s:
        query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        if entity is not None:
            query = query.where(AuditEntry.entity == entity)
        return list((await s.scalars(query)).all())


async def test_the_last_admin_cannot_be_demoted_or_deactivated(api: ApiWorld) -> None:
    for change in ({"role": "agent"}, {"role": "supervisor"}, {"active": False}):
        body = assert_error_shape(await api.client.patch("/api/users/admin", json=change, headers=api.as_("admin")),
                                  409, "conflict")
        assert "last admin" in body["message"]
    assert (await api.client.get("/api/auth/me", headers=api.as_("admin"))).json()["role"] == "admin"
    # with a second admin, the first may step down (and the second is then the last)
    made = await api.client.post("/api/users", headers=api.as_("admin"),
                                 json={"username": "second", "password": "second-pass-1", "role": "admin"})
    assert made.status_code == 201
    assert (await api.client.patch("/api/users/admin", json={"role": "supervisor"},
                                   headers=api.as_("admin"))).status_code == 200
    login = await api.client.post("/api/auth/login", json={"username": "second", "password": "second-pass-1"})
    second = {"Authorization": f"Bearer {login.json()['token']}"}
    assert_error_shape(await api.client.patch("/api/users/second", json={"active": False}, headers=second), 409)
    # other edits of the last admin are fine
    assert (await api.client.patch("/api/users/second", json={"display_name": "Second"},
                                   headers=second)).status_code == 200


async def test_database_error_text_never_reaches_the_answer(api: ApiWorld) -> None:
    with pytest.raises(Conflict) as refused:
        async with unit_of_work(api.services) as session:
            session.add(User(username="amina", display_name="Twin", role=Role.AGENT, password_hash="x"))
    text = f"{refused.value.message} {refused.value.details}".lower()
    assert refused.value.details == {"reason": "conflicts with stored data"}
    for raw in ("unique", "duplicate", "users", "constraint", "insert", "sqlite", "asyncpg"):
        assert raw not in text, text


@pytest.mark.parametrize(("path", "status"), [("/api/health", 200), ("/docs", 200), ("/openapi.json", 200),
                                              ("/api/customers", 401), ("/api/nothing-here", 404),
                                              ("/api/reports/agents?from=x", 401)])
async def test_every_answer_has_nosniff_and_a_referrer_policy(api: ApiWorld, path: str, status: int) -> None:
    r = await api.client.get(path)
    assert r.status_code == status
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in r.headers  # PUBLIC_URL is http here


async def test_hsts_when_the_public_url_is_https(api: ApiWorld) -> None:
    app = create_app(api.settings.model_copy(update={"public_url": "https://cc.example.com"}), api.services,
                     components=[])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        for path in ("/api/health", "/login", "/api/customers"):
            r = await client.get(path)
            assert r.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        page = await client.get("/login")
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]  # the pages' own set stays


@pytest.mark.parametrize(("filename", "kind"), [("x.html", "text/html"), ("x.svg", "image/svg+xml"),
                                                ("x.js", "application/javascript"), ("x.pdf", "application/pdf")])
async def test_attachments_are_always_downloads(api: ApiWorld, filename: str, kind: str) -> None:
    cid = (await api.customer())["id"]
    body = b"<script>alert(document.cookie)</script>"
    up = await api.client.post(f"/api/customers/{cid}/attachments", headers=api.as_("amina"),
                               files={"file": (filename, body, kind)})
    assert up.status_code == 201, up.text
    down = await api.client.get(f"/api/attachments/{up.json()['id']}", headers=api.as_("amina"))
    assert down.status_code == 200 and down.content == body
    assert down.headers["content-type"] == "application/octet-stream"
    assert down.headers["content-disposition"].startswith("attachment;") and filename in down.headers[
        "content-disposition"]
    assert down.headers["x-content-type-options"] == "nosniff"


async def test_the_audit_log_records_searches_list_reads_exports_and_failed_logins(api: ApiWorld) -> None:
    cid = (await api.customer())["id"]
    found = await api.client.get("/api/customers", params={"q": "wanjiku"}, headers=api.as_("amina"))
    assert [c["id"] for c in found.json()["items"]] == [cid]
    [search] = await _audit(api, "search", "customers")
    assert (search.actor_id, search.details["q"], search.details["found"]) == (api.users["amina"].id, "wanjiku", [cid])
    for what, path in [("loans", "loans"), ("statement", "transactions"), ("contacts", "contacts"),
                       ("interactions", "interactions"), ("promises", "promises"), ("attachments", "attachments")]:
        r = await api.client.get(f"/api/customers/{cid}/{path}", headers=api.as_("amina"))
        assert r.status_code == 200, r.text
        [entry] = await _audit(api, "read", what)
        assert (entry.actor_id, entry.customer_id) == (api.users["amina"].id, cid)
    for report in ("notes", "agents", "collections"):
        assert (await api.client.get(f"/api/reports/{report}", headers=api.as_("sup"))).status_code == 200
        csv = await api.client.get(f"/api/reports/{report}", params={"format": "csv", "from": "2026-01-01"},
                                   headers=api.as_("sup"))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    exports = await _audit(api, "export", "report")
    assert [(e.entity_id, e.details["since"], e.actor_id) for e in exports] == [
        (name, "2026-01-01", api.users["sup"].id) for name in ("notes", "agents", "collections")]
    bad = await api.client.post("/api/auth/login", json={"username": "brian", "password": "not-his"})
    assert bad.status_code == 401
    [failed] = await _audit(api, "login_failed")
    assert (failed.actor_id, failed.entity_id, failed.details["reason"]) == (api.users["brian"].id, "brian", "password")
