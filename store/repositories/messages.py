"""Messages: the conversation, the outbox's claims and outcomes, reports matched by provider id.

Claims are one statement: ``UPDATE ... WHERE id IN (SELECT ... LIMIT n) AND status = 'queued'
RETURNING`` (on PostgreSQL the ids come from a materialized ``SELECT ... LIMIT n FOR UPDATE SKIP
LOCKED``); on PostgreSQL concurrent claimers skip each other's rows, on SQLite the single writer
serialises them and the status check keeps each row to one claimer.
Every outcome is a conditional update (the row is still ours, or the move is forward), so a
report, a lookup and the worker can race and the message still ends in one right status.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Integer, Select, Table, Update, bindparam, column, func, select, update
from sqlalchemy import values as values_list
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from domain.message_status import BLOCKED, QUEUED, SENDING, UNKNOWN, report_moves_from
from store.models import Loan, Message, PromiseStatus, PromiseToPay


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


class MessageRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Message) -> Message:
        self.session.add(message)
        await self.session.flush()
        return message

    async def get(self, message_id: int) -> Message | None:
        return await self.session.get(Message, message_id)

    async def conversation(self, customer_id: int, *, limit: int = 100, offset: int = 0) -> list[Message]:
        """Both ways, newest first."""
        rows = await self.session.scalars(
            select(Message).where(Message.customer_id == customer_id)
            .order_by(Message.created_at.desc(), Message.id.desc()).offset(offset).limit(limit))
        return list(rows.all())

    async def by_provider_id(self, provider: str, provider_message_id: str) -> Message | None:
        return await self.session.scalar(select(Message).where(
            Message.provider == provider, Message.provider_message_id == provider_message_id))

    async def oldest_unknown_to(self, provider: str, to_address: str, since: datetime) -> Message | None:
        """An ``unknown`` message to this number through this provider (a report that names an id
        we never received: the answer to our request was lost)."""
        return await self.session.scalar(
            select(Message).where(Message.status == UNKNOWN, Message.provider == provider,
                                  Message.to_address == to_address, Message.provider_message_id.is_(None),
                                  Message.created_at >= since)
            .order_by(Message.id).limit(1))

    async def unknown_with_ids(self, provider: str, limit: int = 100) -> list[Message]:
        rows = await self.session.scalars(
            select(Message).where(Message.status == UNKNOWN, Message.provider == provider,
                                  Message.provider_message_id.is_not(None))
            .order_by(Message.id).limit(limit))
        return list(rows.all())

    async def claim(self, worker: str, now: datetime, limit: int, channels: Sequence[str]) -> list[Message]:
        """Take up to ``limit`` due ``queued`` messages of ``channels`` for ``worker`` (``sending``).

        On PostgreSQL the rows are picked in a ``MATERIALIZED`` CTE, run once. Inside
        ``UPDATE ... WHERE id IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)`` the planner may run
        the subquery again for each row it updates, and every run skips the rows just taken and
        locks the next ``n``: one claim took every queued message (320 with ``limit`` 32), and the
        sender then had all of them in flight at once."""
        ids: Select[int] = (
            select(Message.id).where(Message.status == QUEUED, Message.not_before <= now,
                                     Message.channel.in_(list(channels)))
            .order_by(Message.priority, Message.id).limit(limit))
        if _postgres(self.session):
            picked = ids.with_for_update(skip_locked=True).cte("picked").prefix_with("MATERIALIZED")
            chosen = Message.id == picked.c.id
        else:
            chosen = Message.id.in_(ids.scalar_subquery())
        statement = (update(Message).where(chosen, Message.status == QUEUED)
                     .values(status=SENDING, worker=worker, claimed_at=now, attempts=Message.attempts + 1,
                             updated_at=now).returning(Message))
        claimed = await self.session.scalars(statement, execution_options={"synchronize_session": False})
        return sorted(claimed.all(), key=lambda m: (m.priority, m.id))

    async def finish_many(self, worker: str, outcomes: Sequence[tuple[int, dict[str, Any]]]) -> set[int]:
        """Write the outcomes of ``worker``'s sends (message id, the columns to set), each only where
        the message is still ``worker``'s ``sending`` one; the ids written. One statement for all
        the outcomes that set the same columns (a pass's outcomes mostly do): ``UPDATE ... FROM
        unnest(the ids, each column's values)`` on PostgreSQL (one text whatever their number),
        ``WITH v(...) AS (VALUES ...) UPDATE ... FROM v`` elsewhere."""
        groups: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = {}
        for message_id, values in outcomes:
            groups.setdefault(tuple(sorted(values)), []).append((message_id, values))
        written: set[int] = set()
        for keys, rows in groups.items():
            if _postgres(self.session):
                statement, params = _finish_unnest(keys), {
                    "worker": worker, "ids": [message_id for message_id, _ in rows],
                    **{f"v_{key}": [values[key] for _, values in rows] for key in keys}}
                result = await self.session.execute(statement, params)
            else:
                result = await self.session.execute(_finish_values(worker, keys, rows))
            written.update(result.scalars().all())
        return written

    async def report(self, message_id: int, status: str, values: dict[str, Any]) -> bool:
        """Move a message forward to ``status`` (a delivery report or a lookup); False when its
        status is already that or beyond (a repeated or late report changes nothing)."""
        result = await self.session.execute(
            update(Message).where(Message.id == message_id, Message.status.in_(report_moves_from(status)))
            .values(status=status, **values), execution_options={"synchronize_session": False})
        return bool(getattr(result, "rowcount", 0))

    async def requeue_unknown(self, message_id: int, now: datetime, reason: str) -> bool:
        """The provider says it never took the message: it may be sent again."""
        result = await self.session.execute(
            update(Message).where(Message.id == message_id, Message.status == UNKNOWN)
            .values(status=QUEUED, not_before=now, provider=None, provider_message_id=None, reason=reason,
                    updated_at=now), execution_options={"synchronize_session": False})
        return bool(getattr(result, "rowcount", 0))

    async def block_queued(self, customer_id: int, channel: str, rule: str, reason: str, now: datetime) -> int:
        """The customer's ``queued`` messages of ``channel`` become ``blocked`` (consent revoked)."""
        result = await self.session.execute(
            update(Message).where(Message.customer_id == customer_id, Message.channel == channel,
                                  Message.status == QUEUED, Message.direction == "outbound")
            .values(status=BLOCKED, rule=rule, reason=reason[:500], updated_at=now),
            execution_options={"synchronize_session": False})
        return int(getattr(result, "rowcount", 0) or 0)

    async def expire_claims(self, now: datetime, claimed_before: datetime) -> list[Message]:
        """``sending`` rows whose worker never wrote back: they may have gone out, so ``unknown``."""
        rows = await self.session.scalars(
            update(Message).where(Message.status == SENDING, Message.claimed_at < claimed_before)
            .values(status=UNKNOWN, updated_at=now,
                    reason="the sending worker stopped before the provider answered; it may have gone out")
            .returning(Message), execution_options={"synchronize_session": False})
        return list(rows.all())

    async def bulk_counts(self, bulk_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(Message.status, func.count()).where(Message.bulk_id == bulk_id).group_by(Message.status))
        return {status: count for status, count in rows.tuples().all()}

    async def queued_backlog(self) -> int:
        return int(await self.session.scalar(select(func.count()).where(Message.status == QUEUED)) or 0)


# Core statements on the table (the outcomes need no ORM objects back: the ORM's bulk-update
# machinery around each statement cost more CPU than building it)
_TABLE: Table = Message.__table__  # type: ignore[assignment]
_COLUMNS = _TABLE.c


@cache
def _finish_unnest(keys: tuple[str, ...]) -> Update:
    """PostgreSQL: the outcomes as arrays, one per column (built once per set of columns)."""
    arrays = [bindparam("ids", type_=ARRAY(Integer))] + [
        bindparam(f"v_{key}", type_=ARRAY(_COLUMNS[key].type)) for key in keys]
    rows = func.unnest(*arrays).table_valued("id", *keys).render_derived(name="v")
    return (update(_TABLE).where(_COLUMNS.id == rows.c.id, _COLUMNS.status == SENDING,
                                 _COLUMNS.worker == bindparam("worker"))
            .values({key: rows.c[key] for key in keys}).returning(_COLUMNS.id))


def _finish_values(worker: str, keys: tuple[str, ...], outcomes: Sequence[tuple[int, dict[str, Any]]]) -> Update:
    """SQLite (3.33+ for UPDATE ... FROM): the outcomes as a VALUES list."""
    rows = values_list(column("id", Integer), *[column(key, _COLUMNS[key].type) for key in keys], name="v").data(
        [(message_id, *(values_[key] for key in keys)) for message_id, values_ in outcomes]).cte("v")
    return (update(_TABLE).where(_COLUMNS.id == rows.c.id, _COLUMNS.status == SENDING, _COLUMNS.worker == worker)
            .values({key: rows.c[key] for key in keys}).returning(_COLUMNS.id))


async def message_figures(session: AsyncSession, customer_id: int) -> tuple[list[Loan], PromiseToPay | None]:
    """What a message template reads from the record: the active loans (with their schedule) and
    the pending promise due soonest."""
    loans = await session.scalars(
        select(Loan).where(Loan.customer_id == customer_id, Loan.status == "active")
        .options(selectinload(Loan.installments)).order_by(Loan.id))
    promise = await session.scalar(
        select(PromiseToPay).where(PromiseToPay.customer_id == customer_id,
                                   PromiseToPay.status == PromiseStatus.PENDING)
        .order_by(PromiseToPay.due_date, PromiseToPay.id).limit(1))
    return list(loans.all()), promise
