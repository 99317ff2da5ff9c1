"""Agent presence rows: the live state every worker, the dialer and the wallboard read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Executable, bindparam, case, cast, literal, null, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from domain.agent_state import (
    TRANSITIONS,
    WITH_A_CALL,
    AgentEvent,
    AgentState,
    Move,
    ends_call_from,
    sources,
    transition,
)
from store.hot import HotConnection, HotStatement
from store.models import AgentPresence, Role, User, utcnow


@dataclass(frozen=True, slots=True)
class AgentView:
    user_id: int
    username: str
    display_name: str
    role: str
    device: str | None
    queues: tuple[str, ...]
    state: AgentState
    reason: str | None
    since: datetime
    call_id: str | None
    wrapup_until: datetime | None

    def to_json(self) -> dict[str, object]:
        return {
            "username": self.username, "display_name": self.display_name, "role": self.role,
            "device": self.device, "queues": list(self.queues), "state": self.state.value,
            "reason": self.reason, "since": self.since.isoformat(), "call_id": self.call_id,
            "wrapup_until": self.wrapup_until.isoformat() if self.wrapup_until else None,
        }


@dataclass(frozen=True, slots=True)
class AgentIdentity:
    """The user fields an :class:`AgentView` shows (what a device -> agent cache keeps)."""

    user_id: int
    username: str
    display_name: str
    role: str
    device: str | None
    queues: tuple[str, ...]
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> AgentIdentity:
        return cls(user.id, user.username, user.display_name, user.role.value, user.extension,
                   tuple(user.queues or ()), user.created_at)


@dataclass(frozen=True, slots=True)
class PresenceRow:
    user_id: int
    state: AgentState
    reason: str | None
    since: datetime
    call_id: str | None
    wrapup_until: datetime | None

    def view(self, who: AgentIdentity) -> AgentView:
        return AgentView(
            user_id=who.user_id, username=who.username, display_name=who.display_name, role=who.role,
            device=who.device, queues=who.queues, state=self.state, reason=self.reason, since=self.since,
            call_id=self.call_id, wrapup_until=self.wrapup_until,
        )


_ROW = (AgentPresence.user_id, AgentPresence.state, AgentPresence.reason, AgentPresence.since,
        AgentPresence.call_id, AgentPresence.wrapup_until)
_IDENTITY = (User.id, User.username, User.display_name, User.role, User.extension, User.queues, User.created_at)


def _view(user: User, row: AgentPresence | None) -> AgentView:
    return AgentView(
        user_id=user.id, username=user.username, display_name=user.display_name, role=user.role.value,
        device=user.extension, queues=tuple(user.queues or ()),
        state=AgentState(row.state) if row else AgentState.LOGGED_OUT, reason=row.reason if row else None,
        since=row.since if row else user.created_at, call_id=row.call_id if row else None,
        wrapup_until=row.wrapup_until if row else None,
    )


class PresenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def identity_by_device(self, device: str) -> AgentIdentity | None:
        return await identity_by_device(await self._s.connection(), device)

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
        self, user: User, event: AgentEvent, *, code: str | None = None, call_id: str | None = None,
        wrapup_until: datetime | None = None, worker_id: str | None = None,
    ) -> tuple[AgentView, Move] | None:
        """Move ``user`` as ``event`` does from their state now (domain.agent_state.TRANSITIONS).

        ``code``: the pause code of a move to paused; ``call_id``: the event's call (kept by a move
        to a state with a call, and the agent's current call when the move wants the same call);
        ``wrapup_until``: when a move to wrap-up ends. Returns the new view and the move made, or
        None when the table has no move from here (nothing changed).
        """
        row = await self._s.get(AgentPresence, user.id)
        if row is None:
            row = AgentPresence(user_id=user.id, state=AgentState.LOGGED_OUT.value, since=utcnow())
            self._s.add(row)
        move = transition(row.state, event)
        if move is None or (move.same_call and row.call_id != call_id):
            return None
        if move.ends_call:
            row.last_call_ended_at = utcnow()
        state = move.to.value
        reason = code if move.to is AgentState.PAUSED else (move.reason.value if move.reason else None)
        call_id = call_id if move.to in WITH_A_CALL else None
        changed = (row.state, row.reason, row.call_id) != (state, reason, call_id)
        row.state, row.reason, row.call_id = state, reason, call_id
        row.wrapup_until = wrapup_until if move.to is AgentState.WRAP_UP else None
        if changed:
            row.since = utcnow()
        if worker_id is not None:
            row.worker_id = worker_id
        await self._s.flush()
        return _view(user, row), move

    async def on_call(self, call_id: str) -> list[User]:
        query = select(User).join(AgentPresence, AgentPresence.user_id == User.id).where(
            AgentPresence.call_id == call_id
        )
        return list((await self._s.execute(query)).scalars())

    async def claim_expired_wrapups(self, now: datetime) -> tuple[Move, list[int]]:
        """Atomically end wrap-ups whose time ran out (the table's WRAP_UP_EXPIRED move, from the
        states it lists); each row is claimed by one worker only. Returns the move and the users."""
        p, event = AgentPresence, AgentEvent.WRAP_UP_EXPIRED
        move = _one_move(event)
        ended: Any = now if ends_call_from(event) else p.last_call_ended_at
        result = await self._s.execute(
            update(p)
            .where(p.state.in_([s.value for s in sources(event)]), p.wrapup_until <= now)
            .values(state=move.to.value, reason=None, call_id=None, wrapup_until=None, since=now,
                    last_call_ended_at=ended)
            .returning(p.user_id)
        )
        return move, [int(uid) for uid in result.scalars()]


def _one_move(event: AgentEvent) -> Move:
    """The move ``event`` makes, for one statement to encode: every source state must move the
    agent to the same state with no reason (a pause code or wrap-up needs the ORM path)."""
    moves = [TRANSITIONS[state][event] for state in sources(event)]
    assert moves and len({m.to for m in moves}) == 1 and all(m.reason is None for m in moves), event
    return moves[0]


# -- the ring path: Core statements on a connection, built once per shape ------------------------
_IDENTITY_BY_DEVICE = select(*_IDENTITY).where(User.extension == bindparam("device")).limit(1)
_MOVES: dict[tuple[str, AgentEvent], HotStatement] = {}


_ALL_IDENTITIES = select(*_IDENTITY).where(User.extension.is_not(None))


def _identity(found: Any) -> AgentIdentity:
    uid, username, display_name, role, extension, queues, created_at = found
    return AgentIdentity(uid, username, display_name, Role(role).value, extension, tuple(queues or ()), created_at)


async def identity_by_device(connection: AsyncConnection, device: str) -> AgentIdentity | None:
    found = (await connection.execute(_IDENTITY_BY_DEVICE, {"device": device})).first()
    return None if found is None else _identity(found)


async def all_identities(connection: AsyncConnection) -> list[AgentIdentity]:
    """Every user with an extension (the device directory, in one query)."""
    return [_identity(found) for found in await connection.execute(_ALL_IDENTITIES)]


async def move_device(
    connection: HotConnection, device: str, event: AgentEvent, *, call_id: str | None = None, now: datetime,
) -> PresenceRow | None:
    """Move the agent whose extension is ``device`` as ``event`` does (a carrier event: no pause
    code, no wrap-up), in one conditional statement whose allowed "from" states are the table's
    (:func:`domain.agent_state.sources`); None when nothing changed.

    The same rules as :meth:`PresenceRepository.set_state`: ``since`` moves only when state,
    reason or call change; a move that ends a call stamps ``last_call_ended_at``. An agent with no
    row is logged out: when the event moves a logged-out agent the row is created (INSERT ... ON
    CONFLICT DO UPDATE ... WHERE), otherwise it is a plain UPDATE ... WHERE.
    """
    key = (connection.dialect, event)
    stmt = _MOVES.get(key)
    if stmt is None:
        stmt = _MOVES[key] = HotStatement(_move_statement(*key))
    found = await connection.fetchrow(stmt, {"device": device, "call_id": call_id, "now": now})
    if found is None:
        return None
    user_id, state, *rest = found
    return PresenceRow(user_id, AgentState(state), *rest)


def _move_statement(dialect: str, event: AgentEvent) -> Executable:
    p = AgentPresence
    state = _one_move(event).to.value
    only_from, ending = [s.value for s in sources(event)], [s.value for s in ends_call_from(event)]
    now = bindparam("now", type_=p.since.type)
    call_id = bindparam("call_id", type_=p.call_id.type)
    changed = or_(p.state != state, p.reason.is_not(None), p.call_id.is_distinct_from(call_id))
    ended: Any = p.last_call_ended_at
    if ending:
        ended = now if set(ending) == set(only_from) else case((p.state.in_(ending), now), else_=ended)
    new = {"state": state, "reason": None, "call_id": call_id, "wrapup_until": None,
           "since": case((changed, now), else_=p.since), "last_call_ended_at": ended}
    allowed = p.state.in_(only_from)
    device = bindparam("device", type_=User.extension.type)
    if AgentState.LOGGED_OUT.value not in only_from:
        user_id = select(User.id).where(User.extension == device).limit(1).scalar_subquery()
        return update(p).where(p.user_id == user_id, allowed).values(new).returning(*_ROW)
    postgres = dialect == "postgresql"
    first: dict[str, Any] = {"state": literal(state, p.state.type), "reason": null(), "since": now,
                             "call_id": call_id, "wrapup_until": null(),
                             "last_call_ended_at": now if AgentState.LOGGED_OUT.value in ending else null()}
    # PostgreSQL types a bare parameter or NULL in a SELECT list as text: cast it. SQLite must not
    # (CAST(... AS DATETIME) makes a number of the stored text).
    source = select(User.id, *(cast(v, getattr(p, k).type) if postgres else v for k, v in first.items()))
    insert = postgresql.insert if postgres else sqlite.insert
    stmt = insert(p).from_select(["user_id", *first], source.where(User.extension == device).limit(1))
    return stmt.on_conflict_do_update(index_elements=[p.user_id], set_=new, where=allowed).returning(*_ROW)
