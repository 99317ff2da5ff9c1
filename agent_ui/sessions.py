"""Sessions that end: sign-out, a new password, a new role and deactivation end a user's tokens.

Every token carries the ``token_version`` its user had when it was issued (:mod:`agent_ui.tokens`).
:meth:`store.repositories.users.UserRepository.end_sessions` bumps the stored version, so that
every older token is refused from then on: on every REST request (:func:`agent_ui.deps.current_user`
checks the account, its role and the version in the store) and when a socket opens
(:func:`user_for_token`: the socket takes the role from the store, never from the token).

Open sockets: the change is published as :class:`~domain.events.SessionsRevoked` once committed;
:class:`SessionGuard` (one per worker, in a per-worker bus group, so every worker hears every
revocation) closes that user's older sockets with 4401 at once. As a safety net, should the bus
lose the event, the guard also re-checks the accounts behind its open sockets every
``recheck_seconds`` and closes the sockets whose account changed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select

from agent_ui.services import Services
from agent_ui.tokens import Claims
from domain.errors import SwitchboardError
from domain.events import SessionsRevoked
from store.db import Database
from store.models import Role, User

log = logging.getLogger(__name__)

CLOSE_CODE = 4401  # the pages sign in again
RECHECK_SECONDS = 30.0
WALLBOARD_ROLES = (Role.SUPERVISOR.value, Role.ADMIN.value)


def token_matches(user: User | None, claims: Claims) -> bool:
    """The token still speaks for ``user``: the account exists, is active, has the token's name and
    has not ended its sessions since the token was issued."""
    return (user is not None and user.active and user.username == claims.username
            and claims.version == (user.token_version or 0))


def revoked_event(user: User, reason: str) -> SessionsRevoked:
    return SessionsRevoked(user_id=user.id, username=user.username, token_version=user.token_version or 0,
                           reason=reason)


@dataclass(frozen=True, slots=True)
class SocketOwner:
    """Who a socket was opened for, and with which token version and stream."""

    user_id: int
    username: str
    role: str
    version: int
    stream: str  # "agent" or "wallboard"


Closer = Callable[[int, str], Awaitable[None]]


class SessionGuard:
    """Tracks this worker's open sockets by owner and closes those whose session ended.

    A :class:`agent_ui.services.Component`: ``start`` subscribes to ``SessionsRevoked`` in a group
    of this worker's own and starts the re-check loop; the socket route calls :meth:`track`.
    """

    name = "sessions"

    def __init__(self, recheck_seconds: float = RECHECK_SECONDS) -> None:
        self.recheck_seconds = recheck_seconds
        self._open: dict[int, tuple[SocketOwner, Closer]] = {}  # id(socket) -> owner, close
        self._database: Database | None = None
        self._group: str | None = None
        self._task_name = ""

    # ---- the sockets ----------------------------------------------------------------------
    def track(self, key: int, owner: SocketOwner, close: Closer) -> None:
        self._open[key] = (owner, close)

    def untrack(self, key: int) -> None:
        self._open.pop(key, None)

    def __len__(self) -> int:
        return len(self._open)

    async def _close(self, keys: Iterable[int], reason: str) -> int:
        closing = [self._open.pop(key) for key in list(keys) if key in self._open]

        async def close(entry: tuple[SocketOwner, Closer]) -> None:
            owner, closer = entry
            try:
                await asyncio.wait_for(closer(CLOSE_CODE, reason), 1.0)
            except Exception:  # already closing, or the peer went away
                log.debug("closing %s's socket failed", owner.username, exc_info=True)

        await asyncio.gather(*(close(entry) for entry in closing))
        if closing:
            log.info("closed %d socket(s): %s", len(closing), reason)
        return len(closing)

    async def on_revoked(self, event: SessionsRevoked) -> None:
        """Close this worker's sockets of ``event.user_id`` opened with an older token."""
        keys = [key for key, (owner, _) in self._open.items()
                if owner.user_id == event.user_id and owner.version < event.token_version]
        await self._close(keys, f"session ended ({event.reason})")

    async def recheck(self) -> int:
        """Close the sockets whose account changed (version, active, role); the number closed."""
        if self._database is None or not self._open:
            return 0
        ids = sorted({owner.user_id for owner, _ in self._open.values()})
        async with self._database.session() as session:
            rows = (await session.execute(select(User.id, User.token_version, User.active, User.role)
                                          .where(User.id.in_(ids)))).tuples().all()
        accounts = {uid: (version or 0, active, role.value) for uid, version, active, role in rows}
        stale = []
        for key, (owner, _) in list(self._open.items()):
            account = accounts.get(owner.user_id)
            if (account is None or not account[1] or account[0] != owner.version
                    or (owner.stream == "wallboard" and account[2] not in WALLBOARD_ROLES)):
                stale.append(key)
        return await self._close(stale, "session ended")

    # ---- the component --------------------------------------------------------------------
    async def start(self, services: Services) -> None:
        self._database = services.database
        services.sessions = self
        if services.bus is not None:
            self._group = f"session-revocations:{services.settings.worker_id}"
            services.bus.subscribe(SessionsRevoked, self.on_revoked, group=self._group)
        self._task_name = f"session-recheck-{id(self):x}"

        async def loop() -> None:
            while True:
                await asyncio.sleep(self.recheck_seconds)
                try:
                    await self.recheck()
                except SwitchboardError as exc:  # the store is down: try again next time
                    log.warning("session re-check failed: %s", exc.message)

        services.supervisor.spawn(self._task_name, loop)

    async def stop(self, services: Services) -> None:
        await services.supervisor.cancel(self._task_name)
        if services.bus is not None and self._group is not None:
            try:
                await services.bus.leave(self._group)
            except Exception:
                log.warning("leaving %s failed", self._group, exc_info=True)
        if services.sessions is self:
            services.sessions = None
        self._open.clear()


def session_guard(services: Services | None) -> SessionGuard | None:
    return services.sessions if services is not None else None


async def user_for_token(services: Services, token: str) -> tuple[User, Claims] | None:
    """The active user a token still speaks for, read from the store; None otherwise."""
    try:
        claims = services.tokens.decode(token)
    except SwitchboardError:
        return None
    return await user_for_claims(services, claims)


async def user_for_claims(services: Services, claims: Claims) -> tuple[User, Claims] | None:
    """The active user decoded claims (a token's or a socket ticket's) still speak for; None otherwise."""
    try:
        async with services.database.session() as session:
            user = await session.get(User, claims.user_id)
    except SwitchboardError:
        return None
    if user is None or not token_matches(user, claims):
        return None
    return user, claims
