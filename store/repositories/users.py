"""Users: argon2 password hashes, sign-in checks, lookups by username, id and phone extension."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Conflict, InvalidInput, NotFound
from store.models import Role, User

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 8


@cache
def dummy_hash() -> str:
    """Verified when the username is unknown, so a miss costs as much time as a wrong password.
    Made at the first use, not at import (an argon2 hash is ~50 ms of CPU)."""
    return _HASHER.hash("switchboard-dummy-password")


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password too short", {"password": f"at least {MIN_PASSWORD} characters"})
    return _HASHER.hash(password)


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_password(stored_hash: str | None, password: str) -> bool:
    """Blocking argon2 check (run it off the event loop); an unknown user (None) costs the same."""
    return _verify(stored_hash or dummy_hash(), password) and stored_hash is not None


def parse_role(value: str | Role, field: str = "role") -> Role:
    try:
        return Role(value)
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise InvalidInput(f"unknown role {value!r}", {field: f"expected one of: {choices}"}) from exc


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def create(
        self,
        username: str,
        password: str,
        role: str | Role = Role.AGENT,
        display_name: str | None = None,
        extension: str | None = None,
        queues: Sequence[str] = (),
        active: bool = True,
    ) -> User:
        """Add a user (flushed). InvalidInput names a bad field; Conflict on a taken name/extension."""
        name = username.strip().lower()
        if not _USERNAME.match(name):
            raise InvalidInput("A username is 2 to 64 characters: lower-case letters, digits, '.', '_' or '-'.",
                               {"username": "must be 2 to 64 of a-z, 0-9, '.', '_' or '-'"})
        if await self.get(name) is not None:
            raise Conflict(f"There is already a user named {name}.", {"username": "already taken"})
        await self._check_extension_free(extension, None)
        user = User(
            username=name, display_name=(display_name or name).strip() or name, role=parse_role(role),
            password_hash=await asyncio.to_thread(hash_password, password), extension=extension or None,
            queues=list(queues), active=active,
        )
        self.session.add(user)
        await self.session.flush()
        return user

    async def update(
        self,
        user: User,
        *,
        role: str | Role | None = None,
        display_name: str | None = None,
        extension: str | None = None,
        clear_extension: bool = False,
        queues: Sequence[str] | None = None,
        password: str | None = None,
        active: bool | None = None,
        unlock: bool = False,
    ) -> User:
        if unlock:
            user.failed_logins, user.locked_until = 0, None
        ends_sessions = False  # a new role, password or active flag ends every token issued before
        if role is not None and parse_role(role) != user.role:
            user.role = parse_role(role)
            ends_sessions = True
        if display_name is not None:
            user.display_name = display_name.strip() or user.username
        if clear_extension:
            user.extension = None
        elif extension is not None:
            await self._check_extension_free(extension, user.id)
            user.extension = extension
        if queues is not None:
            user.queues = list(queues)
        if password is not None:
            user.password_hash = await asyncio.to_thread(hash_password, password)
            user.failed_logins, user.locked_until = 0, None
            ends_sessions = True
        if active is not None and active != user.active:
            user.active = active
            ends_sessions = True
        if ends_sessions:
            self.end_sessions(user)
        await self.session.flush()
        return user

    def end_sessions(self, user: User) -> int:
        """Every token issued to ``user`` so far stops working; the new token version."""
        user.token_version = (user.token_version or 0) + 1
        return user.token_version

    async def _check_extension_free(self, extension: str | None, user_id: int | None) -> None:
        if not extension:
            return
        holder = await self.by_extension(extension)
        if holder is not None and holder.id != user_id:
            raise Conflict(f"extension {extension!r} belongs to {holder.username!r}",
                           {"extension": "already used by another user"})

    async def verify(self, username: str, password: str) -> User | None:
        """The active user when the password matches, else None (same cost either way)."""
        user = await self.get(username.strip().lower())
        stored = user.password_hash if user is not None else dummy_hash()
        ok = await asyncio.to_thread(_verify, stored, password)
        if user is None or not ok or not user.active:
            return None
        return user

    async def get(self, username: str) -> User | None:
        found: User | None = await self.session.scalar(select(User).where(User.username == username))
        return found

    async def require(self, username: str) -> User:
        user = await self.get(username)
        if user is None:
            raise NotFound(f"no user {username!r}", {"username": username})
        return user

    async def by_id(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def by_extension(self, extension: str) -> User | None:
        found: User | None = await self.session.scalar(select(User).where(User.extension == extension))
        return found

    async def active_admins(self) -> int:
        """How many active admins there are (the last one may not go)."""
        return int(await self.session.scalar(select(func.count()).select_from(User)
                                             .where(User.role == Role.ADMIN, User.active.is_(True))) or 0)

    async def list(self) -> list[User]:
        return list((await self.session.scalars(select(User).order_by(User.username))).all())
