"""The access matrix (issue 13, item 3), over EVERY route of the app, read from its route table.

Each route of the full app (dialer and Twilio wired in) must have a row in :data:`MATRIX` saying who
may use it; a route without a row fails the test, so a new route cannot be missed. Then, on a real
server over SQLite and PostgreSQL:

* without a token every API route answers 401 (pages redirect to sign-in, Twilio wants a signature,
  the socket closes with 4401);
* supervisor routes answer 403 to an agent, admin routes 403 to a supervisor and an agent;
* customer-scoped routes (the customer in the path or the body) answer another agent exactly as for
  a customer that does not exist: 404, the same message, nothing stored;
* tasks, attachments and call tasks of another agent answer 404.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from config.settings import TwilioSettings
from store.db import Database
from store.models import DialApproval, Role
from store.repositories.users import UserRepository
from tests.api import matrix_ivr as ivr_rows
from tests.api import matrix_messaging as messaging_rows
from tests.api import matrix_monitor as monitor_rows
from tests.api import matrix_payments as payments_rows
from tests.api import matrix_phone as phone_rows
from tests.api import matrix_qa as qa_rows
from tests.api import matrix_supervision as supervision_rows
from tests.api.conftest import make_settings
from tests.api.matrix_rule import LOAN, MISSING, SOON, SOON_DAY, TXN, Rule
from tests.support.server import RunningApp, running_app

CORE_ROWS: dict[tuple[str, str], Rule] = {
    ("GET", "/openapi.json"): Rule("public"),
    ("GET", "/docs"): Rule("public"),
    ("GET", "/docs/oauth2-redirect"): Rule("public"),
    ("GET", "/redoc"): Rule("public"),
    ("POST", "/api/auth/login"): Rule("public", {"username": "nobody", "password": "whatever-1"}),
    ("POST", "/api/auth/logout"): Rule("public"),
    ("GET", "/api/auth/me"): Rule("signed_in"),
    ("GET", "/api/features"): Rule("signed_in"),
    ("PUT", "/api/auth/me/timezone"): Rule("signed_in", {"timezone": "Europe/London"}),
    ("POST", "/api/ws-ticket"): Rule("signed_in"),
    ("GET", "/api/health"): Rule("public"),
    ("GET", "/metrics"): Rule("metrics"),
    ("POST", "/api/customers"): Rule("signed_in", {"name": "X", "phone": "0711000000"}),
    ("GET", "/api/customers"): Rule("signed_in"),
    ("GET", "/api/customers/{customer_id}"): Rule("customer"),
    ("PATCH", "/api/customers/{customer_id}"): Rule("customer", {"name": "Changed"}),
    ("POST", "/api/customers/{customer_id}/contacts"): Rule("customer", {"name": "Kin", "phone": "0722999888"}),
    ("GET", "/api/customers/{customer_id}/contacts"): Rule("customer"),
    ("PATCH", "/api/customers/{customer_id}/contacts/{contact_id}"): Rule("customer", {"name": "Kin"}),
    ("DELETE", "/api/customers/{customer_id}/contacts/{contact_id}"): Rule("customer"),
    ("GET", "/api/caller-search"): Rule("signed_in"),
    ("POST", "/api/caller-search/grant"): Rule("customer_in_body", {"call_id": "default/1.1", "customer_id": 0}),
    ("POST", "/api/customers/{customer_id}/loans"): Rule("customer", LOAN),
    ("GET", "/api/customers/{customer_id}/loans"): Rule("customer"),
    ("POST", "/api/customers/{customer_id}/transactions"): Rule("customer", TXN),
    ("GET", "/api/customers/{customer_id}/transactions"): Rule("customer"),
    ("POST", "/api/customers/{customer_id}/promises"): Rule("customer", {"amount": "10.00", "due_date": SOON_DAY}),
    ("GET", "/api/customers/{customer_id}/promises"): Rule("customer"),
    ("GET", "/api/promises"): Rule("signed_in"),
    ("POST", "/api/customers/{customer_id}/interactions"): Rule("customer", {"channel": "note", "comments": "x"}),
    ("GET", "/api/customers/{customer_id}/interactions"): Rule("customer"),
    ("POST", "/api/tasks"): Rule("customer_in_body", {"due_at": SOON, "instructions": "x", "customer_id": 0}),
    ("GET", "/api/tasks"): Rule("signed_in"),
    ("PATCH", "/api/tasks/{task_id}"): Rule("owned", {"done": True}),
    ("POST", "/api/customers/{customer_id}/attachments"): Rule("customer", multipart=True),
    ("GET", "/api/customers/{customer_id}/attachments"): Rule("customer"),
    ("GET", "/api/attachments/{attachment_id}"): Rule("owned"),
    ("PUT", "/api/customers/{customer_id}/assignee"): Rule("supervisor", {"agent": "brian"}),
    ("POST", "/api/assignments"): Rule("supervisor", {"customer_ids": [1], "agent": "brian"}),
    ("GET", "/api/campaigns"): Rule("supervisor"),
    ("PUT", "/api/campaigns/{code}/agents"): Rule("supervisor", {"agents": ["brian"]}),
    ("GET", "/api/users"): Rule("admin"),
    ("POST", "/api/users"): Rule("admin", {"username": "newbie", "password": "newbie-pass-1"}),
    ("PATCH", "/api/users/{username}"): Rule("admin", {"display_name": "B"}),
    ("GET", "/api/config/lists"): Rule("signed_in"),
    ("GET", "/api/config/lists/{name}"): Rule("signed_in"),
    ("PUT", "/api/config/lists/{name}"): Rule("admin", {}),
    ("GET", "/api/reports/notes"): Rule("supervisor"),
    ("GET", "/api/reports/agents"): Rule("supervisor"),
    ("GET", "/api/reports/collections"): Rule("supervisor"),
    ("PUT", "/api/agents/me/state"): Rule("signed_in", {"state": "logged_out"}),
    ("GET", "/api/agents/me"): Rule("signed_in"),
    ("GET", "/api/agents"): Rule("supervisor"),
    ("PUT", "/api/agents/{username}/state"): Rule("supervisor", {"state": "logged_out"}),
    ("GET", "/api/wallboard"): Rule("supervisor"),
    ("WS", "/ws"): Rule("socket"),
    ("POST", "/twilio/voice"): Rule("twilio"),
    ("POST", "/twilio/status"): Rule("twilio"),
    ("POST", "/twilio/dial-action"): Rule("twilio"),
    ("POST", "/twilio/wait"): Rule("twilio"),
    ("POST", "/twilio/connect"): Rule("twilio"),
    ("POST", "/twilio/outbound"): Rule("twilio"),
    ("POST", "/api/calls"): Rule("customer_in_body", {"customer_id": 0}),
    ("POST", "/api/dialer/tasks/{task_id}/dial"): Rule("owned", {}),
    ("POST", "/api/dialer/tasks/{task_id}/postpone"): Rule("owned", {"hours": 4, "comment": "later"}),
    ("POST", "/api/dialer/callbacks"): Rule("customer_in_body", {"at": SOON, "customer_id": 0}),
    ("POST", "/api/dialer/tasks"): Rule("supervisor", {"customer_id": 1, "reason": "overdue_loan"}),
    ("GET", "/api/dialer/status"): Rule("signed_in"),
    ("GET", "/api/dialer/my-queue"): Rule("signed_in"),
    ("GET", "/api/dialer/line"): Rule("signed_in"),
    ("POST", "/api/approvals"): Rule("customer_in_body", {"number": "0799111222", "call_reason": "late", "reason": "new",
                                                        "customer_id": 0}),
    ("POST", "/api/approvals/{approval_id}/decision"): Rule("supervisor", {"approve": False}),
    ("GET", "/api/approvals"): Rule("supervisor"),
    ("GET", "/login"): Rule("public"),
    ("GET", "/"): Rule("page"),
    ("GET", "/customers/{customer_id}"): Rule("page"),
    ("GET", "/supervisor"): Rule("page"),
    ("GET", "/admin"): Rule("page"),
    ("GET", "/static/{path:path}"): Rule("public"),
    ("GET", "/favicon.ico"): Rule("public"),
}

# One file per area (tests/api/matrix_<area>.py), so that each area adds its routes without touching the rest.
AREAS = (phone_rows, messaging_rows, payments_rows, supervision_rows, ivr_rows, qa_rows, monitor_rows)
MATRIX: dict[tuple[str, str], Rule] = {**CORE_ROWS, **{k: v for area in AREAS for k, v in area.ROWS.items()}}

PASSWORDS = {"admin": "admin-pass-1", "sup": "super-pass-1", "amina": "amina-pass-1", "brian": "brian-pass-1"}
ROLES = {"admin": Role.ADMIN, "sup": Role.SUPERVISOR, "amina": Role.AGENT, "brian": Role.AGENT}


def route_table(app: Any) -> set[tuple[str, str]]:
    """Every (method, path) the app serves, from its route table (HEAD rides along with GET)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        methods = route.methods
        if methods is None:  # the WebSocket route
            found.add(("WS", str(route.path)))
            continue
        found.update((m, str(route.path)) for m in methods if m != "HEAD")
    return found


@dataclass
class World:
    app: RunningApp
    client: httpx.AsyncClient
    tokens: dict[str, str]
    ids: dict[str, str] = field(default_factory=dict)

    def auth(self, username: str | None) -> dict[str, str]:
        return {} if username is None else {"Authorization": f"Bearer {self.tokens[username]}"}

    def url(self, path: str, **override: Any) -> str:
        values = {**self.ids, **{k: str(v) for k, v in override.items()}}
        return re.sub(r"\{(\w+)(?::path)?\}", lambda m: values[m.group(1)], path)

    async def send(self, method: str, path: str, rule: Rule, username: str | None,
                   customer: int | None = None) -> httpx.Response:
        url = self.url(path, **({"customer_id": customer} if customer is not None else {}))
        if rule.multipart:
            return await self.client.request(method, url, headers=self.auth(username),
                                             files={"file": ("a.txt", b"hello", "text/plain")})
        body = rule.body
        if body is not None and "customer_id" in body and rule.access == "customer_in_body":
            body = {**body, "customer_id": customer if customer is not None else int(self.ids["customer_id"])}
        if method == "GET":
            return await self.client.get(url, headers=self.auth(username))
        return await self.client.request(method, url, headers=self.auth(username),
                                         json=body if body is not None else {})


@pytest.fixture
async def world(database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[World]:
    base = make_settings(database_url, tmp_path)
    settings = base.model_copy(update={
        "dialer": base.dialer.model_copy(update={"enabled": True}),
        "twilio": TwilioSettings(account_sid="AC" + "0" * 32, auth_token=SecretStr("t" * 32),
                                 caller_id="+254700000001", api_base="http://127.0.0.1:9")})
    async with database.session() as s:
        repo = UserRepository(s)
        for number, (name, password) in enumerate(PASSWORDS.items()):
            await repo.create(name, password, role=ROLES[name], extension=f"PJSIP/{1001 + number}",
                              queues=["collections"])
    async with running_app(settings) as app, httpx.AsyncClient(base_url=app.base_url, timeout=10) as client:
        tokens = {}
        for name, password in PASSWORDS.items():
            r = await client.post("/api/auth/login", json={"username": name, "password": password})
            assert r.status_code == 200, r.text
            tokens[name] = r.json()["token"]
        world = World(app, client, tokens)
        await _seed(world)
        yield world


async def _seed(w: World) -> None:
    """Amina's customer, with an attachment, a task, a call task; an approval; known names."""
    sup, amina = w.auth("sup"), w.auth("amina")
    made = await w.client.post("/api/customers", headers=sup,
                               json={"name": "Wanjiku Kamau", "phone": "0712345678", "assigned_agent": "amina"})
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    upload = await w.client.post(f"/api/customers/{cid}/attachments", headers=amina,
                                 files={"file": ("id.txt", b"scan", "text/plain")})
    assert upload.status_code == 201, upload.text
    task = await w.client.post("/api/tasks", headers=amina, json={"due_at": SOON, "customer_id": cid})
    assert task.status_code == 201, task.text
    call_task = await w.client.post("/api/dialer/tasks", headers=sup, json={"customer_id": cid, "reason": "overdue_loan"})
    assert call_task.status_code == 201, call_task.text
    approval = await w.client.post("/api/approvals", headers=amina,
                                   json={"number": "0799111222", "customer_id": cid, "call_reason": "late",
                                         "reason": "new number"})
    assert approval.status_code == 201, approval.text
    contact = await w.client.post(f"/api/customers/{cid}/contacts", headers=amina,
                                  json={"name": "Kin Kamau", "phone": "0722999000"})
    assert contact.status_code == 201, contact.text
    for area in AREAS:
        w.ids.update(area.IDS)
    w.ids.update(customer_id=str(cid), attachment_id=str(upload.json()["id"]), task_id=str(task.json()["id"]),
                 approval_id=str(approval.json()["id"]), username="brian", code="collections",
                 name="pause_codes", path="js/desk.js")
    w.ids["dialer_task_id"] = str(call_task.json()["task_id"])
    w.ids["contact_id"] = str(contact.json()["id"])


def _same_but_id(hidden: httpx.Response, missing: httpx.Response, cid: str) -> None:
    assert (hidden.status_code, missing.status_code) == (404, 404), (hidden.text, missing.text)
    a, b = hidden.json(), missing.json()
    assert a["error_id"] == b["error_id"] == "not-found"
    assert a["message"].replace(cid, "N") == b["message"].replace(str(MISSING), "N"), (a, b)
    assert "Wanjiku" not in hidden.text


async def test_every_route_of_the_app_has_a_row_in_the_matrix(world: World) -> None:
    served = route_table(world.app.app)
    assert served - set(MATRIX) == set(), "new routes: add them to MATRIX with who may use them"
    assert set(MATRIX) - served == set(), "MATRIX lists routes the app no longer serves"


async def test_without_a_token(world: World) -> None:
    for (method, path), rule in MATRIX.items():
        if rule.access == "socket":
            async with websockets.connect(f"{world.app.ws_url}/ws") as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), 5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
            continue
        if path == "/api/dialer/tasks/{task_id}/dial" or path.endswith("/postpone"):
            path = path.replace("{task_id}", "{dialer_task_id}")
        response = await world.send(method, path, rule, None)
        expected = rule.refused if rule.access == "webhook" else {
            "public": None, "metrics": None, "twilio": 403, "page": 303}.get(rule.access, 401)
        if expected is None:
            assert response.status_code < 400 or response.status_code in (401, 422), (method, path, response.text)
            continue
        assert response.status_code == expected, (method, path, response.status_code, response.text)
        if expected == 401:
            assert response.json()["error_id"] == "authentication-required"


async def test_roles(world: World) -> None:
    for (method, path), rule in MATRIX.items():
        if rule.access not in ("supervisor", "admin"):
            continue
        users = ["amina"] if rule.access == "supervisor" else ["amina", "sup"]
        for username in users:
            response = await world.send(method, path, rule, username)
            assert response.status_code == 403, (username, method, path, response.text)
            assert response.json()["error_id"] == "permission-denied"


async def test_another_agents_customer_is_as_missing_on_every_customer_route(world: World) -> None:
    cid = world.ids["customer_id"]
    async with world.app.services.database.session() as s:
        approvals_before = await s.scalar(select(func.count()).select_from(DialApproval))
    checked = 0
    for (method, path), rule in MATRIX.items():
        if rule.access not in ("customer", "customer_in_body"):
            continue
        hidden = await world.send(method, path, rule, "brian", int(cid))
        missing = await world.send(method, path, rule, "brian", MISSING)
        _same_but_id(hidden, missing, cid)
        owner = await world.send(method, path, rule, "amina") if method == "GET" else None
        assert owner is None or owner.status_code == 200, (method, path, owner and owner.text)
        checked += 1
    assert checked == sum(r.access.startswith("customer") for r in MATRIX.values()) >= 18
    async with world.app.services.database.session() as s:
        assert await s.scalar(select(func.count()).select_from(DialApproval)) == approvals_before


async def test_another_agents_tasks_attachments_and_call_tasks_are_as_missing(world: World) -> None:
    for (method, path), rule in MATRIX.items():
        if rule.access != "owned":
            continue
        key = "dialer_task_id" if path.startswith("/api/dialer/tasks/") else re.findall(r"\{(\w+)\}", path)[0]
        path = path.replace("{task_id}", "{dialer_task_id}") if key == "dialer_task_id" else path
        theirs = await world.send(method, path, rule, "brian")
        missing = await world.send(method, path.replace("{" + key + "}", str(MISSING)), rule, "brian")
        assert theirs.status_code == missing.status_code >= 400, (method, path, theirs.text, missing.text)
        a, b = theirs.json(), missing.json()
        assert a["error_id"] == b["error_id"], (a, b)
        assert a["message"].replace(world.ids[key], "N") == b["message"].replace(str(MISSING), "N"), (a, b)
