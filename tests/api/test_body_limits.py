"""The body-size limit counts the bytes received (issue 13, item 5): a chunked body without
Content-Length, JSON or upload, is refused with 413 once past its limit, and never reaches the route."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from store.db import Database
from store.models import Attachment, Customer, Role
from store.repositories.users import UserRepository
from tests.api.conftest import assert_error_shape, make_settings
from tests.support.server import RunningApp, running_app

MB = 1024 * 1024


@pytest.fixture
async def server(database: Database, database_url: str, tmp_path: Path) -> AsyncIterator[tuple[RunningApp, str]]:
    async with database.session() as s:
        await UserRepository(s).create("sup", "super-pass-1", role=Role.SUPERVISOR)
    async with running_app(make_settings(database_url, tmp_path)) as app, \
            httpx.AsyncClient(base_url=app.base_url) as client:
        r = await client.post("/api/auth/login", json={"username": "sup", "password": "super-pass-1"})
        yield app, r.json()["token"]


async def _chunks(prefix: bytes, total: int, suffix: bytes = b"") -> AsyncIterator[bytes]:
    yield prefix
    sent = len(prefix)
    while sent < total:
        piece = min(64 * 1024, total - sent)
        yield b"x" * piece
        sent += piece
    yield suffix


async def _count(app: RunningApp, model: type[Customer] | type[Attachment]) -> int:
    async with app.services.database.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("size", [5 * MB, 20 * MB])
async def test_a_chunked_json_body_past_4_mib_is_413_and_never_parsed(server: tuple[RunningApp, str],
                                                                        size: int) -> None:
    app, token = server
    body = _chunks(b'{"name": "Big", "phone": "0712345678", "region": "', size, b'"}')
    async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as client:
        r = await client.post("/api/customers", content=body, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert "content-length" not in r.request.headers and r.request.headers["transfer-encoding"] == "chunked"
    refused = assert_error_shape(r, 413, "payload-too-large")
    assert refused["details"] == {"body": f"at most {4 * MB} bytes"}
    assert refused["message"] == "This is too large to send: the most is 4 MB."
    assert await _count(app, Customer) == 0


async def test_a_chunked_upload_past_the_attachment_limit_is_413(server: tuple[RunningApp, str]) -> None:
    app, token = server
    async with httpx.AsyncClient(base_url=app.base_url, timeout=30) as client:
        made = await client.post("/api/customers", json={"name": "Amina", "phone": "0712345678"},
                                 headers={"Authorization": f"Bearer {token}"})
        cid = made.json()["id"]
        head = (b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
                b"Content-Type: application/octet-stream\r\n\r\n")
        upload = _chunks(head, 2 * MB, b"\r\n--b--\r\n")  # the test settings allow 64 KiB attachments
        r = await client.post(f"/api/customers/{cid}/attachments", content=upload, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=b"})
        assert assert_error_shape(r, 413, "payload-too-large")["message"] == "The file is too large: the most is 64 KB."
        # within the limit, the same chunked upload is stored
        small = _chunks(head, 10 * 1024, b"\r\n--b--\r\n")
        ok = await client.post(f"/api/customers/{cid}/attachments", content=small, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "multipart/form-data; boundary=b"})
        assert ok.status_code == 201, ok.text
    assert await _count(app, Attachment) == 1


async def test_a_small_chunked_body_goes_through(server: tuple[RunningApp, str]) -> None:
    app, token = server
    async with httpx.AsyncClient(base_url=app.base_url) as client:
        r = await client.post("/api/customers", content=_chunks(b'{"name": "Amina", "phone": "0712345678"', 0, b"}"),
                              headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert r.status_code == 201, r.text
