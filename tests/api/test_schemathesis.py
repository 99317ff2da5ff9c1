"""Schemathesis over every operation of the OpenAPI document (issue 13, item 9), as an admin and as an
agent, on SQLite and PostgreSQL: any 5xx, any answer that differs from its documented schema, status
code or content type fails the test.

The app runs as served (uvicorn, in a thread of its own, dialer and Twilio wired in) over a database
with a few customers of each agent. Bounded: ``EXAMPLES`` cases per operation and role (the document is
parsed once per database), and each request times out. ``PATCH /api/users/{self}`` (and any other seeded
user) is left out, so the run cannot lock its own users out; ``POST /api/auth/logout`` too, as it would
end the run's session.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from agent_ui.app import create_app
from config.settings import Settings, TwilioSettings
from store.db import Database, make_engine
from store.migrate import upgrade_async
from store.models import Role
from store.repositories.users import UserRepository
from tests.api.conftest import make_settings
from tests.support.databases import PG_ADMIN_URL, _backends
from tests.support.server import free_port

# Cases per operation and role (valid and invalid): ~110 operations x 2 roles x 2 databases. 30 took 6 minutes
# of CI; 10 keeps every operation and role covered in a third of that. SB_SCHEMATHESIS_EXAMPLES=50 for a deeper run.
EXAMPLES = int(os.environ.get("SB_SCHEMATHESIS_EXAMPLES", "10"))
PASSWORDS = {"admin": "admin-pass-1", "sup": "super-pass-1", "amina": "amina-pass-1", "brian": "brian-pass-1"}
ROLES = {"admin": Role.ADMIN, "sup": Role.SUPERVISOR, "amina": Role.AGENT, "brian": Role.AGENT}
CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]


@dataclass
class Served:
    base_url: str
    schema: Any  # the served document, parsed once by schemathesis (0.15 s a parse, ~110 operations x 2 roles)
    tokens: dict[str, str]


async def _prepare(url: str) -> None:
    await upgrade_async(url)
    db = Database(make_engine(url))
    try:
        async with db.session() as s:
            repo = UserRepository(s)
            for number, (name, password) in enumerate(PASSWORDS.items()):
                await repo.create(name, password, role=ROLES[name], extension=f"PJSIP/{1001 + number}",
                                  queues=["collections"])
    finally:
        await db.dispose()


async def _pg(sql: str) -> None:
    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _seed(client: httpx.Client, tokens: dict[str, str]) -> None:
    """A few customers of each agent, with notes, promises, tasks and a loan: ids worth hitting."""
    sup, soon = {"Authorization": f"Bearer {tokens['sup']}"}, datetime.now(UTC) + timedelta(days=2)
    for n, agent in enumerate(["amina", "brian", "amina", "brian"]):
        made = client.post("/api/customers", headers=sup, json={
            "name": f"Customer {n}", "phone": f"07120000{n:02d}", "assigned_agent": agent})
        assert made.status_code == 201, made.text
        cid, own = made.json()["id"], {"Authorization": f"Bearer {tokens[agent]}"}
        assert client.post(f"/api/customers/{cid}/interactions", headers=own,
                           json={"channel": "note", "comments": "hello"}).status_code == 201
        assert client.post(f"/api/customers/{cid}/promises", headers=own, json={
            "amount": "100.00", "due_date": soon.date().isoformat()}).status_code == 201
        assert client.post("/api/tasks", headers=own, json={"due_at": soon.isoformat(),
                                                            "customer_id": cid}).status_code == 201
        assert client.post(f"/api/customers/{cid}/loans", headers=sup, json={
            "external_ref": f"L-{n}", "product": "solar", "applied_amount": "100.00", "principal": "100.00",
            "balance": "100.00", "start_date": "2026-01-01", "end_date": "2026-12-31"}).status_code == 201


@pytest.fixture(scope="module", params=[pytest.param(b, marks=[pytest.mark.postgres] if b == "postgres" else [])
                                        for b in _backends()])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    pg_name = f"sb_st_{secrets.token_hex(4)}"
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp / 'st.db'}"
    else:
        asyncio.run(_pg(f'CREATE DATABASE "{pg_name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1) + f"/{pg_name}"
    asyncio.run(_prepare(url))
    base = make_settings(url, Path(tmp))
    app_settings = base.model_copy(update={
        "dialer": base.dialer.model_copy(update={"enabled": True}),
        "twilio": TwilioSettings(account_sid="AC" + "0" * 32, auth_token=SecretStr("t" * 32),
                                 caller_id="+254700000001", api_base="http://127.0.0.1:9")})
    app = create_app(app_settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="schemathesis-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    base_url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base_url, timeout=60) as client:  # a loaded CI machine: argon2, the document
            tokens = {name: client.post("/api/auth/login", json={"username": name, "password": pw}).json()["token"]
                      for name, pw in PASSWORDS.items()}
            _seed(client, tokens)
            document = client.get("/openapi.json").json()
        yield Served(base_url, schemathesis.openapi.from_dict(document), tokens)
    finally:
        server.should_exit = True
        thread.join(20)
        if request.param == "postgres":
            asyncio.run(_pg(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


def _document_paths() -> list[tuple[str, str]]:
    """Every (method, path) of the document, read at collection from an app that is never started."""
    document = create_app(Settings(dialer={"enabled": True}, twilio={"account_sid": "AC" + "0" * 32})).openapi()
    return sorted((method.upper(), path) for path, ops in document["paths"].items() for method in ops
                  if (method.upper(), path) not in EXCLUDED)


EXCLUDED = {("POST", "/api/auth/logout")}  # it would end the run's own session
OPERATIONS = _document_paths()


def _strategy(operation: Any) -> st.SearchStrategy[Any]:
    """Valid and invalid requests alike."""
    return st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))


@pytest.mark.parametrize("who", ["admin", "amina"], ids=["as-admin", "as-agent"])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_answers_as_documented(served: Served, who: str, method: str, path: str) -> None:
    operation = served.schema[path][method]
    headers = {"Authorization": f"Bearer {served.tokens[who]}"}

    @given(case=_strategy(operation))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case: Any) -> None:
        if method == "PATCH" and case.path_parameters.get("username") in PASSWORDS:
            return  # never lock the run's own users out (the admin's own account above all)
        case.call_and_validate(base_url=served.base_url, headers=headers, checks=CHECKS, timeout=30)

    run()
