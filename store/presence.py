"""Agent presence rows: the live state every worker, the dialer and the wallboard read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AgentPresence, User, utcnow


@dataclass(frozen=True, slots=True)
class AgentView:
    user_id: int
    username: str
    display_name: str
    role: str
    device: str | None
    queues: tuple[str, ...]
    state: str
    reason: str | None
    since: datetime
    call_id: str | None
    wrapup_until: datetime | None

    def to_json(self) -> dict[str, object]:
        return {
            "username": self.username, "display_name": self.display_name, "role": self.role,
            "device": self.device, "queues": list(self.queues), "state": self.state,
            "reason": self.reason, "since": self.since.isoformat(), "call_id": self.call_id,
            "wrapup_until": self.wrapup_until.isoformat() if self.wrapup_until else None,
        }


def _view(user: User, row: AgentPresence | None) -> AgentView:
    return AgentView(
        user_id=user.id, username=user.username, display_name=user.display_name, role=user.role.value,
        device=user.extension, queues=tuple(user.queues or ()),
        state=row.state if row else "logged_out", reason=row.reason if row else None,
        since=row.since if row else user.created_at, call_id=row.call_id if row else None,
        wrapup_until=row.wrapup_until if row else None,
    )


class PresenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def user_by_device(self, device: str) -> User | None:
        return (await self._s.execute(select(User).where(User.extension == device))).scalar_one_or_none()

    async def user_by_name(self, username: str) -> User | None:
        return (await self._s.execute(select(User).where(User.username == username))).scalar_one_or_none()

    async def view(self, user: User) -> AgentView:
        return _view(user, await self._s.get(AgentPresence, user.id, with_for_update=False))

    async def all_views(self, *, active_only: bool = True) -> list[AgentView]:
        query = select(User, AgentPresence).outerjoin(AgentPresence, AgentPresence.user_id == User.id)
        if active_only:
            query = query.where(User.active.is_(True), User.extension.is_not(None))
        rows = (await self._s.execute(query.order_by(User.username))).all()
        return [_view(user, row) for user, row in rows]

    async def set_state(
        self, user: User, state: str, *, reason: str | None = None, call_id: str | None = None,
        wrapup_until: datetime | None = None, worker_id: str | None = None,
        only_from: Sequence[str] | None = None, only_call: str | None = None,
    ) -> AgentView | None:
        """Move ``user`` to ``state``; with ``only_from``/``only_call`` only if the row matches.

        Returns the new view, or None when the condition did not hold (nothing changed).
        """
        row = await self._s.get(AgentPresence, user.id)
        if row is None:
            row = AgentPresence(user_id=user.id, state="logged_out", since=utcnow())
            self._s.add(row)
        if only_from is not None and row.state not in only_from:
            return None
        if only_call is not None and row.call_id != only_call:
            return None
        if state == "wrap_up" or (row.state in ("on_call", "wrap_up") and state == "ready"):
            row.last_call_ended_at = utcnow()
        changed = (row.state, row.reason, row.call_id) != (state, reason, call_id)
        row.state, row.reason, row.call_id, row.wrapup_until = state, reason, call_id, wrapup_until
        if changed:
            row.since = utcnow()
        if worker_id is not None:
            row.worker_id = worker_id
        await self._s.flush()
        return _view(user, row)

    async def on_call(self, call_id: str) -> list[User]:
        query = select(User).join(AgentPresence, AgentPresence.user_id == User.id).where(
            AgentPresence.call_id == call_id
        )
        return list((await self._s.execute(query)).scalars())

    async def claim_expired_wrapups(self, now: datetime) -> list[int]:
        """Atomically end wrap-ups whose time ran out; each row is claimed by one worker only."""
        result = await self._s.execute(
            update(AgentPresence)
            .where(AgentPresence.state == "wrap_up", AgentPresence.wrapup_until <= now)
            .values(state="ready", reason=None, call_id=None, wrapup_until=None, since=now,
                    last_call_ended_at=now)
            .returning(AgentPresence.user_id)
        )
        return [int(uid) for uid in result.scalars()]
