"""The agent state log: every presence change, and the reads of the agent activity report and the
call log (which agents a call rang, how long its wrap-up lasted).

An entry says "from ``at`` the agent was in ``state``" until the agent's next entry. Presence hands
every state it pushes to :meth:`StateLog.record`; ``at`` is the view's ``since``, which moves only
when the state, reason or call changed, so a view pushed twice is recorded once (one conditional
insert on the ring path, a :class:`~store.hot.HotStatement`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, Table, bindparam, cast, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from store.db import Database
from store.hot import HotStatement
from store.in_list import in_list
from store.models import AgentStateEntry, User
from store.repositories.presence import AgentView

_E = AgentStateEntry


def _insert_statement(postgres: bool) -> HotStatement:
    t: Table = _E.__table__  # type: ignore[assignment]
    # PostgreSQL types a bare parameter in a SELECT list as text: cast it (SQLite must not).
    values = [cast(bindparam(name, type_=t.c[name].type), t.c[name].type) if postgres
              else bindparam(name, type_=t.c[name].type) for name in ("user_id", "at", "state", "reason", "call_id")]
    seen = exists().where(_E.user_id == bindparam("user_id", type_=t.c.user_id.type),
                          _E.at == bindparam("at", type_=t.c.at.type))
    source = select(*values).where(~seen)
    return HotStatement(t.insert().from_select(["user_id", "at", "state", "reason", "call_id"], source))


class StateLog:
    """Writes the presence history (give :meth:`record` to the presence service)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._insert = _insert_statement(database.engine.dialect.name == "postgresql")

    async def record(self, view: AgentView) -> None:
        await self.record_state(view.user_id, view.since, view.state, view.reason, view.call_id)

    async def record_state(self, user_id: int, at: datetime, state: str, reason: str | None,
                           call_id: str | None) -> None:
        async with self._db.hot() as connection:
            await connection.fetch(self._insert, {"user_id": user_id, "at": at, "state": state, "reason": reason,
                                                  "call_id": call_id})


@dataclass(frozen=True, slots=True)
class Entry:
    user_id: int
    at: datetime
    state: str
    reason: str | None


async def entries(session: AsyncSession, since: datetime, until: datetime,
                  user_ids: Sequence[int] | None = None) -> list[Entry]:
    """Each user's entries in ``[since, until)`` and the last one before ``since`` (the state the
    range starts in), ordered by user and time."""
    before = (select(_E.user_id, func.max(_E.at).label("at")).where(_E.at < since).group_by(_E.user_id))
    inside = select(_E.user_id, _E.at, _E.state, _E.reason).where(_E.at >= since, _E.at < until)
    last = before.subquery()
    first = (select(_E.user_id, _E.at, _E.state, _E.reason)
             .join(last, (last.c.user_id == _E.user_id) & (last.c.at == _E.at)))
    if user_ids is not None:
        inside = inside.where(_E.user_id.in_(list(user_ids)))
        first = first.where(_E.user_id.in_(list(user_ids)))
    rows = [*(await session.execute(first)).tuples(), *(await session.execute(inside)).tuples()]
    found = {(uid, at): Entry(uid, at, state, reason) for uid, at, state, reason in rows}
    return sorted(found.values(), key=lambda e: (e.user_id, e.at))


@dataclass(frozen=True, slots=True)
class CallLegs:
    """What the state log knows about calls: the agents each rang, and each agent's wrap-up."""

    rang: dict[str, list[str]]  # call_id -> usernames, in ringing order
    wrapup_seconds: dict[str, int]  # call_id -> seconds of wrap-up (summed over its agents)


def _legs_statement() -> Select[str | None, str, datetime, str, datetime]:
    """Each call's ringing and wrap-up entries, with the agent's next entry's time (the wrap-up's end)."""
    after = aliased(_E)
    next_at = (select(func.min(after.at)).where(after.user_id == _E.user_id, after.at > _E.at)
               .correlate(_E).scalar_subquery())
    return (select(_E.call_id, _E.state, _E.at, User.username, next_at)
            .join(User, User.id == _E.user_id)
            .where(in_list(_E.call_id, "call_ids"), _E.state.in_(("ringing", "wrap_up")))
            .order_by(_E.at, _E.id))


_LEGS = _legs_statement()  # built once: building it cost more CPU than running it


async def call_legs(session: AsyncSession, call_ids: Sequence[str], now: datetime) -> CallLegs:
    if not call_ids:
        return CallLegs({}, {})
    rows = await session.execute(_LEGS, {"call_ids": list(call_ids)})
    rang: dict[str, list[str]] = {}
    wrap: dict[str, int] = {}
    for call_id, state, at, username, ended in rows:
        assert call_id is not None
        if state == "ringing":
            names = rang.setdefault(call_id, [])
            if username not in names:
                names.append(username)
        else:
            end = ended if ended is not None else now
            wrap[call_id] = wrap.get(call_id, 0) + max(0, int((end - at).total_seconds()))
    return CallLegs(rang, wrap)
