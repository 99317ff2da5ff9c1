"""Sign-in: ``POST /api/auth/login`` gives a Bearer token (and an HttpOnly cookie for the browser)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import text

from agent_ui import serialize
from agent_ui.deps import CurrentUser, ServicesDep, bearer_token, unit_of_work
from agent_ui.login_limits import locked_for, login_limits, record_failure
from agent_ui.schemas.records import UserOut
from agent_ui.schemas.replies import FeaturesOut, HealthOut, LoginOut, OkOut, WsTicketOut
from agent_ui.schemas.work import LoginBody, TimezoneBody
from agent_ui.sessions import revoked_event, user_for_token
from agent_ui.tokens import COOKIE_NAME, Claims
from agent_ui.ws_tickets import TICKET_SECONDS, ticket_ledger
from domain.errors import AuthenticationRequired, StoreUnavailable, TooManyRequests
from store.models import User, utcnow
from store.repositories.audit import AuditLog
from store.repositories.customers import check_timezone
from store.repositories.users import UserRepository

router = APIRouter(tags=["auth"])


def client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


@router.post("/api/auth/login", response_model=LoginOut)
async def login(body: LoginBody, request: Request, response: Response, services: ServicesDep) -> dict[str, Any]:
    """A token for the right password. Failed sign-ins are limited per account and per address,
    and lock the account for a growing time (429 with ``Retry-After``); each is audited."""
    limits, address, name = login_limits(services), client_address(request), body.username.strip().lower()
    await limits.check(name, address)  # over a limit: 429 at once, without a hash or a database write
    async with unit_of_work(services) as session:  # no session is held while the password is hashed
        found = await UserRepository(session).get(name)
    now = utcnow()
    locked = locked_for(found, now)
    refused = TooManyRequests("this account is locked after failed sign-ins; try again later",
                              {"username": "locked"}, retry_after=locked) if locked else None
    ok = refused is None and await limits.verify(found.password_hash if found else None, body.password)
    async with unit_of_work(services) as session:
        user = await session.get(User, found.id, with_for_update=True) if found is not None else None
        if ok and user is not None and user.active:
            user.failed_logins, user.locked_until = 0, None
            AuditLog(session, user.id).record("login", "user", user.username, details={"address": address})
        else:
            if refused is None and user is not None:
                record_failure(user, now, limits.policy)
            reason = "locked" if locked else "inactive" if ok else "password"
            AuditLog(session, user.id if user else None).record(
                "login_failed", "user", name[:64], details={"address": address, "reason": reason})
            user = None
    if user is None:
        await limits.failed(name, address)  # a locked account's attempts count too
    if refused is not None:
        raise refused
    if user is None:
        raise AuthenticationRequired("wrong username or password")
    token = services.tokens.issue(user)
    response.set_cookie(
        COOKIE_NAME, token, max_age=int(services.tokens.ttl.total_seconds()), httponly=True,
        samesite="lax", secure=services.settings.public_url.startswith("https://"), path="/",
    )
    expires_at = (utcnow() + services.tokens.ttl).isoformat()
    return {"token": token, "token_type": "bearer", "expires_at": expires_at, "user": serialize.user(user)}


@router.post("/api/auth/logout", response_model=OkOut)
async def logout(request: Request, response: Response, services: ServicesDep) -> dict[str, Any]:
    """Ends the session: the token (Bearer or cookie) and every other token of the user stop
    working, their open sockets close; the browser's cookie is cleared. An agent leaves the queues
    (logged out, as "Leave queue"), unless on a call."""
    token = bearer_token(request)
    found = await user_for_token(services, token) if token else None
    if found is not None:
        async with unit_of_work(services) as session:
            user = await session.get(User, found[0].id)
            if user is not None:
                UserRepository(session).end_sessions(user)
                AuditLog(session, user.id).record("logout", "user", user.username)
        if user is not None:
            await services.publish(revoked_event(user, "signed out"))
            if services.live is not None and user.extension:  # nobody waits for an agent who left
                await services.live.presence.signed_out(user.username)
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return {"ok": True}


@router.post("/api/ws-ticket", response_model=WsTicketOut)
async def ws_ticket(request: Request, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """A single-use ticket for the live socket (``/ws?ticket=...``), so that the sign-in token never
    rides in a URL (where proxies and access logs would keep it)."""
    claims = Claims(user_id=user.id, username=user.username, role=user.role.value, version=user.token_version or 0)
    return {"ticket": ticket_ledger(request.app, services.tokens).issue(claims), "expires_in": TICKET_SECONDS}


@router.get("/api/auth/me", response_model=UserOut)
async def me(user: CurrentUser) -> dict[str, Any]:
    return serialize.user(user)


@router.get("/api/features", response_model=FeaturesOut)
async def features(_user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The optional parts this server has on (the pages ask here, not the OpenAPI document)."""
    return {"dialer": services.settings.dialer.enabled}


@router.put("/api/auth/me/timezone", response_model=UserOut)
async def set_my_timezone(body: TimezoneBody, user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """The signed-in user's time zone: every time on their pages is shown and entered in it (issue 15 item 9)."""
    zone = None if body.timezone is None else check_timezone(body.timezone.strip())
    async with unit_of_work(services) as session:
        row = await session.get(User, user.id)
        assert row is not None  # the signed-in user
        before, row.timezone = row.timezone, zone
        AuditLog(session, user.id).record("update", "user", row.username, details={
            "changes": {"timezone": {"from": before, "to": zone}}})
        result = serialize.user(row)
    return result


@router.get("/api/health", tags=["health"], response_model=HealthOut)
async def health(services: ServicesDep) -> dict[str, str]:
    try:
        async with services.database.session() as session:
            await session.execute(text("SELECT 1"))
    except StoreUnavailable:
        raise
    except Exception as exc:
        raise StoreUnavailable("database check failed", {"database": type(exc).__name__}) from exc
    return {"status": "ok", "database": "ok"}
