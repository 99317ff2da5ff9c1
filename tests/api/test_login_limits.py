"""Sign-in limits (issue 13, item 4): 429 with Retry-After per account and per address, a growing lock
shown to the admin, argon2 on a bounded pool, failed sign-ins in the audit log; the counts are shared
by workers through Redis."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

import agent_ui.login_limits as login_limits_module
from agent_ui.login_limits import LoginLimits, lock_seconds
from config.settings import LoginSettings, Settings
from domain.errors import TooManyRequests
from store.models import AuditEntry, User, utcnow
from tests.api.conftest import ApiWorld

REDIS_URL = "redis://127.0.0.1:6379/13"


def _limits(api: ApiWorld, **policy: Any) -> None:
    """Set the sign-in policy before the first sign-in of the test (the limits are made then)."""
    api.settings.login = LoginSettings(**policy)


async def _login(api: ApiWorld, username: str, password: str, address: str = "127.0.0.1") -> httpx.Response:
    transport = httpx.ASGITransport(app=api.client._transport.app, client=(address, 4000))  # type: ignore[attr-defined]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.post("/api/auth/login", json={"username": username, "password": password})


async def _audit(api: ApiWorld, action: str) -> list[AuditEntry]:
    async with api.services.database.session() as s:
        return list((await s.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                     .order_by(AuditEntry.id))).all())


def test_the_lock_grows_with_each_failure_up_to_the_cap() -> None:
    policy = LoginSettings(lock_after=5, lock_seconds=60, lock_max_seconds=3600)
    assert [lock_seconds(n, policy) for n in (1, 4, 5, 6, 7, 8, 11, 12, 500)] == [
        0, 0, 60, 120, 240, 480, 3600, 3600, 3600]


async def test_failures_lock_the_account_with_a_growing_delay_shown_to_the_admin(api: ApiWorld) -> None:
    _limits(api, lock_after=3, lock_seconds=60, account_failures=100, address_failures=100)
    for _ in range(3):
        r = await _login(api, "amina", "wrong-password")
        assert r.status_code == 401, r.text
    locked = await _login(api, "amina", "amina-pass-1")  # even the right password, while locked
    assert locked.status_code == 429 and locked.json()["error_id"] == "too-many-requests"
    assert 50 <= int(locked.headers["retry-after"]) <= 60
    users = {u["username"]: u for u in (await api.client.get("/api/users", headers=api.as_("admin"))).json()["items"]}
    assert users["amina"]["failed_logins"] == 3 and users["amina"]["locked_until"] is not None
    assert users["brian"]["locked_until"] is None
    # the lock ran out: one more failure locks for twice as long
    async with api.services.database.session() as s:
        row = await s.scalar(select(User).where(User.username == "amina"))
        assert row is not None
        row.locked_until = utcnow() - timedelta(seconds=1)
    assert (await _login(api, "amina", "wrong-again")).status_code == 401
    again = await _login(api, "amina", "amina-pass-1")
    assert again.status_code == 429 and 110 <= int(again.headers["retry-after"]) <= 120
    # the admin ends the lock; the right password then works and the count starts again
    unlock = await api.client.patch("/api/users/amina", json={"unlock": True}, headers=api.as_("admin"))
    assert unlock.status_code == 200 and unlock.json()["locked_until"] is None
    ok = await _login(api, "amina", "amina-pass-1")
    assert ok.status_code == 200, ok.text
    assert ok.json()["user"]["failed_logins"] == 0
    failed = await _audit(api, "login_failed")
    assert [e.details["reason"] for e in failed] == ["password"] * 3 + ["locked", "password", "locked"]
    assert all(e.details["address"] == "127.0.0.1" and e.entity_id == "amina" for e in failed)
    assert len(await _audit(api, "login")) == 1


async def test_per_account_limit_holds_for_unknown_names_too(api: ApiWorld) -> None:
    _limits(api, account_failures=4, address_failures=100, lock_after=100)
    for n in range(4):  # from four addresses: only the account count is reached
        assert (await _login(api, "nobody", "guess-1", address=f"10.0.0.{n}")).status_code == 401
    limited = await _login(api, "nobody", "guess-1", address="10.0.0.9")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert limited.json()["details"] == {"account": "too many failed sign-ins"}
    assert (await _login(api, "brian", "brian-pass-1", address="10.0.0.9")).status_code == 200
    reasons = [e.details["reason"] for e in await _audit(api, "login_failed")]
    assert reasons == ["password"] * 4  # refused by the limit: no hash, no database write


async def test_per_address_limit(api: ApiWorld) -> None:
    _limits(api, account_failures=100, address_failures=5, lock_after=100)
    for n in range(5):
        assert (await _login(api, f"user{n}", "guess-1", address="192.0.2.7")).status_code == 401
    refused = await _login(api, "brian", "brian-pass-1", address="192.0.2.7")
    assert refused.status_code == 429 and refused.json()["details"] == {"address": "too many failed sign-ins"}
    assert (await _login(api, "brian", "brian-pass-1", address="192.0.2.8")).status_code == 200


async def test_argon2_runs_on_its_bounded_pool_and_a_flood_is_refused_early(
        api: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    _limits(api, account_failures=1000, address_failures=1000, lock_after=1000, hash_threads=1, hash_queue=3)
    running, most, threads = 0, 0, set()
    lock = threading.Lock()
    real = login_limits_module.check_password

    def spy(stored: str | None, password: str) -> bool:  # the real argon2 check, watched
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
            threads.add(threading.current_thread().name)
        try:
            return real(stored, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(login_limits_module, "check_password", spy)
    results = await asyncio.gather(*(_login(api, "amina", f"wrong-{n}") for n in range(16)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(401) >= 3 and codes.count(429) >= 8, codes
    busy = [r for r in results if r.status_code == 429]
    assert all(r.json()["message"].startswith("too many sign-ins at once") and r.headers["retry-after"] == "1"
               for r in busy)
    assert most == 1 and all(name.startswith("argon2") for name in threads), (most, threads)
    assert (await _login(api, "brian", "brian-pass-1")).status_code == 200


@pytest.fixture
async def redis_settings() -> AsyncIterator[Settings]:
    from redis.asyncio import Redis

    prefix = f"sbi13:{secrets.token_hex(4)}:"
    settings = Settings(redis_url=REDIS_URL, redis_prefix=prefix,
                        login=LoginSettings(account_failures=3, address_failures=100))
    yield settings
    redis = Redis.from_url(REDIS_URL)
    keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.mark.redis
async def test_workers_share_the_counts_through_redis(redis_settings: Settings) -> None:
    first, second = LoginLimits(redis_settings), LoginLimits(redis_settings)  # two workers
    try:
        await first.failed("amina", "10.1.1.1")
        await second.failed("amina", "10.1.1.2")
        await first.check("amina", "10.1.1.3")  # two of three used
        await second.failed("amina", "10.1.1.3")
        with pytest.raises(TooManyRequests) as refused:
            await first.check("amina", "10.1.1.4")
        assert 890 <= refused.value.retry_after <= 900
        await first.check("brian", "10.1.1.4")  # another account is not touched
    finally:
        await first.close()
        await second.close()
