"""Helpers of the dialer PBX tests: a supervisor over HTTP, the store's view of tasks and attempts,
and when a sipp phone first received an INVITE (its message log's timestamps)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select

from store.db import Database
from store.models import AgentPresence, CallRecord, CallTask, DialAttempt, Interaction
from tests.cti_pbx.support import AgentClient, until

_STAMP = re.compile(r"^-+ (\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}:\d{2}\.\d+)", re.M)


@dataclass
class Supervisor:
    base_url: str
    token: str = ""

    async def login(self) -> Supervisor:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            r = await client.post("/api/auth/login", json={"username": "supervisor", "password": "supervisor-pass"})
        assert r.status_code == 200, r.text
        self.token = r.json()["token"]
        return self

    async def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as client:
            return await client.request(method, path, json=body, headers={"Authorization": f"Bearer {self.token}"})

    async def campaign_agents(self, code: str, agents: list[str]) -> None:
        r = await self.request("PUT", f"/api/campaigns/{code}/agents", {"agents": agents})
        assert r.status_code == 200, r.text

    async def enqueue(self, customer_id: int, reason: str) -> int:
        r = await self.request("POST", "/api/dialer/tasks", {"customer_id": customer_id, "reason": reason})
        assert r.status_code == 201, r.text
        task_id: int = r.json()["task_id"]
        return task_id


async def task(database: Database, task_id: int) -> CallTask:
    async with database.session() as session:
        row = await session.get(CallTask, task_id)
    assert row is not None
    return row


async def task_when(database: Database, task_id: int, pred: Any, within: float, what: str) -> CallTask:
    async def check() -> CallTask | None:
        row = await task(database, task_id)
        return row if pred(row) else None

    found: CallTask = await until(check, within, what)
    return found


async def attempts_of(database: Database, task_id: int) -> list[DialAttempt]:
    async with database.session() as session:
        return list((await session.scalars(
            select(DialAttempt).where(DialAttempt.task_id == task_id).order_by(DialAttempt.requested_at))).all())


async def call_records(database: Database, call_id: str) -> list[CallRecord]:
    async with database.session() as session:
        return list((await session.scalars(select(CallRecord).where(CallRecord.call_id == call_id))).all())


async def interactions_of(database: Database, customer_id: int, call_id: str) -> list[Interaction]:
    async with database.session() as session:
        return list((await session.scalars(
            select(Interaction).where(Interaction.customer_id == customer_id, Interaction.call_id == call_id))).all())


def first_invite_at(messages: str) -> datetime | None:
    """When the sipp phone's message log first shows a received INVITE (sipp's own clock)."""
    blocks = _STAMP.split(messages)
    # split gives [before, stamp1, body1, stamp2, body2, ...]
    for stamp, body in zip(blocks[1::2], blocks[2::2], strict=False):
        if "message received" in body and re.search(r"^INVITE sip:", body, re.M):
            return datetime.fromisoformat(re.sub(r"\s+", " ", stamp.strip()))
    return None


async def agent_request(agent: AgentClient, method: str, path: str,
                        body: dict[str, Any] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=agent.base_url, timeout=10) as client:
        return await client.request(method, path, json=body, headers={"Authorization": f"Bearer {agent.token}"})


async def presence(database: Database, user_id: int) -> str | None:
    async with database.session() as session:
        state: str | None = await session.scalar(select(AgentPresence.state).where(AgentPresence.user_id == user_id))
    return state
