"""Reading the call log: filters, keyset pages (newest first) and what each call's row shows.

A page is ``ORDER BY offered_at DESC, id DESC LIMIT n`` after the cursor's ``(offered_at, id)``, so
page 10,000 costs what page 1 costs (no OFFSET): the indexes on ``offered_at`` and
``(agent_id, offered_at)`` serve it (``bench/call_log.py``).
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Integer, Select, and_, bindparam, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.errors import InvalidInput
from store.in_list import in_list
from store.models import CallRecord, CallTask, Campaign, Customer, DialAttempt, Interaction, User
from store.repositories.agent_activity import CallLegs, call_legs

Outcome = Literal["answered", "abandoned", "missed"]
C = CallRecord


@dataclass(frozen=True, slots=True)
class CallFilter:
    agent_id: int | None = None
    queue: str | None = None
    campaign_id: int | None = None
    direction: str | None = None
    outcome: Outcome | None = None
    customer_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class CallNote:
    id: int
    status: str | None
    reason: str | None
    resolution: str | None


@dataclass(frozen=True, slots=True)
class CallRow:
    """A call record as a page shows it, read with Core (no ORM instances: they cost more than the
    query), with its agent's username and its customer's name."""

    id: int
    call_id: str
    direction: str
    carrier: str
    server: str | None
    caller_number: str | None
    dialed_number: str | None
    queue: str | None
    agent_id: int | None
    customer_id: int | None
    attempt_id: str | None
    offered_at: datetime
    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    hold_seconds: int | None
    talk_seconds: int | None
    cause: str | None
    abandoned: bool
    agent: str | None = None
    customer_name: str | None = None


_ROW_COLUMNS = [getattr(C, f.name) for f in fields(CallRow) if f.name not in ("agent", "customer_name")]
_AGENT = aliased(User)  # the call's agent, joined for the username


@dataclass(slots=True)
class CallPage:
    calls: list[CallRow]
    next_cursor: str | None
    notes: dict[str, CallNote] = field(default_factory=dict)
    campaigns: dict[str, str] = field(default_factory=dict)  # call_id -> campaign code
    legs: CallLegs = field(default_factory=lambda: CallLegs({}, {}))


def encode_cursor(offered_at: datetime, call_row_id: int) -> str:
    raw = f"{offered_at.isoformat()}|{call_row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, ident = raw.partition("|")
        when = datetime.fromisoformat(at)
        if when.tzinfo is None:
            raise ValueError("naive")
        return when, int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("the cursor is not one this server gave", {"cursor": "invalid"}) from exc


def outcome_clause(outcome: Outcome) -> ColumnElement[bool]:
    if outcome == "answered":
        return C.answered_at.is_not(None)
    if outcome == "abandoned":
        return C.abandoned.is_(True)
    return and_(C.answered_at.is_(None), C.abandoned.is_(False))


# Each filter is bound as a parameter, so a page's statement is built (and its cache key made) once
# per shape of filter: the filters set, the outcome, the cursor. Building it cost 1 ms of CPU a page.
_DIALLED = select(DialAttempt.id).join(CallTask, CallTask.id == DialAttempt.task_id).where(
    CallTask.campaign_id == bindparam("campaign_id"))
_BOUND = ("agent_id", "queue", "direction", "customer_id")


@functools.lru_cache(maxsize=256)
def _page_statement(bound: tuple[str, ...], outcome: Outcome | None, since: bool, until: bool,
                    campaign: Literal["queue", "task", None], cursor: bool) -> Select[Any]:
    query = (select(*_ROW_COLUMNS, _AGENT.username, Customer.name)
             .outerjoin(_AGENT, _AGENT.id == C.agent_id).outerjoin(Customer, Customer.id == C.customer_id))
    for name in bound:
        query = query.where(getattr(C, name) == bindparam(name))
    if outcome is not None:
        query = query.where(outcome_clause(outcome))
    if since:
        query = query.where(C.offered_at >= bindparam("since"))
    if until:
        query = query.where(C.offered_at < bindparam("until"))
    if campaign is not None:
        by_task = C.attempt_id.in_(_DIALLED)
        query = query.where(or_(C.queue == bindparam("campaign_queue"), by_task) if campaign == "queue" else by_task)
    if cursor:
        query = query.where(tuple_(C.offered_at, C.id) < tuple_(bindparam("cursor_at", type_=C.offered_at.type),
                                                                bindparam("cursor_id", type_=C.id.type)))
    return query.order_by(C.offered_at.desc(), C.id.desc()).limit(bindparam("limit", type_=Integer))


def _page_query(f: CallFilter, campaign_queue: str | None, cursor: tuple[datetime, int] | None,
                limit: int) -> tuple[Select[Any], dict[str, Any]]:
    """The page's statement (built once per shape) and its parameters."""
    params: dict[str, Any] = {name: getattr(f, name) for name in _BOUND if getattr(f, name) is not None}
    campaign: Literal["queue", "task", None] = None
    if f.campaign_id is not None:
        campaign = "queue" if campaign_queue else "task"
        params["campaign_id"] = f.campaign_id
        if campaign_queue:
            params["campaign_queue"] = campaign_queue
    if f.since is not None:
        params["since"] = f.since
    if f.until is not None:
        params["until"] = f.until
    if cursor is not None:
        params["cursor_at"], params["cursor_id"] = cursor
    params["limit"] = limit
    statement = _page_statement(tuple(name for name in _BOUND if name in params), f.outcome, f.since is not None,
                                f.until is not None, campaign, cursor is not None)
    return statement, params


async def campaign_by_code(session: AsyncSession, code: str) -> Campaign:
    found = await session.scalar(select(Campaign).where(Campaign.code == code))
    if found is None:
        raise InvalidInput(f"no campaign {code!r}", {"campaign": f"unknown campaign {code!r}"})
    return found


async def calls_page(session: AsyncSession, f: CallFilter, *, limit: int, cursor: str | None, now: datetime,
                     queue_campaigns: Mapping[str, str]) -> CallPage:
    """One page of calls, newest first, with the names, notes, campaigns and legs its rows show.
    ``queue_campaigns``: queue -> campaign code (dialer.yaml), for calls not dialled from a task."""
    cursor_at = decode_cursor(cursor) if cursor is not None else None
    return await _page(session, f, limit=limit, cursor=cursor_at, now=now, queue_campaigns=queue_campaigns)


async def all_calls(session: AsyncSession, f: CallFilter, *, limit: int, now: datetime,
                    queue_campaigns: Mapping[str, str]) -> CallPage:
    """Up to ``limit`` calls for an export, newest first, with what their rows show."""
    page = await _page(session, f, limit=limit, cursor=None, now=now, queue_campaigns=queue_campaigns)
    page.next_cursor = None
    return page


async def _page(session: AsyncSession, f: CallFilter, *, limit: int, cursor: tuple[datetime, int] | None,
                now: datetime, queue_campaigns: Mapping[str, str]) -> CallPage:
    campaign_queue = None
    if f.campaign_id is not None:
        campaign = await session.get(Campaign, f.campaign_id)
        campaign_queue = campaign.queue if campaign is not None else None
    query, params = _page_query(f, campaign_queue, cursor, limit + 1)
    rows = (await session.execute(query, params)).all()
    calls = [CallRow(*row) for row in rows[:limit]]
    page = CallPage(calls, encode_cursor(calls[-1].offered_at, calls[-1].id) if len(rows) > limit else None)
    if calls:
        call_ids = [c.call_id for c in calls]
        page.notes = await _notes(session, call_ids)
        page.campaigns = await _campaigns(session, calls, queue_campaigns)
        page.legs = await call_legs(session, call_ids, now)
    return page


# Built once (with the page's call ids bound at run time): building a statement costs more CPU than
# running it, about 2.7 ms a page for the legs' correlated subquery (bench/call_log.py).
_NOTES = (select(Interaction.call_id, Interaction.id, Interaction.disposition_status, Interaction.disposition_reason,
                 Interaction.disposition_resolution)
          .where(in_list(Interaction.call_id, "call_ids"))
          .order_by(Interaction.created_at, Interaction.id))


async def _notes(session: AsyncSession, call_ids: Sequence[str]) -> dict[str, CallNote]:
    """The disposition saved for each call: its latest note with a disposition, else its latest note."""
    rows = await session.execute(_NOTES, {"call_ids": list(call_ids)})
    notes: dict[str, CallNote] = {}
    for call_id, note_id, status, reason, resolution in rows:
        assert call_id is not None
        if status is not None or call_id not in notes or notes[call_id].status is None:
            notes[call_id] = CallNote(note_id, status, reason, resolution)
    return notes


_ATTEMPT_CAMPAIGNS = (select(DialAttempt.id, Campaign.code).join(CallTask, CallTask.id == DialAttempt.task_id)
                      .join(Campaign, Campaign.id == CallTask.campaign_id).where(in_list(DialAttempt.id, "attempts")))


async def _campaigns(session: AsyncSession, calls: Sequence[CallRow],
                     by_queue: Mapping[str, str]) -> dict[str, str]:
    """A dialled call's campaign is its task's; any other call's is the campaign of its queue."""
    found = {c.call_id: by_queue[c.queue] for c in calls if c.queue is not None and c.queue in by_queue}
    attempts = [c.attempt_id for c in calls if c.attempt_id is not None]
    if attempts:
        rows = await session.execute(_ATTEMPT_CAMPAIGNS, {"attempts": attempts})
        dialled = {attempt: code for attempt, code in rows}
        for c in calls:
            if c.attempt_id in dialled:
                found[c.call_id] = dialled[c.attempt_id]
    return {k: v for k, v in found.items() if v is not None}


def wait_of(hold: int | None, offered: datetime, queued: datetime | None, answered: datetime | None,
            ended: datetime | None) -> int | None:
    """Seconds the caller waited: the queue's hold time, else offered (or queued) to answered (or ended)."""
    if hold is not None:
        return hold
    end = answered or ended
    if end is None:
        return None
    return max(0, int((end - (queued or offered)).total_seconds()))


def wait_seconds(call: CallRow) -> int | None:
    return wait_of(call.hold_seconds, call.offered_at, call.queued_at, call.answered_at, call.ended_at)


def outcome_of(call: CallRow) -> Outcome:
    if call.answered_at is not None:
        return "answered"
    return "abandoned" if call.abandoned else "missed"
