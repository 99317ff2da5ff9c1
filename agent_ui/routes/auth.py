"""Sign-in: ``POST /api/auth/login`` gives a Bearer token (and an HttpOnly cookie for the browser)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import text

from agent_ui import serialize
from agent_ui.deps import CurrentUser, ServicesDep, unit_of_work
from agent_ui.schemas.work import LoginBody
from agent_ui.tokens import COOKIE_NAME
from domain.errors import AuthenticationRequired, StoreUnavailable
from store.models import utcnow
from store.repositories.audit import AuditLog
from store.repositories.users import UserRepository

router = APIRouter(tags=["auth"])


@router.post("/api/auth/login")
async def login(body: LoginBody, response: Response, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        user = await UserRepository(session).verify(body.username, body.password)
        if user is not None:
            AuditLog(session, user.id).record("login", "user", user.username)
    if user is None:
        raise AuthenticationRequired("wrong username or password")
    token = services.tokens.issue(user)
    response.set_cookie(
        COOKIE_NAME, token, max_age=int(services.tokens.ttl.total_seconds()), httponly=True,
        samesite="lax", secure=services.settings.public_url.startswith("https://"), path="/",
    )
    expires_at = (utcnow() + services.tokens.ttl).isoformat()
    return {"token": token, "token_type": "bearer", "expires_at": expires_at, "user": serialize.user(user)}


@router.post("/api/auth/logout")
async def logout(response: Response) -> dict[str, Any]:
    """Clears the browser's cookie (a Bearer token simply stops being sent)."""
    response.delete_cookie(COOKIE_NAME, path="/", httponly=True, samesite="lax")
    return {"ok": True}


@router.get("/api/auth/me")
async def me(user: CurrentUser) -> dict[str, Any]:
    return serialize.user(user)


@router.get("/api/health", tags=["health"])
async def health(services: ServicesDep) -> dict[str, str]:
    try:
        async with services.database.session() as session:
            await session.execute(text("SELECT 1"))
    except StoreUnavailable:
        raise
    except Exception as exc:
        raise StoreUnavailable("database check failed", {"database": type(exc).__name__}) from exc
    return {"status": "ok", "database": "ok"}
