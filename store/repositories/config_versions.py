"""Versions of the editable lists in the database: the newest of each list is the one in force.

Versions are numbered 1, 2, 3 ... per list. Two admins saving at once both read the same newest
number; the unique ``(name, version)`` makes the second insert fail, and :meth:`add` answers that
with :class:`Conflict` ("someone saved a newer version"), so no save is silently lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.errors import Conflict, NotFound
from store.models import ConfigVersion, User


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """A version without its document (the versions list)."""

    name: str
    version: int
    comment: str
    author: str | None
    created_at: datetime
    restored_from: int | None


class ConfigVersionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def newest(self, names: Iterable[str]) -> dict[str, ConfigVersion]:
        """The version in force of each named list that has one."""
        wanted = list(names)
        top = (select(ConfigVersion.name, func.max(ConfigVersion.version).label("version"))
               .where(ConfigVersion.name.in_(wanted)).group_by(ConfigVersion.name).subquery())
        rows = await self.session.scalars(
            select(ConfigVersion).join(top, (top.c.name == ConfigVersion.name)
                                       & (top.c.version == ConfigVersion.version)))
        return {row.name: row for row in rows.all()}

    async def stamp(self) -> int:
        """A number that grows with every save (the newest row id): a cheap "anything new?" check."""
        return int(await self.session.scalar(select(func.coalesce(func.max(ConfigVersion.id), 0))) or 0)

    async def versions(self, name: str) -> list[VersionInfo]:
        """Newest first."""
        author = aliased(User)
        rows = await self.session.execute(
            select(ConfigVersion.name, ConfigVersion.version, ConfigVersion.comment, author.username,
                   ConfigVersion.created_at, ConfigVersion.restored_from)
            .outerjoin(author, author.id == ConfigVersion.created_by_id)
            .where(ConfigVersion.name == name).order_by(ConfigVersion.version.desc()))
        return [VersionInfo(*row) for row in rows.tuples()]

    async def get(self, name: str, version: int) -> ConfigVersion:
        row = await self.session.scalar(
            select(ConfigVersion).where(ConfigVersion.name == name, ConfigVersion.version == version))
        if row is None:
            raise NotFound(f"{name} has no version {version}", {"version": str(version)})
        return row

    async def add(self, name: str, document: Mapping[str, Any], text: str, *, comment: str,
                  author_id: int | None, at: datetime, expected: int | None = None,
                  restored_from: int | None = None) -> ConfigVersion:
        """Store the next version of ``name``. ``expected``: the version the editor started from;
        if a newer one was saved meanwhile, Conflict (the editor reloads instead of overwriting)."""
        current = int(await self.session.scalar(
            select(func.coalesce(func.max(ConfigVersion.version), 0)).where(ConfigVersion.name == name)) or 0)
        if expected is not None and expected != current:
            raise Conflict(f"{name} was changed meanwhile: version {current} is newer than {expected}",
                           {"version": f"the newest version is {current}; reload and edit it"})
        row = ConfigVersion(name=name, version=current + 1, document=dict(document), text=text,
                            comment=comment, created_by_id=author_id, created_at=at, restored_from=restored_from)
        try:
            async with self.session.begin_nested():
                self.session.add(row)
                await self.session.flush()
        except IntegrityError as exc:
            raise Conflict(f"{name} was saved by someone else at the same moment",
                           {"version": "reload the list and edit the newest version"}) from exc
        return row
