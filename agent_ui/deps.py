"""Request dependencies: the services, a committed unit of work, the signed-in user and roles."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Path, Query, Request
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent_ui.services import Services
from agent_ui.sessions import token_matches
from agent_ui.tokens import COOKIE_NAME
from domain.errors import AuthenticationRequired, Conflict, InvalidInput, PermissionDenied, StoreUnavailable
from store.models import Role, User

log = logging.getLogger(__name__)
MAX_DB_INT = 2_147_483_647
Id = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def get_services(request: Request) -> Services:
    services: Services | None = getattr(request.app.state, "services", None)
    if services is None:
        raise StoreUnavailable("the application is not started")
    return services


async def services_of(request: Request) -> Services:
    """:func:`get_services` as a dependency. A plain ``def`` dependency is run in the thread pool
    (a thread hand-off and back on every request, ~0.5 ms of CPU); an ``async def`` one is not."""
    return get_services(request)


ServicesDep = Annotated[Services, Depends(services_of)]


@asynccontextmanager
async def unit_of_work(services: Services) -> AsyncIterator[AsyncSession]:
    """A session committed when the block ends (before the route returns its 2xx).

    Database errors that are the client's doing become 409/422 in the one error shape.
    """
    try:
        async with services.database.session() as session:
            yield session
    except IntegrityError as exc:  # the database's own words stay in the log, never in the answer
        log.info("refused by the database (conflict): %s", str(exc.orig)[:300])
        raise Conflict("the change conflicts with stored data", {"reason": "conflicts with stored data"}) from exc
    except DataError as exc:
        log.info("refused by the database (data): %s", str(exc.orig)[:300])
        raise InvalidInput("a value is out of range for the store", {"body": "a value is out of range"}) from exc


T = TypeVar("T")


async def twice_on_conflict(work: Callable[[], Awaitable[T]]) -> T:
    """For writes idempotent on a key: when a concurrent request stored the same key first, this
    one's insert conflicts; the second try finds the stored row and answers with it."""
    try:
        return await work()
    except Conflict:
        return await work()


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.cookies.get(COOKIE_NAME) or None


async def current_user(request: Request, services: ServicesDep) -> User:
    """The signed-in, active user (401 otherwise). The role comes from the store, not the token,
    and a token whose session ended (sign-out, password, role, deactivation) is refused."""
    token = bearer_token(request)
    if token is None:
        raise AuthenticationRequired("sign in first: send a Bearer token")
    claims = services.tokens.decode(token)
    async with unit_of_work(services) as session:
        user = await session.get(User, claims.user_id)
    if user is None or not user.active or user.username != claims.username:
        raise AuthenticationRequired("the account is unknown or disabled")
    if not token_matches(user, claims):
        raise AuthenticationRequired("the session has ended; sign in again")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require_role(*roles: Role) -> Callable[[User], Coroutine[Any, Any, User]]:
    async def check(user: CurrentUser) -> User:
        if user.role not in roles:
            raise PermissionDenied(f"needs role {' or '.join(r.value for r in roles)}",
                                   {"role": user.role.value})
        return user
    return check


SupervisorUser = Annotated[User, Depends(require_role(Role.SUPERVISOR, Role.ADMIN))]
AdminUser = Annotated[User, Depends(require_role(Role.ADMIN))]


def sees_all(user: User) -> bool:
    return user.role in (Role.SUPERVISOR, Role.ADMIN)
