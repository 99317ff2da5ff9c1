"""GET /api/features: the pages ask the server which optional parts it has on (issue 14 item 8:
before, features.js read the whole OpenAPI document to guess from the route list)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from agent_ui.app import create_app
from agent_ui.services import build_services
from store.db import Database
from store.models import Role, User
from tests.api.conftest import _hash_for, assert_error_shape, make_settings


@pytest.mark.parametrize("dialer_on", [True, False])
async def test_features_say_whether_the_dialers_routes_are_there(database: Database, database_url: str,
                                                                 tmp_path: Path, dialer_on: bool) -> None:
    base = make_settings(database_url, tmp_path)
    settings = base.model_copy(update={"dialer": base.dialer.model_copy(update={"enabled": dialer_on})})
    services = build_services(settings)
    await services.start()
    try:
        async with services.database.session() as session:
            user = User(username="amina", display_name="Amina", role=Role.AGENT, password_hash=_hash_for("amina"),
                        extension="PJSIP/1001", queues=["collections"], active=True)
            session.add(user)
        token = services.tokens.issue(user)
        app = create_app(settings, services, components=[])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            assert_error_shape(await client.get("/api/features"), 401)
            answer = await client.get("/api/features", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200 and answer.json() == {"dialer": dialer_on}
            status = await client.get("/api/dialer/status", headers={"Authorization": f"Bearer {token}"})
            assert status.status_code == (503 if dialer_on else 404)  # served (its component not running) or absent
    finally:
        await services.close()
